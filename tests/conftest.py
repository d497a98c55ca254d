"""Shared fixtures: the repository root and a scratch copy of the committed inventories."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.labguard import clean_lab_between_modules, final_check  # noqa: F401 (autouse)

ROOT = Path(__file__).resolve().parents[1]
# Tests read English output unless they ask for Chinese: the machine's LANG (zh_CN.UTF-8 on an
# ops workstation) or an exported GOVOPS_LANG must not switch the suite's language (ADR 0019).
os.environ["GOVOPS_LANG"] = "en"
# Wide output everywhere, in-process and in subprocesses: tests look for whole lines, and the
# scratch paths in them are longer under pytest-xdist (…/popen-gw0/…), which made rich wrap.
os.environ["COLUMNS"] = "250"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Lab modules run in their `LAB_ORDER` (default 50), then in collection order: the
    rollout module goes first because it starts with a push onto the freshly built lab."""
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "LAB_ORDER", 50))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The clean-lab check after the last lab module: a leftover fails the run."""
    found = final_check()
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for line in found:
            if reporter:
                reporter.write_line(f"LAB LEFTOVER: {line}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With GOVOPS_NO_SKIP=1 (`make test` as root, so CI) a skipped test is a failure: every
    part the suite needs can be installed there, so a skip means a missing install, not an
    optional extra."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("GOVOPS_NO_SKIP") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but GOVOPS_NO_SKIP=1 requires it to run: {reason}"


#: The test session's operator (ADR 0018): holds every role on the lab estate.
SESSION_OPERATOR = "test-session"
SESSION_PASSPHRASE = "test session passphrase"


def make_registry(path: Path, signer_key: Path, passphrase: str, entries: list[tuple[Path, list[str]]]
                  ) -> Path:
    """Write a signed operator registry at `path`: each (public or private key file, roles),
    signed by the first entry's key (`signer_key`, which must be a security administrator)."""
    from govops.audit import keys
    from govops.operators.registry import Registry, operator_from_key, render

    operators = tuple(operator_from_key(keys.load_public(k).operator, keys.load_public(k), roles)
                      for k, roles in entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(Registry(path, operators), keys.unlock(signer_key, passphrase)),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def private_audit_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Audited commands run by any test (in-process or as `govops` subprocesses, module-scoped
    lab fixtures included) append to a scratch log, never the checkout's audit/audit.jsonl.
    They act as the test session's operator: a key made here (no developer's key), holding
    every role in a registry that the lab estate (`lab: true`) takes from GOVOPS_LAB_OPERATORS,
    so the committed inventories/lab stays as it is. Change files go to a scratch folder.
    Tests about the trail or the roles set their own log, key and registry."""
    from govops.audit import keys
    from govops.operators.registry import ROLES

    log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    folder = tmp_path_factory.mktemp("session-operator")
    key, _, _ = keys.generate(folder, SESSION_OPERATOR, SESSION_PASSPHRASE, iterations=2000)
    registry = make_registry(folder / "operators.yaml", key, SESSION_PASSPHRASE, [(key, list(ROLES))])
    patch = pytest.MonkeyPatch()
    patch.setenv("GOVOPS_AUDIT_LOG", str(log))
    for name in ("GOVOPS_AUDIT_KEYRING", "GOVOPS_AUDIT_PASSPHRASE_FILE", "GOVOPS_OPERATORS_ANCHOR"):
        patch.delenv(name, raising=False)
    patch.setenv("GOVOPS_AUDIT_KEY", str(key))
    patch.setenv("GOVOPS_AUDIT_PASSPHRASE", SESSION_PASSPHRASE)
    patch.setenv("GOVOPS_LAB_OPERATORS", str(registry))
    patch.setenv("GOVOPS_CHANGES_DIR", str(tmp_path_factory.mktemp("changes")))
    # a developer's (or make demo's) ~/.config/govops/identity.yaml never applies in tests
    patch.setenv("GOVOPS_IDENTITY", str(folder / "no-identity.yaml"))
    yield log
    patch.undo()


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A writable copy of inventories/lab with the policy folder beside it; returns the lab dir."""
    shutil.copytree(ROOT / "inventories" / "policy", tmp_path / "policy")
    shutil.copytree(ROOT / "inventories" / "lab", tmp_path / "lab",
                    ignore=shutil.ignore_patterns("ansible.yml"))
    return tmp_path / "lab"


@pytest.fixture(scope="session")
def guangdong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated Guangdong estate (read-only: copy it before editing)."""
    from govops.estate.generator import generate

    out = tmp_path_factory.mktemp("gd") / "guangdong"
    generate("guangdong", out)
    return out


@pytest.fixture
def cli(capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    """Run `govops ARGS` in-process through the real entry point: (exit code, stdout, stderr).
    Wide columns, so that rich does not wrap the lines tests look for."""
    from govops.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["govops", *map(str, args)])
        monkeypatch.setenv("COLUMNS", "250")
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
