"""Record the probes of `govops.hosts.controls` from a real host into tests/hosts/recorded/CASE.json.

The unit tests evaluate the controls against these recordings. Record from a test host of the
Molecule scenarios (converged, or drifted on purpose), then review what the case asserts:

    ANSIBLE_HOME=$PWD/.state/ansible .venv/bin/molecule converge -s level3
    .venv/bin/python -m tests.hosts.record_probes level3_converged 198.18.255.6 .state/hosts/id_ed25519
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from govops.hosts.check import SshOptions, SshSession, probe
from govops.hosts.controls import PROBES

RECORDED = Path(__file__).resolve().parent / "recorded"


def record(case: str, address: str, key: str) -> Path:
    with SshSession(SshOptions(key=key, strict_host_keys=False)) as session:
        outputs = probe(session.host(address), list(PROBES))
    path = RECORDED / f"{case}.json"
    path.write_text(json.dumps({name: {"rc": o.rc, "stdout": o.stdout, "stderr": o.stderr}
                                for name, o in outputs.items()}, indent=1, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    print(record(*sys.argv[1:4]))
