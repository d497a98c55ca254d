"""Rules the estate waives on purpose (exceptions), so they stay visible after validation.

Today the one waivable rule is dual homing (`single_homed: REASON` on a node); the list is
what `estate validate`, `estate show`, the rendered configs and the
`govops_estate_exceptions` metric all read, so a new waiver appears everywhere at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from govops.estate.estate import Estate
from govops.estate.model import Node

#: The rules an estate can waive, each with the field that waives it.
RULES = ("single_homed",)


@dataclass(frozen=True)
class Waiver:
    """One waived rule: which rule, on which entity, and the estate's stated reason."""

    rule: str
    kind: str
    name: str
    reason: str
    display_name: str = ""

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self)

    def __str__(self) -> str:
        who = f"{self.name} ({self.display_name})" if self.display_name else self.name
        return f"{self.rule}: {self.kind} {who}: {self.reason}"


def node_waivers(node: Node) -> list[Waiver]:
    """The rules one node waives."""
    if node.single_homed and node.single_homed.strip():
        return [Waiver("single_homed", node.level, node.name, node.single_homed.strip(),
                       node.display_name)]
    return []


def waivers(estate: Estate) -> list[Waiver]:
    """Every waived rule of the estate, in estate order."""
    return [w for node in estate.nodes.values() for w in node_waivers(node)]
