"""The three-centre lab's spec: defaults, validation (every problem at once), JSON round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from govops.lab.dcspec import (
    CentreSpec,
    DcLabSpec,
    default_spec,
    spec_from_dict,
    spec_to_dict,
    validate_spec,
)


def test_default_spec_is_valid_and_round_trips() -> None:
    spec = default_spec(Path("/work/main/.lab/dc"))
    assert validate_spec(spec) == []
    assert [c.role for c in spec.centres] == ["primary", "same-city", "remote-dr"]
    assert spec.centre("dc-c").address == "198.19.250.3"
    assert spec.centre("dc-c").address6 == "2001:db8:dc::3"
    assert spec.partner("dc-a") == "dc-b" and spec.partner("dc-b") == "dc-a"
    assert spec.partner("dc-c") is None
    assert spec_from_dict(spec_to_dict(spec)) == spec


def test_every_problem_is_reported_at_once() -> None:
    good = default_spec(Path("/x"))
    a, b, c = good.centres
    spec = DcLabSpec(
        centres=(
            a,
            dataclasses.replace(b, role="primary", ipv4="10.0.0.2/24"),
            dataclasses.replace(c, name="core", ipv6="2001:db8:dc::1/64"),
        ),
        remote_delay_ms=-1,
        state_dir=Path("relative"),
    )
    problems = validate_spec(spec)
    text = "\n".join(problems)
    assert "exactly one primary centre, found 2" in text
    assert "exactly one same-city centre, found 0" in text
    assert "10.0.0.2/24 is outside the lab range 198.18.0.0/15" in text
    assert "centre 'core': name must look like dc-" in text
    assert "2001:db8:dc::1 is also used by dc-a" in text
    assert "remote_delay_ms: -1" in text
    assert "state_dir relative: must be an absolute path" in text
    assert len(problems) >= 7


def test_address_needs_prefix_and_one_subnet() -> None:
    good = default_spec(Path("/x"))
    a, b, c = good.centres
    spec = dataclasses.replace(
        good,
        centres=(a, dataclasses.replace(b, ipv4="198.19.250.2"),
                 dataclasses.replace(c, ipv4="198.19.251.3/24")),
    )
    text = "\n".join(validate_spec(spec))
    assert "'198.19.250.2' must be an IPv4 address with /prefix" in text
    assert "share one IPv4 and one IPv6 subnet" in text


def test_long_state_dir_is_refused_for_unix_sockets() -> None:
    spec = default_spec(Path("/" + "d" * 100))
    assert any("too long for PostgreSQL's Unix sockets" in p for p in validate_spec(spec))


def test_centre_names_for_postgres() -> None:
    centre = CentreSpec("dc-b", "gz-samecity", "same-city", "198.19.250.2/24",
                        "2001:db8:dc::2/64")
    assert centre.app_name == "dc_b"
