"""Where the project's own folders are, for code that ships with them (editable install)."""

from __future__ import annotations

from pathlib import Path

from govops.errors import BadInput

REPO_ROOT = Path(__file__).resolve().parents[2]


def repo_path(*parts: str) -> Path:
    """A path inside the govops checkout; BadInput when the checkout is not there."""
    path = REPO_ROOT.joinpath(*parts)
    if not path.exists():
        raise BadInput(f"{path} not found: run govops from its source checkout "
                       "(pip install -e .)")
    return path


def lab_dir() -> Path:
    """The lab's state folder (`GOVOPS_LAB_DIR`, default `.lab` in the checkout)."""
    import os

    return Path(os.environ.get("GOVOPS_LAB_DIR", REPO_ROOT / ".lab"))
