"""Network render figures on the generated Guangdong estate, against Ansible's `template`.

Prints, in one run:

* govops in-process: load + validate the estate, render every device's config, lint every
  config (best of N), and the same for the Ansible subset;
* the whole `govops net render --estate … --out …` process (interpreter start-up included);
* `ansible-playbook` with `ansible.builtin.template` rendering THE SAME templates with the same
  per-device variables (connection local) for a stated subset — every 19th device from the
  10th, ≈100 devices across all levels and both vendors — checked byte-for-byte against
  govops' output, and scaled to the whole estate; then the ratio.

* `net diff` of every device against a realistic running config: its intent merged with the
  site sections (AAA, SNMP, loghosts, users, STP, banners, site ports, …) of one of the real
  VRP/Comware fixtures in `tests/network/<platform>/real/`, round robin; managed scope
  (issue 13) against the whole-config diff govops did before it (`full=True`), same run.

Targets (issue 4): render + validate every Guangdong config ≤ 5 s; the process ≤ 6 s.
Target (issue 13): the scoped diff of all 1,894 devices ≤ 10 s.

    .venv/bin/python benchmarks/network.py            # render figures (+ Ansible) + diff
    .venv/bin/python benchmarks/network.py --no-ansible
    .venv/bin/python benchmarks/network.py --only-diff
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import best

from govops.estate.estate import Estate
from govops.estate.generator import generate
from govops.estate.loader import load_estate
from govops.estate.views import node_view
from govops.network.diff import diff_device, driver_for, normalise, peer_networks
from govops.network.lint import lint_config
from govops.network.render import (
    device_context,
    render_all,
    shared_context,
    templates_dir,
    validate_configs,
)

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3
#: The Ansible subset: every 19th device from the 10th (skips the two province cores, whose
#: ~16,000-line configs would over-weight a 100-device sample ~10×).
SUBSET = slice(9, None, 19)


# -- govops --------------------------------------------------------------------------------


def govops_figures(estate_dir: Path, names: list[str]) -> dict:
    estate = load_estate(estate_dir)
    configs = render_all(estate)
    lines = sum(c.count("\n") for c in configs.values())

    def full() -> None:
        loaded = load_estate(estate_dir)
        validate_configs(loaded, render_all(loaded))

    def render_only() -> None:
        render_all(estate)

    def lint_only() -> None:
        for name, text in configs.items():
            lint_config(estate.nodes[name].platform, text)

    figures = {
        "devices": len(configs),
        "lines": lines,
        "megabytes": sum(len(c) for c in configs.values()) / 1e6,
        "load_render_validate_s": best(full, ROUNDS),
        "render_s": best(render_only, ROUNDS),
        "lint_s": best(lint_only, ROUNDS),
        "subset_render_s": best(lambda: render_all(estate, names), ROUNDS),
    }
    with tempfile.TemporaryDirectory() as out:
        for jobs in ("1", "2"):  # the default; two worker processes
            cpu0 = _children_cpu()
            figures[f"process_s_j{jobs}"] = best(lambda j=jobs: subprocess.run(
                [sys.executable, "-m", "govops", "net", "render", "--estate", str(estate_dir),
                 "--out", out, "--jobs", j], check=True, capture_output=True, cwd=ROOT), ROUNDS)
            figures[f"process_cpu_j{jobs}"] = (_children_cpu() - cpu0) / ROUNDS
    return figures


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- diff against realistic running configs -----------------------------------------------


def site_blocks(platform: str) -> list[list[str]]:
    """Per real fixture of `platform`: its top-level sections govops does not own (what a
    site adds to a device), as normalised text blocks."""
    from hier_config import get_hconfig

    from govops.network.platforms import platform_spec
    from govops.network.scope import restrict

    out = []
    for path in sorted((ROOT / "tests" / "network" / platform / "real").glob("*.cfg")):
        text = normalise(platform, path.read_text())
        tree = get_hconfig(driver_for(platform), text)
        restrict(tree, get_hconfig(driver_for(platform), ""), platform_spec(platform).scope)
        kept = {child.text for child in tree.children}
        blocks, current = [], []
        for line in text.splitlines():
            if line[:1] != " ":
                current = [line]
                blocks.append(current)
            elif current:
                current.append(line)
        out.append(["\n".join(b) for b in blocks if " ".join(b[0].split()) not in kept])
    return out


def realistic_running(estate: Estate, configs: dict[str, str]) -> dict[str, str]:
    """Each device's intent with one fixture's site sections added (none whose first line the
    intent has: a port the estate uses stays the estate's), `#`-separated before `return`."""
    sites = {p: site_blocks(p) for p in ("huawei_vrp", "h3c_comware")}
    running = {}
    for i, (name, text) in enumerate(configs.items()):
        platform = estate.nodes[name].platform
        heads = {ln for ln in text.splitlines() if ln[:1] not in (" ", "#")}
        blocks = sites[platform][i % len(sites[platform])]
        extra = "".join(f"#\n{b}\n" for b in blocks if b.split("\n", 1)[0] not in heads)
        running[name] = text.replace("\nreturn\n", f"\n{extra}#\nreturn\n")
    return running


def diff_figures(estate: Estate, configs: dict[str, str]) -> dict:
    running = realistic_running(estate, configs)
    nets = peer_networks(estate)
    site_lines = sum(r.count("\n") - c.count("\n") for r, c in zip(
        running.values(), configs.values(), strict=True))
    results: dict = {}

    def scoped() -> None:
        results["scoped"] = [diff_device(estate.nodes[n].platform, running[n], configs[n],
                                         device=n, peer_networks=nets) for n in configs]

    def whole() -> None:
        results["whole"] = [diff_device(estate.nodes[n].platform, running[n], configs[n],
                                        device=n, full=True) for n in configs]

    figures = {"site_lines": site_lines}
    figures["scoped_s"], figures["scoped_cpu"] = _wall_and_cpu(scoped, DIFF_ROUNDS)
    figures["whole_s"], figures["whole_cpu"] = _wall_and_cpu(whole, 1)
    figures["unmanaged"] = sum(d.unmanaged for d in results["scoped"])
    figures["scoped_changes"] = sum(len(d.changes) for d in results["scoped"])
    figures["whole_undo"] = sum(1 for d in results["whole"] for c in d.changes
                                if c.strip().startswith("undo "))
    figures["errors"] = sum(1 for d in results["scoped"] if d.error)
    return figures


DIFF_ROUNDS = 2


def _wall_and_cpu(fn, rounds: int) -> tuple[float, float]:  # noqa: ANN001
    """Least wall and least CPU seconds of `rounds` calls (the machine is shared: CPU time is
    the figure other work does not inflate)."""
    walls, cpus = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def print_diff(devices: int, d: dict) -> None:
    """The diff figures, one line each."""
    print(f"net diff, {devices} devices, intent + site sections of the real fixtures "
          f"({d['site_lines']:,} site lines in all):")
    print(f"  managed scope (issue 13): {d['scoped_s']:.2f} s wall, {d['scoped_cpu']:.2f} s CPU "
          f"(best of {DIFF_ROUNDS}; target <= 10 s); {d['unmanaged']:,} unmanaged lines left "
          f"alone, {d['scoped_changes']} changes, {d['errors']} unreadable")
    print(f"  whole config (before issue 13, full=True): {d['whole_s']:.2f} s wall, "
          f"{d['whole_cpu']:.2f} s CPU; would send {d['whole_undo']:,} `undo` commands")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


# -- Ansible -------------------------------------------------------------------------------


def _plain(value):
    """Context values as plain JSON data (dataclasses → dicts, tuples → lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


FILTER_PLUGIN = '''"""govops' render filters, for Ansible's template module."""
from govops.network.render import FILTERS


class FilterModule:
    def filters(self):
        return dict(FILTERS)
'''

PLAYBOOK = """- hosts: all
  gather_facts: false
  tasks:
    - name: render the device config
      ansible.builtin.template:
        src: "templates/{{ template_name }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.cfg"
        trim_blocks: true
        lstrip_blocks: true
        mode: "0644"
"""


def ansible_figures(estate: Estate, names: list[str], expected: dict[str, str]) -> dict:
    playbook_bin = Path(sys.executable).parent / "ansible-playbook"
    if not playbook_bin.exists():
        return {"skipped": f"{playbook_bin} not found"}
    shared = shared_context(estate)
    shared_vars = _plain(shared)
    # the reflectors' client lists are per-device variables (only reflectors need them)
    for key in ("rr_clients", "rr_clients_v4", "rr_clients_v6"):
        shared_vars.pop(key)
    with tempfile.TemporaryDirectory(prefix="govops-ansible-") as tmp:
        work = Path(tmp)
        out_dir = work / "out"
        out_dir.mkdir()
        (work / "templates").symlink_to(templates_dir())
        (work / "filter_plugins").mkdir()
        (work / "filter_plugins" / "govops_filters.py").write_text(FILTER_PLUGIN)
        (work / "render.yml").write_text(PLAYBOOK)
        hosts = {}
        for name in names:
            view = node_view(estate, name)
            context = device_context(estate, view, shared)
            context.pop("s")
            host = _plain(context)
            host["template_name"] = (f"{view.platform}/"
                                     f"{'carrier' if view.level == 'carrier' else 'device'}.j2")
            hosts[name] = host
        inventory = {"all": {"hosts": hosts, "vars": {
            "s": shared_vars, "out_dir": str(out_dir), "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}
        (work / "inventory.json").write_text(json.dumps(inventory))
        (work / "ansible.cfg").write_text("[defaults]\nforks = 5\nhost_key_checking = False\n"
                                          "retry_files_enabled = False\n")
        env = dict(os.environ, ANSIBLE_HOME=str(work / "ansible-home"),
                   ANSIBLE_LOCAL_TEMP=str(work / "ansible-tmp"),
                   ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   PATH=f"{playbook_bin.parent}:{os.environ.get('PATH', '')}")
        start = time.perf_counter()
        proc = subprocess.run([str(playbook_bin), "-i", str(work / "inventory.json"),
                               str(work / "render.yml")], cwd=work, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            return {"failed": "\n".join(tail)}
        identical = sum(1 for n in names
                        if (out_dir / f"{n}.cfg").read_text() == expected[n])
        shutil.rmtree(work / "ansible-home", ignore_errors=True)
    return {"devices": len(names), "seconds": seconds, "identical": identical}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-ansible", action="store_true", help="skip the Ansible run")
    parser.add_argument("--only-diff", action="store_true", help="only the diff figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        estate_dir = Path(tmp) / "guangdong"
        generate("guangdong", estate_dir)
        estate = load_estate(estate_dir)
        configs = render_all(estate)
        d = diff_figures(estate, configs)
        if args.only_diff:
            print_diff(len(configs), d)
            return
        names = list(estate.nodes)[SUBSET]
        g = govops_figures(estate_dir, names)
        a = None if args.no_ansible else ansible_figures(
            estate, names, render_all(estate, names))
    print(f"estate: guangdong, {g['devices']} devices; rendered {g['lines']:,} lines, "
          f"{g['megabytes']:.1f} MB (best of {ROUNDS})")
    print(f"govops load + validate estate + render + lint, all devices: "
          f"{g['load_render_validate_s']:.2f} s  (target <= 5 s)")
    print(f"  of which render {g['render_s']:.2f} s, lint {g['lint_s']:.2f} s")
    cores = os.cpu_count() or 1
    for jobs, label in (("1", "1 process (default)"), ("2", "--jobs 2")):
        print(f"govops net render process, {label} (start-up, load, render, lint, write): "
              f"{g[f'process_s_j{jobs}']:.2f} s wall, {g[f'process_cpu_j{jobs}']:.2f} s CPU "
              f"(best of {ROUNDS}; target <= 6 s)")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {cores} cores")
    print_diff(g["devices"], d)
    if a is None:
        return
    if "skipped" in a or "failed" in a:
        print(f"ansible-playbook: {a.get('skipped') or 'failed:'}")
        if "failed" in a:
            print(a["failed"])
        return
    per_device = a["seconds"] / a["devices"]
    scaled = per_device * g["devices"]
    print(f"ansible-playbook + template, {a['devices']} devices (every 19th from the 10th), "
          f"forks 5, connection local: {a['seconds']:.2f} s; "
          f"{a['identical']}/{a['devices']} outputs byte-identical to govops'")
    print(f"  scaled to {g['devices']} devices: {scaled:.0f} s; govops renders the same "
          f"{a['devices']} in {g['subset_render_s']:.2f} s")
    print(f"ratio, whole estate: ansible (scaled) / govops render+validate = "
          f"{scaled / g['load_render_validate_s']:.0f}x; per device on the subset: "
          f"{a['seconds'] / g['subset_render_s']:.0f}x")


if __name__ == "__main__":
    main()
