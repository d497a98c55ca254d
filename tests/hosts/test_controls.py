"""The compliance logic of `govops.hosts.controls`, without hosts.

Recorded probe output (tests/hosts/recorded/*.json, see record_probes.py) from the Molecule test
hosts: converged at level 2 and 3 everything passes; a prepared but unconverged host fails the
controls it should. Hand-made outputs pin the readers' edge cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govops.hosts import controls as c
from govops.hosts.controls import FAIL, NA, PASS, Context, ProbeOutput, evaluate_host

RECORDED = Path(__file__).resolve().parent / "recorded"
ROLE_DEFAULTS = Path(__file__).resolve().parents[2] / "playbooks/roles/baseline/defaults/main.yml"
NTP = ("2001:db8:0:ff::123", "198.18.16.123")
SYSLOG = ("2001:db8:0:ff::514",)


def ctx(level: int, host: str = "ops-gz-main-1", role: str = "ops", site: str = "gz-main") -> Context:
    return Context(host=host, site=site, role=role, mlps=level, ntp_servers=NTP, syslog_servers=SYSLOG)


def recorded(case: str) -> dict[str, ProbeOutput]:
    data = json.loads((RECORDED / f"{case}.json").read_text())
    return {name: ProbeOutput(**out) for name, out in data.items()}


def by_id(results):
    return {r.id: r for r in results}


# --- recorded hosts ---

def test_level3_converged_host_passes_every_control():
    results = evaluate_host(3, recorded("level3_converged"), ctx(3))
    failed = [(r.id, r.observed) for r in results if r.status == FAIL]
    assert failed == []
    assert {r.id for r in results if r.status == NA} == {"auditd-running", "sysctl-running"}
    assert len(results) == len(c.controls_for(3))


def test_level2_converged_host_passes_every_control():
    results = evaluate_host(2, recorded("level2_converged"), ctx(2, "app-gz-sec-1", "app", "gz-sec"))
    assert [(r.id, r.observed) for r in results if r.status == FAIL] == []
    assert {r.id for r in results if r.status == NA} == {"sysctl-running"}


def test_level2_host_does_not_meet_level3():
    """A level-2 host checked as level 3: the stricter settings fail, the common ones pass."""
    results = by_id(evaluate_host(3, recorded("level2_converged"), ctx(3, "app-gz-sec-1", "app", "gz-sec")))
    failed = {i for i, r in results.items() if r.status == FAIL}
    assert {"ssh-max-auth-tries", "ssh-ciphers", "ssh-macs", "ssh-kex", "ssh-log-level",
            "ssh-tcp-forwarding", "pwquality-minlen", "pwquality-root", "faillock-deny",
            "password-max-days", "umask", "shell-timeout", "auditd-installed", "audit-rules",
            "sysctl-persisted"} <= failed
    assert results["ssh-root-login"].status == PASS
    assert results["host-info-metric"].status == FAIL  # it says mlps=2


def test_fresh_host_fails_what_the_baseline_fixes():
    results = by_id(evaluate_host(3, recorded("fresh_prepared"), ctx(3)))
    for control_id, observed in [
        ("ssh-password-auth", "yes"),
        ("ssh-banner", "none"),
        ("ssh-idle-timeout", "0 s"),
        ("insecure-packages", "inetutils-inetd,inetutils-telnetd,telnetd"),
        ("insecure-ports", "23/tcp"),
        ("pwquality-minlen", "(not set)"),
        ("audit-rules", "none"),
    ]:
        assert results[control_id].status == FAIL, control_id
        assert results[control_id].observed.startswith(observed), (control_id, results[control_id])
    for control_id in ("node-exporter", "host-info-metric"):
        assert results[control_id].status == FAIL
        assert results[control_id].observed.startswith("GET http://127.0.0.1:9100/metrics failed (rc 1)")
        assert "Connection refused" in results[control_id].observed
    assert results["ntp-sources"].status == FAIL


def test_drifted_root_login_fails_exactly_that_control():
    outputs = recorded("level3_converged")
    sshd = outputs["sshd"]
    outputs["sshd"] = ProbeOutput(0, sshd.stdout.replace("permitrootlogin without-password",
                                                         "permitrootlogin yes"))
    failed = [r for r in evaluate_host(3, outputs, ctx(3)) if r.status == FAIL]
    assert [(r.id, r.ref, r.observed) for r in failed] == [("ssh-root-login", "8.1.4.2 b)", "yes")]


# --- readers and expectations ---

def test_sshd_failure_is_reported_as_observed_value():
    outputs = {"sshd": ProbeOutput(255, "", "sshd: no hostkeys available -- exiting.\n")}
    result = c.evaluate(c.CONTROLS[0], 3, outputs, ctx(3))
    assert result.status == FAIL
    assert result.observed == "sshd -T failed (rc 255): sshd: no hostkeys available -- exiting."


def test_missing_probe_fails():
    result = c.evaluate(c.CONTROLS[0], 2, {}, ctx(2))
    assert result.status == FAIL and "not run" in result.observed


@pytest.mark.parametrize("config,targets", [
    ('*.* action(type="omfwd" target="2001:db8:0:ff::514" port="514" protocol="tcp")',
     ["2001:db8:0:ff::514"]),
    ('*.* action(target="10.0.0.1"\n  type="omfwd")', ["10.0.0.1"]),
    ("*.* @@[2001:db8::1]:514\nauth.* @198.18.0.9", ["198.18.0.9", "2001:db8::1"]),
    ('# *.* action(type="omfwd" target="1.2.3.4")\n*.* /var/log/all', []),
])
def test_syslog_targets(config, targets):
    assert c.syslog_targets(ProbeOutput(0, config), ctx(3)) == targets


def test_syslog_needs_every_estate_collector():
    control = next(x for x in c.CONTROLS if x.id == "syslog-forward")
    two = ctx(3)
    two = Context(**{**two.__dict__, "syslog_servers": ("a", "b")})
    assert not control.expectation(3, two).ok(["a"])
    assert control.expectation(3, two).ok(["a", "b", "extra"])


def test_ntp_sources_must_be_exactly_the_estate_servers():
    csv = "^,?,198.18.16.123,0,6,0,-,+0,+0,0\n^,?,2001:db8:0:ff::123,0,6,0,-,+0,+0,0\n"
    control = next(x for x in c.CONTROLS if x.id == "ntp-sources")
    assert c.evaluate(control, 3, {"chrony": ProbeOutput(0, csv)}, ctx(3)).status == PASS
    extra = csv + "^,?,203.0.113.1,0,6,0,-,+0,+0,0\n"
    assert c.evaluate(control, 3, {"chrony": ProbeOutput(0, extra)}, ctx(3)).status == FAIL
    down = ProbeOutput(1, "", "506 Cannot talk to daemon\n")
    result = c.evaluate(control, 3, {"chrony": down}, ctx(3))
    assert result.status == FAIL and "506 Cannot talk to daemon" in result.observed


def test_key_values_last_wins_and_flags():
    text = "# minlen = 30\nminlen = 8\nenforce_for_root\nminlen=14 # later\n"
    assert c.key_values(text) == {"minlen": "14", "enforce_for_root": "yes"}
    assert c.key_values("PASS_MAX_DAYS\t90\nUMASK 027\n", separator=" ") == {"PASS_MAX_DAYS": "90",
                                                                              "UMASK": "027"}


def test_idle_timeout_zero_interval_fails():
    control = next(x for x in c.CONTROLS if x.id == "ssh-idle-timeout")
    out = ProbeOutput(0, "clientaliveinterval 0\nclientalivecountmax 3\n")
    assert c.evaluate(control, 2, {"sshd": out}, ctx(2)).status == FAIL
    out = ProbeOutput(0, "clientaliveinterval 300\nclientalivecountmax 3\n")
    assert c.evaluate(control, 2, {"sshd": out}, ctx(2)).status == PASS  # 900 s
    assert c.evaluate(control, 3, {"sshd": out}, ctx(3)).status == FAIL  # > 600 s


def test_kernel_controls_are_na_in_containers_only():
    outputs = {"container": ProbeOutput(0, "yes\n"), "auditctl": ProbeOutput(1, "", "EPERM")}
    control = next(x for x in c.CONTROLS if x.id == "auditd-running")
    assert c.evaluate(control, 3, outputs, ctx(3), in_container=True).status == NA
    assert c.evaluate(control, 3, outputs, ctx(3), in_container=False).status == FAIL
    loaded = ProbeOutput(0, "enabled 1\nfailure 1\npid 42\n-w /etc/passwd -p wa -k identity\n")
    assert c.evaluate(control, 3, {"auditctl": loaded}, ctx(3)).observed == "enabled 1, 1 rules"


def test_sysctl_running_reads_only_known_keys():
    control = next(x for x in c.CONTROLS if x.id == "sysctl-running")
    lines = "\n".join(f"{k} = {v}" for k, v in c.SYSCTL[3].items() if k != "net.core.bpf_jit_harden")
    assert c.evaluate(control, 3, {"sysctl_now": ProbeOutput(0, lines)}, ctx(3)).status == PASS
    drifted = lines.replace("kernel.kptr_restrict = 2", "kernel.kptr_restrict = 0")
    result = c.evaluate(control, 3, {"sysctl_now": ProbeOutput(0, drifted)}, ctx(3))
    assert result.status == FAIL and result.observed == "1 off: kernel.kptr_restrict=0"


def test_insecure_listeners():
    ss = ("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\ntcp LISTEN 0 128 [::]:23 [::]:*\n"
          "udp UNCONN 0 0 0.0.0.0:514 0.0.0.0:*\nudp UNCONN 0 0 0.0.0.0:69 0.0.0.0:*\n")
    assert c.insecure_listeners(ProbeOutput(0, ss), ctx(2)) == ["23/tcp", "69/udp"]


def test_levels_and_references():
    assert c.LEVELS == (2, 3)
    level2 = {x.id for x in c.controls_for(2)}
    level3 = {x.id for x in c.controls_for(3)}
    assert level2 < level3
    assert level3 - level2 == {"ssh-tcp-forwarding", "pwquality-root", "umask", "auditd-installed",
                               "audit-rules", "audit-to-syslog", "auditd-running"}
    for control in c.CONTROLS:
        for level, ref in control.refs.items():
            assert ref == "ops policy" or ref.startswith(f"{level + 5}.1."), (control.id, ref)
        assert set(control.expect) <= set(control.refs), control.id
    assert len({x.id for x in c.CONTROLS}) == len(c.CONTROLS)


# --- the role's defaults satisfy the controls (one requirement, two implementations) ---

@pytest.fixture(scope="module")
def role_levels():
    return yaml.safe_load(ROLE_DEFAULTS.read_text())


@pytest.mark.parametrize("level", c.LEVELS)
def test_role_profile_meets_the_controls(role_levels, level):
    profile = role_levels["baseline_levels"][level]
    context = ctx(level)
    assert set(profile["ssh_ciphers"]) <= set(c.SSH_CIPHERS[level])
    assert set(profile["ssh_macs"]) <= set(c.SSH_MACS[level])
    assert set(profile["ssh_kex"]) <= set(c.SSH_KEX[level])
    checks = {
        "ssh-max-auth-tries": profile["ssh_max_auth_tries"],
        "ssh-idle-timeout": profile["ssh_client_alive_interval"] * profile["ssh_client_alive_count_max"],
        "ssh-log-level": profile["ssh_log_level"],
        "pwquality-minlen": profile["pwquality"]["minlen"],
        "pwquality-minclass": profile["pwquality"]["minclass"],
        "faillock-deny": profile["faillock"]["deny"],
        "faillock-unlock": profile["faillock"]["unlock_time"],
        "password-max-days": profile["pass_max_days"],
        "shell-timeout": profile["shell_tmout"],
    }
    if level >= 3:
        checks.update({"umask": profile["umask"], "ssh-tcp-forwarding": profile["ssh_allow_tcp_forwarding"],
                       "pwquality-root": "yes" if profile["pwquality_enforce_for_root"] else None})
    for control_id, value in checks.items():
        control = next(x for x in c.CONTROLS if x.id == control_id)
        assert control.expectation(level, context).ok(value), (control_id, value)
    assert profile["audit"] is (level >= 3)
    sysctl = {**role_levels["baseline_sysctl_common"], **(profile["sysctl_extra"] or {})}
    assert {k: str(v) for k, v in sysctl.items()} == c.SYSCTL[level]
    assert role_levels["baseline_removed_packages"] == c.INSECURE_PACKAGES


def test_role_refuses_levels_without_a_baseline(role_levels):
    assert sorted(role_levels["baseline_levels"]) == list(c.LEVELS)
