"""FRR's ordering rule for remediation commands that hier_config's weights cannot express."""

from __future__ import annotations

import re

#: An interface's BFD client registration for OSPF/OSPFv3, being removed (and its profile).
BFD_CLIENT = re.compile(r"^ no (ip ospf|ipv6 ospf6) bfd( profile \S+)?$")


def bfd_clients_first(lines: list[str]) -> list[str]:
    """Remove OSPF/OSPFv3 BFD registrations before anything else.

    FRR 8.4's ospf6d crashes (SIGSEGV in `inactivity_timer`) when a BFD "down" for a
    neighbour arrives in the same event-loop round as a command that deletes that neighbour
    (`no router ospf6`, `no ipv6 ospf6 area`): the BFD callback queues an untracked event
    that then runs on the freed neighbour. It happens when both ends of a link are
    deconfigured at once, e.g. rolling back or blanking neighbouring routers in parallel
    (docs/lab-test-failures.md). With the registrations gone first, no BFD callback is left
    to fire when the neighbours are deleted.
    """
    moved: dict[str, list[str]] = {}
    rest: list[str] = []
    section = ""
    for line in lines:
        if not line.startswith(" "):
            section = line if line.startswith("interface ") else ""
        if section and BFD_CLIENT.match(line):
            moved.setdefault(section, []).append(line)
            continue
        rest.append(line)
    if not moved:
        return lines
    # drop interface sections that the move left empty
    kept = [ln for i, ln in enumerate(rest)
            if not (ln in moved and i + 1 < len(rest) and rest[i + 1] == "exit")
            and not (ln == "exit" and i > 0 and rest[i - 1] in moved)]
    head = [x for section, ls in moved.items() for x in (section, *ls, "exit")]
    return head + kept
