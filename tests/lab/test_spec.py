"""Lab spec validation and state helpers (no root, nothing created)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.lab.errors import LabError
from govops.lab.routers import teardown
from govops.lab.spec import LabSpec, LinkSpec, RouterSpec, spec_from_dict, spec_to_dict, validate
from govops.lab.state import default_login_user, host_ifname
from govops.lab.statefiles import Journal


def good(tmp_path: Path) -> LabSpec:
    return LabSpec(
        routers=(
            RouterSpec("town-th-1", "198.18.32.1/31", "198.18.32.0/31"),
            RouterSpec("county-th", "198.18.32.3/31", "198.18.32.2/31"),
        ),
        links=(LinkSpec("town-th-1", "eth1", "county-th", "eth3", 100),),
        state_dir=tmp_path / "lab",
    )


def test_good_spec_round_trips(tmp_path: Path):
    spec = good(tmp_path)
    validate(spec)
    assert spec_from_dict(spec_to_dict(spec)) == spec


def test_every_problem_is_reported_at_once(tmp_path: Path):
    spec = LabSpec(
        routers=(
            RouterSpec("Town_1", "10.0.0.1/31", "10.0.0.0/31"),
            RouterSpec("r2", "198.18.0.1/30", "198.18.0.5/30"),
        ),
        links=(LinkSpec("r2", "mgmt0", "r3", "an-interface-name-too-long", 0),),
        state_dir=tmp_path,
    )
    with pytest.raises(LabError) as err:
        validate(spec)
    msg = str(err.value)
    for needle in (
        "'Town_1': name must be",
        "must lie in 198.18.0.0/15",
        "must be a /31",
        "two addresses of one /31",
        "'mgmt0' is reserved",
        "unknown router 'r3'",
        "must be 1-15 characters",
        "bandwidth_mbps",
    ):
        assert needle in msg


def test_derived_names_are_short_and_per_lab(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert len(host_ifname(a, "town-th-1")) <= 15
    assert host_ifname(a, "r1") != host_ifname(b, "r1")
    assert host_ifname(a, "r1") != host_ifname(a, "r2")
    assert default_login_user(a) != default_login_user(b)
    assert len(default_login_user(a)) <= 31


def test_journal_ignores_a_torn_last_line(tmp_path: Path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record(kind="netns", name="r1")
    journal.record(kind="netns", name="r1")  # recorded once
    with open(journal.path, "a") as f:
        f.write('{"kind": "netns", "na')
    assert journal.entries() == [{"kind": "netns", "name": "r1"}]


def test_teardown_refuses_a_directory_that_is_not_a_lab(tmp_path: Path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(LabError, match="holds no lab"):
        teardown(tmp_path)
    assert (tmp_path / "precious.txt").exists()
    assert teardown(tmp_path / "absent").namespaces == ()
