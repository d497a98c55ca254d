"""`govops cloud up` / `destroy`: the Pulumi Automation API on the real `stacks/` project.

The Automation API drives the `pulumi` CLI, which drives the provider plugin against the real
OpenStack cloud named by the stack's `openstack:cloud` (an entry of `clouds.yaml`). Nothing
here works offline; `govops cloud plan` is the offline view. Without the CLI on PATH, `up`
stops before anything else with one line saying what is missing and how to get it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govops.errors import BadInput, CheckFailed

INSTALL_HINT = (
    "the pulumi CLI is not on PATH: install it (curl -fsSL https://get.pulumi.com | sh, then "
    "add ~/.pulumi/bin to PATH) and log in to a state backend (pulumi login); "
    "`govops cloud plan` works without it")


def require_cli() -> str:
    """The path of the `pulumi` CLI; BadInput (exit 2) with how to install it when missing."""
    path = shutil.which("pulumi")
    if path is None:
        raise BadInput(INSTALL_HINT)
    return path


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _failure(action: str, stack: str, exc: Exception) -> CheckFailed:
    """One line from a failed CLI run: the last line of its stderr."""
    text = str(exc)
    stderr = text.split("stderr:", 1)[1] if "stderr:" in text else text
    detail = _last_line(stderr) or _last_line(text) or type(exc).__name__
    return CheckFailed(f"pulumi {action} of stack {stack} failed: {detail}")


def _stack(stacks_dir: Path, stack: str) -> Any:
    from pulumi import automation as auto

    return auto.create_or_select_stack(stack_name=stack, work_dir=str(stacks_dir))


def run(action: str, stacks_dir: str | Path, stack: str,
        on_output: Callable[[str], Any] | None = None) -> dict[str, int]:
    """`up` or `destroy` one stack; the resource changes Pulumi reports ({'create': 3, …}).

    BadInput when the CLI is missing, CheckFailed (one line) when Pulumi fails.
    """
    if action not in ("up", "destroy"):
        raise ValueError(action)
    require_cli()
    from pulumi import automation as auto

    try:
        st = _stack(Path(stacks_dir), stack)
        result = st.up(on_output=on_output) if action == "up" else st.destroy(on_output=on_output)
    except FileNotFoundError as exc:  # the CLI vanished between the check and the run
        raise BadInput(INSTALL_HINT) from exc
    except auto.CommandError as exc:
        raise _failure(action, stack, exc) from exc
    changes = getattr(result.summary, "resource_changes", None) or {}
    return {str(k): int(v) for k, v in changes.items()}
