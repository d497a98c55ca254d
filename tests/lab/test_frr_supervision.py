"""watchfrr's start/stop/restart script for lab routers, and how its restarts are read and
told (unit level: the script is run against a fake daemon in a scratch folder)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

from govops.lab import frr
from govops.lab.commands import restart_lines


def test_script_is_valid_sh_and_knows_every_daemon(tmp_path: Path) -> None:
    script = tmp_path / "supervise.sh"
    script.write_text(frr.supervise_script())
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    text = script.read_text()
    for daemon in frr.DAEMONS:
        assert f"/usr/lib/frr/{daemon} -d -P 0" in text
    assert "vtysh -b -d" in text  # a restarted daemon gets its part of the saved config back


def test_supervisor_command_watches_every_daemon_with_our_script() -> None:
    cmd = frr.supervisor_command(Path("/lab/routers/r1"))
    assert cmd.startswith("/usr/lib/frr/watchfrr -d ")
    assert cmd.endswith(" ".join(frr.DAEMONS))
    assert "'/bin/sh /lab/routers/r1/supervise.sh restart %s'" in cmd


def test_restart_reason_comes_from_the_signal_frr_logged(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "ospf6d.log").write_text(
        "2026/12/07 11:00:00 OSPF6: [T83RR-8SM5G] ospf6d 8.4.4 starting: vty@2606\n"
        "2026/12/07 11:00:09 OSPF6: Received signal 6 at 1 (si_addr 0x0); aborting...\n"
        "2026/12/07 12:00:00 OSPF6: [T83RR-8SM5G] ospf6d 8.4.4 starting: vty@2606\n"
        "2026/12/07 12:04:05 OSPF6: Received signal 11 at 1796647445 (si_addr 0x8, PC 0x5); "
        "aborting...\n")
    # only the restart step: cut the script before it starts the real daemon
    script = frr.supervise_script().replace("/var/run/frr", str(run))
    script = script.split('rm -f "$run/$d.pid"')[0]
    subprocess.run(["sh", "-c", script, "supervise.sh", "restart", "ospf6d"], check=True)
    (restart,) = frr.read_restarts(tmp_path)
    assert restart.daemon == "ospf6d" and restart.reason == "signal 11"


def test_restarts_are_told_as_crashes(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    frr.restarts_log(tmp_path).write_text("1796647445.5 ospf6d signal 11\n"
                                          "1796647500.0 bgpd unresponsive\nbroken line\n")
    restarts = frr.read_restarts(tmp_path)
    assert [(r.daemon, r.reason) for r in restarts] == [("ospf6d", "signal 11"),
                                                         ("bgpd", "unresponsive")]
    lines = restart_lines([SimpleNamespace(name="city-gz-2", restarts=restarts)])
    assert lines[0].startswith("ospf6d on city-gz-2 crashed at ")
    assert lines[0].endswith("(signal 11) and was restarted")
    assert "bgpd on city-gz-2 hung at " in lines[1]
