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

MODELS_HEADER = """
## Device models

A node's `model:` in the estate (the platform's default when left out) names its ports and
says what its `display current-configuration` prints on a routed port. Each platform's table
is `src/govops/network/platforms/<platform>/models.toml` (ADR 0011, addendum).

"""


def _scope(spec: PlatformSpec) -> str:
    if spec.scope.owns_all:
        return "whole config"
    widen = ", ".join(sorted(spec.scope.prunable)) or "none"
    return f"estate's lines only (widen: {widen})"


def _displays(spec: PlatformSpec) -> str:
    if not spec.displays:
        return "live driver reads state" if spec.live_driver else "—"
    every = {f for d in spec.displays for f in d.flavours}

    def only(d) -> str:  # noqa: ANN001 - a parse.Display
        missing = sorted(every - set(d.flavours))
        if not missing:
            return ""
        if "" in d.flavours:
            return f" (not {', '.join(missing)})"
        return f" ({', '.join(d.flavours)})"
    return "<br>".join(f"`{d.command}` → {d.feeds}{only(d)}" for d in spec.displays)


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
            "device models (default first)": ", ".join(
                f"`{m}`" for m in sorted(spec.models, key=lambda m: m != spec.default_model.name)),
        })
    return out


def model_rows() -> list[dict[str, str]]:
    """One row per device model, platform by platform (each platform's models.toml)."""
    out = []
    for name, spec in sorted(platforms().items()):
        for model in sorted(spec.models.values(), key=lambda m: m.name):
            tiers = [f"`{p.format(n=model.first_port)}`" + (f" (≥{floor // 1000}G)" if floor
                                                              else "")
                     for floor, p in model.ports]
            out.append({
                "platform": f"`{name}`",
                "model": f"`{model.name}`" + (" (default)" if model == spec.default_model else ""),
                "what": model.description,
                "first port by link speed": ", ".join(tiers),
                "management": f"`{model.mgmt}`",
                "routed port starts with": f"`{model.route_mode}`" if model.route_mode else "—",
                "`undo shutdown`": "printed" if model.undo_shutdown else "—",
                "vty": f"`{model.vty}`" if model.vty else "—",
                "push (Netmiko)": (f"`{model.netmiko or spec.netmiko_device_type}`"
                                   + (f" ({model.flavour})" if model.flavour else "")),
            })
    return out


def _table(rows_: list[dict[str, str]]) -> str:
    cols = list(rows_[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for r in rows_]
    return "\n".join(lines) + "\n"


def render_matrix() -> str:
    """docs/platforms.md as it must read now."""
    return (HEADER + _table(rows()) + MODELS_HEADER + _table(model_rows()))


if __name__ == "__main__":
    print(render_matrix(), end="")
