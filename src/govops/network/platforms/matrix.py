"""The platform support matrix, generated from the registry (docs/platforms.md).

Like napalm's support matrix, it is read off what each platform declares, never written by
hand: `python -m govops.network.platforms.matrix > docs/platforms.md`, and a test fails when
the committed file is stale.
"""

from __future__ import annotations

from govops.network.platforms import PlatformSpec, platforms

HEADER = """# Platform support matrix

Generated from `govops.network.platforms` by
`python -m govops.network.platforms.matrix > docs/platforms.md`; do not edit by hand
(`tests/network/test_platform_matrix.py` fails when it is stale).

"""


def _scope(spec: PlatformSpec) -> str:
    if spec.scope.owns_all:
        return "whole config"
    widen = ", ".join(sorted(spec.scope.prunable)) or "none"
    return f"estate's lines only (widen: {widen})"


def _displays(spec: PlatformSpec) -> str:
    if not spec.displays:
        return "live driver reads state" if spec.live_driver else "—"
    return "<br>".join(f"`{d.command}` → {d.feeds}" for d in spec.displays)


def rows() -> list[dict[str, str]]:
    """One row per registered platform, in name order."""
    out = []
    for name, spec in sorted(platforms().items()):
        out.append({
            "platform": f"`{name}`",
            "templates": f"`network/templates/{spec.templates}/`",
            "push (Netmiko)": f"`{spec.netmiko_device_type}`",
            "live driver": f"`{spec.live_driver}`" if spec.live_driver else "render and diff only",
            "managed scope": _scope(spec),
            "verification reads": _displays(spec),
            "ports (≥10G, slower, mgmt)": ", ".join(f"`{p}`" for p in spec.ports),
        })
    return out


def render_matrix() -> str:
    """docs/platforms.md as it must read now."""
    table = rows()
    cols = list(table[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for r in table]
    return HEADER + "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_matrix(), end="")
