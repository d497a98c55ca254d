"""Record the FRR cases under tests/network/frr/recorded/ from a real FRR 8.4 (needs root).

Each case loads a variant of a rendered lab config into a throwaway FRR router (see
`frr_harness`), saves what `show running-config` prints as `running.cfg`, the intended config
as `intended.cfg`, and the remediation govops computes as `expected_changes.txt`. Review the
expected changes before committing them: they are what the test then holds govops to.

    sudo .venv/bin/python -m tests.network.record_frr            # all cases
    sudo .venv/bin/python -m tests.network.record_frr ospf_cost_drift
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from govops.estate.loader import load_estate
from govops.network.diff import diff_device
from govops.network.render import render_device
from tests.network.frr_harness import ThrowawayFrr, available

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "frr" / "recorded"
DEVICE = "town-tianhe-a"


def _sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)
    return edit


def _drop_lines(*needles: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        return "".join(ln for ln in text.splitlines(keepends=True)
                       if not any(n in ln for n in needles))
    return edit


_EXTRA_NEIGHBOR = (" neighbor 198.18.0.9 remote-as 65000\n"
                   " neighbor 198.18.0.9 description old-core\n"
                   " neighbor 198.18.0.9 update-source lo\n")
_EXTRA_AF = ("  neighbor 198.18.0.9 activate\n"
             "  neighbor 198.18.0.9 route-map EXTRANET-V4 in\n")
_EXTRA_IFACE = ("interface eth3\n description spare port, was a downlink\n"
                " ip address 198.18.64.200/31\n ipv6 address 2001:db8:0:2::c8/127\nexit\n!\n")

#: case name → (what it catches, how the running config differs, how the intended differs)
CASES: dict[str, tuple[str, Callable[[str], str] | None, Callable[[str], str] | None]] = {
    "in_sync_show_running_8_4": (
        "FRR prints interfaces before router ospf6, adds `frr version`, `!` and `exit` lines: "
        "none of that is a difference", None, None),
    "blank_router_gets_policy_and_ospf_before_interfaces": (
        "from a blank router the remediation creates BFD, policy and the OSPF processes "
        "before any interface names an area (no 0.0.0.0 router-id in ospf6d)",
        lambda _t: "frr defaults traditional\nhostname town-tianhe-a\n"
                   "service integrated-vtysh-config\n!\n", None),
    "ospf_cost_drift": (
        "a changed cost is replaced in place",
        _sub(" ip ospf cost 1000\n ip ospf network point-to-point\n ipv6 address "
             "2001:db8:0:2::39/127", " ip ospf cost 100\n ip ospf network point-to-point\n"
             " ipv6 address 2001:db8:0:2::39/127"), None),
    "address_change_removes_old_address": (
        "FRR keeps every `ip address` given: a changed address needs `no ip address OLD`",
        _sub("198.18.64.57/31", "198.18.64.157/31"), None),
    "stale_neighbor_removed_with_one_command": (
        "`no neighbor X remote-as` deletes the neighbour; further `no neighbor X …` lines "
        "would be refused, so one `no neighbor X` is sent",
        lambda t: t.replace(" neighbor 198.18.0.2 remote-as 65000\n",
                            _EXTRA_NEIGHBOR + " neighbor 198.18.0.2 remote-as 65000\n")
        .replace("  neighbor 198.18.0.2 activate\n", _EXTRA_AF + "  neighbor 198.18.0.2 activate\n"),
        None),
    "ospf_area_change_negates_first": (
        "FRR refuses a new `ip ospf area` while another is set: the old one goes first",
        _sub("area 0.0.0.1", "area 0.0.0.7"), None),
    "bfd_default_timers_written_out_are_in_sync": (
        "FRR does not print BFD values equal to its defaults (300 ms, x3); an intended "
        "config that writes them out is still in sync",
        _sub("  transmit-interval 100\n  receive-interval 100\n", ""),
        _sub("  transmit-interval 100\n  receive-interval 100\n",
             "  detect-multiplier 3\n  transmit-interval 300\n  receive-interval 300\n")),
    "restore_blank_backup_keeps_management_address": (
        "restoring a backup taken before the first push (a blank router) removes everything "
        "but the management port's address, which the lab set outside FRR and which carries "
        "the session doing the restore", None,
        lambda _t: "frr defaults traditional\nhostname town-tianhe-a\n"
                   "service integrated-vtysh-config\n!\n"),
    "removed_interface_negated_line_by_line": (
        "a physical interface cannot be deleted (`no interface`): its lines are negated, "
        "descriptions with a bare `no description`",
        _sub("interface lo\n", _EXTRA_IFACE + "interface lo\n"), None),
}


def record(names: list[str]) -> None:
    reason = available()
    if reason:
        sys.exit(f"cannot record FRR cases: {reason}")
    estate = load_estate(ROOT / "inventories" / "lab")
    base = render_device(estate, DEVICE)
    for name in names:
        about, run_edit, want_edit = CASES[name]
        loaded = run_edit(base) if run_edit else base
        intended = want_edit(base) if want_edit else base
        interfaces = [ln.split()[1] for ln in loaded.splitlines() if ln.startswith("interface ")]
        with ThrowawayFrr(DEVICE, interfaces) as router:
            complaints = router.load(loaded)
            if complaints:
                sys.exit(f"{name}: FRR refused the running variant:\n{complaints}")
            running = router.running_config()
        changes = diff_device("frr", running, intended, device=DEVICE).changes
        case = CASES_DIR / name
        case.mkdir(parents=True, exist_ok=True)
        (case / "about.txt").write_text(about + "\n")
        (case / "running.cfg").write_text(running)
        (case / "intended.cfg").write_text(intended)
        (case / "expected_changes.txt").write_text("".join(f"{ln}\n" for ln in changes))
        print(f"{name}: {len(changes)} remediation lines")


if __name__ == "__main__":
    record(sys.argv[1:] or list(CASES))
