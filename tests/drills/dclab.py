"""The three-centre lab for drill tests: use the one that is up, or bring one up and take it
down afterwards; it must be in its original topology (dc-a primary, dc-b sync, dc-c async)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ORIGINAL = {"primary": "dc-a", "sync": ["dc-b"], "async": ["dc-c"]}


@contextlib.contextmanager
def original_dc_lab(govops: Callable[..., subprocess.CompletedProcess],
                    need_prometheus: bool = False) -> Iterator[Path]:
    """Yield the DC lab's state directory; `need_prometheus`: its monitoring must run too."""
    from govops.drills import labinfo
    from govops.drills.probes import dc_roles
    from govops.lab import dcnet

    dc = labinfo.dc_dir()
    brought_up = False
    try:
        labinfo.require_dc_lab(dc)
        if need_prometheus and not labinfo.prometheus_url():
            raise RuntimeError("no monitoring")
    except Exception:  # noqa: BLE001 - not up: bring it up (unless another lab holds the names)
        owner = dcnet.lab_owner()
        if owner is not None and owner != dc:
            pytest.skip(f"a DC lab of {owner} holds the dc-* namespaces")
        proc = govops("lab", "up", timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"govops lab up failed: {proc.stderr[-2000:]}")
        brought_up = True
    state = dc_roles(str(dc), "before", before=ORIGINAL)
    if not state["ok"]:
        if brought_up:
            govops("lab", "down")
        pytest.skip(f"the lab is not in its original topology ({state['detail']}): "
                    "govops drill run failback")
    try:
        yield dc
    finally:
        if brought_up:
            govops("lab", "down", timeout=300)
