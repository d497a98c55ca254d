"""Encrypted backups: no plaintext on disk, transparent restore, a wrong key stops everything."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from govops.audit.backup import backup_key, decrypt_backup, default_key_file, encrypt_backup, new_key_hex
from govops.errors import BadInput
from govops.estate.loader import load_estate
from govops.network.journal import Journal
from govops.network.rollout import Rollout, RolloutOptions, order_devices, restore_devices
from tests.conftest import ROOT

LAB = ROOT / "inventories" / "lab"
SECRET = "S3cret-Community-7f2a"
RUNNING = f"hostname {{name}}\nsnmp-server community {SECRET} RO\nenable secret 9 $9$hashhash\n"


def grep(folder: Path, needle: str) -> list[Path]:
    """Every file under `folder` whose bytes contain `needle`, like `grep -rl`."""
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


class FakeDevice:
    """An in-memory device: a running config; apply() takes `replace:<config>` lines."""

    def __init__(self, name: str, running: str):
        self.name, self.platform, self.running, self.applied = name, "frr", running, []

    def open(self) -> None: ...
    def close(self) -> None: ...

    def get_running(self) -> str:
        return self.running

    def apply(self, lines: list[str]) -> str:
        self.applied.append(lines)
        self.running = lines[0].removeprefix("replace:")
        return ""


def replace_diff(platform: str, running: str, intended: str) -> list[str]:
    return [] if running == intended else [f"replace:{intended}"]


@pytest.fixture(scope="module")
def lab():
    return load_estate(LAB)


def test_round_trip_binds_the_context() -> None:
    blob = encrypt_backup(b"config", context="r1")
    assert decrypt_backup(blob, context="r1") == b"config"
    with pytest.raises(BadInput, match="backup <data>: cannot decrypt with this key: integrity"):
        decrypt_backup(blob, context="r2")


def test_wrong_key_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    blob = encrypt_backup(b"config", context="r1")
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", new_key_hex())
    with pytest.raises(BadInput) as caught:
        decrypt_backup(blob, context="r1", source="rollouts/x/backups/r1.cfg.sm4")
    message = str(caught.value)
    assert message.startswith("backup rollouts/x/backups/r1.cfg.sm4: cannot decrypt with this key: "
                              "it was sealed with key ")
    assert "\n" not in message and caught.value.exit_code == 2


@pytest.mark.parametrize(("value", "complaint"), [("abc", "not hex"), ("ab" * 16, "64 hex digits")])
def test_bad_env_key(monkeypatch: pytest.MonkeyPatch, value: str, complaint: str) -> None:
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", value)
    with pytest.raises(BadInput, match=complaint):
        backup_key()


def test_key_file_must_be_private_and_outside_the_repository(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVOPS_BACKUP_KEY")
    key_file = tmp_path / "backup.key"
    key_file.write_text(new_key_hex() + "\n")
    key_file.chmod(0o644)
    monkeypatch.setenv("GOVOPS_BACKUP_KEY_FILE", str(key_file))
    with pytest.raises(BadInput, match="readable by others"):
        backup_key()
    key_file.chmod(0o600)
    assert backup_key() == bytes.fromhex(key_file.read_text())
    monkeypatch.setenv("GOVOPS_BACKUP_KEY_FILE", str(ROOT / "pyproject.toml"))
    with pytest.raises(BadInput, match="outside the repository"):
        backup_key()


def test_default_key_file_is_made_once_with_mode_600(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVOPS_BACKUP_KEY")
    path = default_key_file()  # under the test's XDG_CONFIG_HOME
    assert not path.exists()
    first = backup_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert backup_key() == first


def test_journal_backup_holds_no_plaintext(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "rollouts", "r-1")
    path = journal.save_backup("town-1", RUNNING.format(name="town-1"))
    assert path.name == "town-1.cfg.sm4" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert grep(tmp_path, SECRET) == [] and grep(tmp_path, "hostname") == []
    assert sorted(p.name for p in journal.backups.iterdir()) == ["town-1.cfg.sm4"]
    assert journal.read_backup("town-1") == RUNNING.format(name="town-1")


def test_backups_cannot_be_swapped_between_devices(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "rollouts", "r-1")
    one = journal.save_backup("town-1", "one")
    two = journal.save_backup("town-2", "two")
    two.write_bytes(one.read_bytes())
    with pytest.raises(BadInput, match="town-2.cfg.sm4: cannot decrypt"):
        journal.read_backup("town-2")


def test_deleted_backup_is_one_clear_line(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "rollouts", "r-1")
    journal.save_backup("town-1", "one").unlink()
    with pytest.raises(BadInput, match="backup of town-1 is missing: .*town-1.cfg.sm4"):
        journal.read_backup("town-1")


def test_plaintext_backup_from_before_encryption_still_reads(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "rollouts", "old")
    journal.backups.mkdir(parents=True)
    (journal.backups / "town-1.cfg").write_text("legacy")
    assert journal.read_backup("town-1") == "legacy"


def _devices(lab, count: int = 3) -> list[str]:
    return order_devices(lab, list(lab.nodes))[:count]


def test_rollout_writes_only_encrypted_backups_and_restores_from_them(tmp_path: Path, lab) -> None:
    names = _devices(lab)
    fleet = {n: FakeDevice(n, RUNNING.format(name=n)) for n in names}
    journal = Journal(tmp_path / "rollouts", "r-2")
    options = RolloutOptions(canary=1, batch_size=2, check=True, workers=2)
    intended = {n: f"hostname {n}\n" for n in names}
    summary = Rollout(lab, intended, options, journal, replace_diff, lambda view: fleet[view.name]).run(names)
    assert {r.status for r in summary.results} == {"would-change"}
    assert sorted(p.name for p in journal.backups.iterdir()) == sorted(f"{n}.cfg.sm4" for n in names)
    assert grep(tmp_path, SECRET) == []

    for device in fleet.values():
        device.running = "hostname wrong\n"
    backups = {n: journal.read_backup(n) for n in names}
    results = restore_devices(backups, lab, journal, replace_diff, lambda view: fleet[view.name])
    assert set(results.values()) == {"restored"}
    assert all(fleet[n].running == RUNNING.format(name=n) for n in names)


def test_restore_with_a_wrong_key_pushes_nothing(tmp_path: Path, lab,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    names = _devices(lab, 2)
    fleet = {n: FakeDevice(n, "hostname wrong\n") for n in names}
    journal = Journal(tmp_path / "rollouts", "r-3")
    for n in names:
        journal.save_backup(n, RUNNING.format(name=n))
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", new_key_hex())
    with pytest.raises(BadInput, match="cannot decrypt with this key"):
        # `net rollback` decrypts every backup before any device is touched
        backups = {n: journal.read_backup(n) for n in names}
        restore_devices(backups, lab, journal, replace_diff, lambda view: fleet[view.name])
    assert all(not d.applied for d in fleet.values())


@pytest.fixture
def pushed(tmp_path: Path, lab, monkeypatch: pytest.MonkeyPatch, signing):
    """A journalled rollout of two devices whose backups are encrypted; `pushing` talks to
    fake devices; a system administrator acts. Returns (rollouts root, rollout id, fleet)."""
    from govops.network import pushing

    names = _devices(lab, 2)
    fleet = {n: FakeDevice(n, "hostname pushed\n") for n in names}
    root = tmp_path / "rollouts"
    journal = Journal(root, "20261128-100000-ab12")
    journal.write("start", estate=str(LAB), limit=None, devices=names, options={}, driver="fake")
    for n in names:
        path = journal.save_backup(n, RUNNING.format(name=n))
        journal.write("backup", device=n, path=str(path))
    monkeypatch.setattr(pushing, "_connector", lambda: lambda view: fleet[view.name])
    monkeypatch.setattr(pushing, "_remediation", lambda: replace_diff)
    monkeypatch.setattr(pushing, "_full_remediation", lambda: replace_diff)
    return root, journal.id, fleet


def test_rollback_restores_from_encrypted_backups(pushed) -> None:
    from govops.network import pushing

    root, rollout_id, fleet = pushed
    assert set(pushing.rollback(rollout_id, root=root).values()) == {"restored"}
    assert all(d.running == RUNNING.format(name=n) for n, d in fleet.items())
    assert grep(root, SECRET) == []


def test_rollback_with_a_wrong_key_is_exit_2_and_pushes_nothing(pushed,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from govops.network import pushing

    root, rollout_id, fleet = pushed
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", new_key_hex())
    with pytest.raises(BadInput) as caught:
        pushing.rollback(rollout_id, root=root)
    assert caught.value.exit_code == 2 and "cannot decrypt with this key" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert all(not d.applied for d in fleet.values())
