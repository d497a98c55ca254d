"""Operators and roles: the signed operator registry (`operators.yaml`) of an estate.

- `registry.py`: the registry file, loaded only when a security administrator's SM2
  signature over it verifies; changes are written re-signed.
- `roles.py`: `require_role(estate_dir, role, command)`, the check other commands call.
- `commands.py`: `govops operators init/add/remove/rotate/list`.

See docs/adr/0017-operator-registry.md.
"""

from __future__ import annotations

from govops.operators.registry import ROLES, Operator, Registry, load_registry
from govops.operators.roles import require_role

__all__ = ["ROLES", "Operator", "Registry", "load_registry", "require_role"]
