"""`govops cloud …` and `govops tenant add` as a user runs them: exit codes, one line per
problem, plan stability, a new tenant's plan change, the missing Pulumi CLI.

Commands run in-process through `govops.cli.main` (the console-script entry point, so exit
codes and error lines are the real ones) to spare an interpreter and a Pulumi import per call;
one test runs the real process to show that no traceback escapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from govops import cli
from tests.cloud.fake_pulumi import failing_pulumi
from tests.conftest import ROOT
from tests.estate.helpers import replace


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str] | None = None) -> Run:
    """`govops ARGS` in this process, from the checkout, with `env` overriding os.environ."""
    runner = CliRunner()
    saved_argv, saved_cwd = sys.argv, Path.cwd()
    code = 0
    with runner.isolation(env=env) as (stdout, stderr, _):
        sys.argv = ["govops", *args]
        os.chdir(ROOT)
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = saved_argv
            os.chdir(saved_cwd)
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return Run(code, out, err)


def flat(text: str) -> str:
    """Rich wraps at the terminal width: compare text with whitespace collapsed."""
    return " ".join(text.split())


def plan_json(estate: Path, *extra: str) -> dict:
    result = run("cloud", "plan", "--estate", str(estate), "--output", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def changes(plan: dict) -> list[dict]:
    return [c for s in plan["stacks"] for c in s["changes"]]


def test_plan_save_replan_then_tenant_add_creates_exactly_its_resources(lab_copy):
    first = plan_json(lab_copy, "--save")  # no saved plan yet: all creations; then saved
    assert first["summary"]["create"] == first["resources"] > 300
    assert {s["stack"] for s in first["stacks"]} == {"gd-gov", "gd-health", "fs-gov"}
    gov = first["stacks"][0]
    assert (gov["compared_with_saved_plan"], gov["saved"]) == (False, True)
    assert gov["by_type"]["openstack:networking/subnet:Subnet"] == 20
    assert not any("op" in r for s in first["stacks"] for r in (s["by_type"], s["by_tenant"]))
    assert sorted(p.name for p in (lab_copy / ".plans").iterdir()) == [
        "fs-gov.json", "gd-gov.json", "gd-health.json"]
    again = plan_json(lab_copy)
    assert changes(again) == [] and again["summary"] == dict.fromkeys(
        ("create", "replace", "update", "delete"), 0)

    tenants_before = (lab_copy / "tenants.yaml").read_text()
    added = run("tenant", "add", "--estate", str(lab_copy), "--department", "bars-dept",
                "--system", "bars-sys", "--cloud", "gd-gov", "--mlps", "3", "--dr-level", "5",
                "--network", "web:443", "--quota", "vcpu=8,ram_gb=32", "--output", "json")
    assert added.returncode == 0, added.stderr
    result = json.loads(added.stdout)
    # appended: the file's comments and every byte before stay as they were
    after_text = (lab_copy / "tenants.yaml").read_text()
    assert after_text.startswith(tenants_before)
    assert after_text[len(tenants_before):] == (
        "  - department: bars-dept\n    system: bars-sys\n    cloud: gd-gov\n    mlps: 3\n"
        "    dr_level: 5\n    quotas: {vcpu: 8, ram_gb: 32, volume_gb: 1024, floating_ips: 0}\n"
        "    networks:\n      - {name: web, public_ports: [443]}\n")
    lock = (lab_copy / "ipam.lock.yaml").read_text()
    assert f"bars-dept-bars-sys/web: {result['subnets']['web']['ipv4']}" in lock
    assert f"bars-dept-bars-sys/web: {result['subnets']['web']['ipv6']}" in lock
    assert result["replicas"] == [{"role": "remote-dr", "cloud": "gd-gov", "site": "mz-dr"},
                                  {"role": "same-city", "cloud": "gd-gov", "site": "gz-sec"}]

    after = changes(plan_json(lab_copy))
    assert after == result["changes"]  # what tenant add announced is what the plan shows
    assert len(after) > 60
    assert {(c["op"], c["tenant"]) for c in after} == {("create", "bars-dept-bars-sys")}
    subnet = next(c for c in after if c["name"] == "bars-dept-bars-sys-subnet-web-v6")
    assert subnet["changed"]["ipv6RaMode"] == [None, "slaac"]
    assert subnet["changed"]["cidr"] == [None, result["subnets"]["web"]["ipv6"]]


def test_tenant_add_text_output_and_bad_input_exit_2(lab_copy):
    before = (lab_copy / "tenants.yaml").read_text()
    bad = run("tenant", "add", "--estate", str(lab_copy), "--department", "hrss",
              "--system", "social-security", "--cloud", "gd-gvo", "--mlps", "7",
              "--dr-level", "9")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        f"error: tenant hrss-social-security already exists in {lab_copy}: choose another "
        "--system, or edit the existing tenant",
        "error: unknown cloud 'gd-gvo' (did you mean \"gd-gov\"?): use one of gd-gov, "
        "gd-health, fs-gov",
        "error: --mlps 7: the MLPS (等保) level is 1 to 5",
        "error: --dr-level 9: the DR level is one of 1, 2, 3, 4, 5, 6 (policy/dr-levels.yaml)"]
    quota = run("tenant", "add", "--estate", str(lab_copy), "--department", "a", "--system",
                "b", "--cloud", "gd-gov", "--mlps", "2", "--dr-level", "2", "--quota", "cpu=4")
    assert quota.returncode == 2
    assert quota.stderr.splitlines() == [
        "error: --quota: unknown dimension 'cpu' (did you mean \"vcpu\"?): use vcpu, ram_gb, "
        "volume_gb, floating_ips"]
    assert (lab_copy / "tenants.yaml").read_text() == before

    ok = run("tenant", "add", "--estate", str(lab_copy), "--department", "ecology",
             "--system", "water", "--cloud", "gd-gov", "--mlps", "2", "--dr-level", "3")
    assert ok.returncode == 0, ok.stderr
    assert "added tenant ecology-water" in flat(ok.stdout)
    assert "all of them ecology-water's; nothing else changes" in flat(ok.stdout)
    text = run("cloud", "plan", "--estate", str(lab_copy), "--stack", "fs-gov")
    assert text.returncode == 0, text.stderr
    shown = flat(text.stdout)
    assert "stack fs-gov: 42 resources, 1 tenant" in shown and "networking.Subnet │ 4" in shown
    assert "no saved plan at" in shown and "1 stack, 42 resources: 42 to create" in shown


def test_guardrail_violation_exits_1_with_every_message_and_plans_nothing(lab_copy):
    # The estate fits (home quotas 176 of 200 vCPU); the DR copies placed on gd-gov do not.
    replace(lab_copy / "clouds.yaml", "capacity: {vcpu: 2048,", "capacity: {vcpu: 200,")
    result = run("cloud", "plan", "--estate", str(lab_copy), "--save", "--output", "json")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: GR005 tenant hrss-social-security: its vcpu quota (remote-dr copy) brings cloud "
        "gd-gov to 256 vcpu, over its capacity of 200; fix: lower the quota by 56 or more, place "
        "the tenant on another cloud, or raise the capacity of gd-gov",
        "error: 1 guardrail violation: nothing was planned"]
    assert not (lab_copy / ".plans").exists()


def test_unknown_stack_is_bad_input(lab_copy):
    result = run("cloud", "plan", "--estate", str(lab_copy), "--stack", "gd-gvo")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: no stack 'gd-gvo' (did you mean \"gd-gov\"?): the stacks are the estate's "
        "clouds: gd-gov, gd-health, fs-gov (or all)"]


def test_up_and_destroy_without_the_pulumi_cli_say_so_in_one_line():
    hint = ("error: the pulumi CLI is not on PATH: install it (curl -fsSL "
            "https://get.pulumi.com | sh, then add ~/.pulumi/bin to PATH) and log in to a state "
            "backend (pulumi login); `govops cloud plan` works without it")
    env = {"PATH": "/usr/bin:/bin"}
    for args in (("up", "--stack", "gd-gov"), ("destroy", "--stack", "gd-gov", "--yes")):
        result = run("cloud", *args, env=env)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.splitlines() == [hint]
    # the real process, as the acceptance check runs it: no traceback, one line, exit 2
    done = subprocess.run([sys.executable, "-m", "govops", "cloud", "up", "--stack", "provincial"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [hint])


def test_destroy_wants_yes():
    result = run("cloud", "destroy", "--stack", "gd-gov")
    assert result.returncode == 2
    assert "pass --yes to confirm" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_failing_pulumi_cli_is_one_line_exit_1(tmp_path):
    """With a CLI that cannot reach a backend, `up` reports Pulumi's last error line."""
    bin_dir, stacks = failing_pulumi(tmp_path)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    result = run("cloud", "up", "--stack", "gd-gov", "--stacks", str(stacks), env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: pulumi up of stack gd-gov failed: error: PULUMI_ACCESS_TOKEN must be set for login"]
    assert (stacks / "specs" / "gd-gov.json").is_file()
    assert (stacks / "Pulumi.gd-gov.yaml").is_file()


def test_stacks_writes_the_config_of_every_cloud(tmp_path):
    result = run("cloud", "stacks", "--out", str(tmp_path / "stacks"), "--output", "json")
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    assert written["changed"] == ["gd-gov", "gd-health", "fs-gov"] and written["stale"] == []
    config = (tmp_path / "stacks" / "Pulumi.fs-gov.yaml").read_text()
    assert config == ("# Generated by `govops cloud stacks` from inventories/lab: do not edit, "
                      "regenerate.\nconfig:\n  govops:spec: specs/fs-gov.json\n"
                      "  openstack:cloud: fs-gov\n")
