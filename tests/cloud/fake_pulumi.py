"""A `pulumi` CLI that cannot reach a backend, and a stacks folder for it to fail on."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from tests.conftest import ROOT

FAILING_PULUMI = ("#!/bin/sh\n"
                  "case \"$1\" in version) echo v3.200.0; exit 0;; esac\n"
                  "echo 'error: PULUMI_ACCESS_TOKEN must be set for login' >&2\nexit 255\n")


def failing_pulumi(tmp_path: Path) -> tuple[Path, Path]:
    """(folder holding the fake `pulumi`, to put first on PATH; a stacks folder with the
    Pulumi program) under `tmp_path`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAILING_PULUMI)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / "stacks" / name, stacks / name)
    return bin_dir, stacks
