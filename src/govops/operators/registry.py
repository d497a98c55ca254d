"""`operators.yaml`: who may act on an estate, with which SM2 key and which roles.

The file is YAML written by govops::

    version: 1
    operators:
    - name: alice
      key_id: 3f2a…            # sm2.key_id(public)
      public: 5b1c…            # x‖y, 128 hex digits
      roles: [security-admin]
      added: '2026-11-28T10:00:00.000Z'
    signature:
      operator: alice          # a security administrator listed above
      key_id: 3f2a…
      signed_at: '2026-11-28T10:00:00.000Z'
      sig: 9c0d…               # SM3withSM2 over the canonical JSON of all but `sig`

It loads only when the signature verifies with the public key of an operator in the file who
holds `security-admin`; anything else (a hand edit, a foreign signer) is one `BadInput` line
naming the file. See docs/adr/0017-operator-registry.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from govops.audit import keys, sm2
from govops.audit.trail import canonical, now_iso
from govops.errors import BadInput

REGISTRY_NAME = "operators.yaml"
VERSION = 1
#: Every role, in the order they are shown and stored.
ROLES = ("system-admin", "security-admin", "audit-admin", "approver")
SECURITY_ADMIN = "security-admin"
HEADER = ("# Operator registry of this estate, signed by a security administrator.\n"
          "# Change it only with `govops operators add/remove/rotate`: a hand edit breaks the\n"
          "# signature and the registry then refuses to load.\n")


@dataclass(frozen=True)
class Operator:
    """One operator: name, SM2 public key (and its id), roles."""

    name: str
    key_id: str
    public: str
    roles: tuple[str, ...]
    added: str = ""

    def holds(self, role: str) -> bool:
        """True when this operator holds `role`."""
        return role in self.roles

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "key_id": self.key_id, "public": self.public,
                "roles": list(self.roles), "added": self.added}


@dataclass(frozen=True)
class Registry:
    """A verified registry: its operators and who signed it."""

    path: Path
    operators: tuple[Operator, ...]
    signature: dict[str, str] = field(default_factory=dict)
    #: The security administrators' seal on policy tables and waivers (`seal.py`), if any.
    policy: dict[str, Any] | None = None

    def by_name(self, name: str) -> Operator | None:
        """The operator called `name`, if any."""
        return next((op for op in self.operators if op.name == name), None)

    def by_key(self, key_id: str) -> Operator | None:
        """The operator whose current key is `key_id`, if any."""
        return next((op for op in self.operators if op.key_id == key_id), None)

    def with_operators(self, operators: list[Operator]) -> Registry:
        """A copy holding `operators` (unsigned until `save`); the policy seal is kept."""
        return replace(self, operators=tuple(operators), signature={})

    def with_policy(self, policy: dict[str, Any]) -> Registry:
        """A copy with a new policy seal (unsigned until `save`)."""
        return replace(self, policy=policy, signature={})


def registry_path(estate_dir: Path) -> Path:
    """Where an estate's registry lives: `<estate>/operators.yaml`; for the lab estate (`lab:
    true` and not `change_approval: required`) the file `GOVOPS_LAB_OPERATORS` names, when set
    (the test session's and `make demo`'s operators: the committed lab estate stays as it is)."""
    from govops.estate.settings import read_settings

    override = os.environ.get("GOVOPS_LAB_OPERATORS", "").strip()
    if not override and "GOVOPS_LAB_OPERATORS" not in os.environ:
        from govops.audit.keys import identity

        override = identity().get("lab_operators", "")
    if override and read_settings(Path(estate_dir)).is_lab:
        return Path(override).expanduser()
    return Path(estate_dir) / REGISTRY_NAME


#: Where a machine pins the keys that may sign a (non-lab) registry, if it does.
ANCHOR_DEFAULT = Path("/etc/govops/operators-anchor.yaml")


def anchor_path() -> Path | None:
    """The trust anchor file: `GOVOPS_OPERATORS_ANCHOR`, else /etc/govops/operators-anchor.yaml
    when it exists, else None (no pinning)."""
    raw = os.environ.get("GOVOPS_OPERATORS_ANCHOR", "").strip()
    if raw:
        return Path(raw).expanduser()
    return ANCHOR_DEFAULT if ANCHOR_DEFAULT.exists() else None


def pinned_signers(estate_dir: Path) -> tuple[Path, frozenset[str]] | None:
    """(anchor file, key ids that may sign this estate's registry), or None when nothing is
    pinned (no anchor, or the lab estate). The anchor lives outside the estate, so whoever can
    write the estate cannot replace the registry with one naming themselves."""
    from govops.estate.settings import read_settings

    path = anchor_path()
    if path is None or read_settings(Path(estate_dir)).is_lab:
        return None
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadInput(f"operator trust anchor {path}: cannot read it ({exc})") from None
    signers = doc.get("signers") if isinstance(doc, dict) else None
    if not isinstance(signers, list) or not all(isinstance(k, str) for k in signers):
        raise BadInput(f"operator trust anchor {path}: expected `signers: [key id, ...]`")
    return path, frozenset(signers)


def check_pinned(estate_dir: Path, key_id: str, what: str) -> None:
    """BadInput when a trust anchor is configured and does not list `key_id`."""
    pinned = pinned_signers(estate_dir)
    if pinned is not None and key_id not in pinned[1]:
        raise BadInput(f"{what}: key {key_id} is not pinned in the operator trust anchor "
                       f"{pinned[0]}: only a security administrator listed there may sign "
                       "the registry")


def check_name(name: str) -> str:
    """An operator name as `audit keygen` allows it (letters, Chinese included, digits, -_.)."""
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise BadInput(f"operator name {name!r}: use letters, digits, '-', '_' or '.'")
    return name


def check_roles(roles: list[str]) -> tuple[str, ...]:
    """Roles in their stored order; BadInput naming an unknown one."""
    if not roles:
        raise BadInput(f"no role: give at least one --role ({', '.join(ROLES)})")
    for role in roles:
        if role not in ROLES:
            raise BadInput(f"--role {role}: unknown role: use one of {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in roles)


def operator_from_key(name: str, pub: keys.PublicKey, roles: list[str]) -> Operator:
    """A new registry entry for `pub`."""
    return Operator(check_name(name), pub.key_id, pub.public, check_roles(roles), now_iso())


def _document(operators: tuple[Operator, ...], signature: dict[str, str],
              policy: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": VERSION, "operators": [op.to_json() for op in operators]}
    if policy is not None:
        doc["policy"] = policy
    doc["signature"] = signature
    return doc


def _signed_bytes(doc: dict[str, Any]) -> bytes:
    """What the signature covers: the whole document but `signature.sig`."""
    signature = {k: v for k, v in doc["signature"].items() if k != "sig"}
    return canonical({**doc, "signature": signature})


def render(registry: Registry, signer: keys.OperatorKey) -> str:
    """The registry signed by `signer` (who must hold security-admin in it), as file text."""
    op = registry.by_key(signer.public.key_id)
    if op is None or not op.holds(SECURITY_ADMIN):
        raise BadInput(f"{registry.path}: the registry must be signed by one of its security "
                       f"administrators, and key {signer.public.key_id} is not one")
    signature = {"operator": op.name, "key_id": op.key_id, "signed_at": now_iso()}
    doc = _document(registry.operators, signature, registry.policy)
    signature["sig"] = signer.sign(_signed_bytes(doc))
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def stage(registry: Registry, signer: keys.OperatorKey) -> Path:
    """Write the signed registry beside its final path (mode 644, fsynced); returns the staged
    file, for `audited.stage` or `os.replace`."""
    text = render(registry, signer)
    staged = registry.path.with_name(f".{registry.path.name}.{os.getpid()}.tmp")
    try:
        with staged.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise _bad(registry.path, f"cannot write it ({exc.strerror or exc})") from None
    return staged


def _bad(path: Path, message: str) -> BadInput:
    return BadInput(f"operator registry {path}: {message}")


def _text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(path, f"{where}: expected a non-empty string")
    return value


def _operator(path: Path, n: int, entry: Any) -> Operator:
    if not isinstance(entry, dict):
        raise _bad(path, f"operators[{n}]: expected a mapping")
    unknown = sorted(set(entry) - {"name", "key_id", "public", "roles", "added"})
    if unknown:
        raise _bad(path, f"operators[{n}]: unknown field {unknown[0]!r}")
    name = _text(path, f"operators[{n}].name", entry.get("name"))
    try:
        check_name(name)
        public = sm2.normalise_public(_text(path, f"operator {name}: public", entry.get("public")))
    except (BadInput, ValueError) as exc:
        raise _bad(path, f"operator {name}: {exc}") from None
    key_id = _text(path, f"operator {name}: key_id", entry.get("key_id"))
    if key_id != sm2.key_id(public):
        raise _bad(path, f"operator {name}: key_id {key_id} does not match the public key")
    roles = entry.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise _bad(path, f"operator {name}: roles: expected a list of roles")
    try:
        ordered = check_roles(roles)  # order and repeats: the signature check catches those
    except BadInput as exc:
        raise _bad(path, f"operator {name}: {str(exc).removeprefix('--role ')}") from None
    added = _text(path, f"operator {name}: added", entry.get("added"))
    return Operator(name, key_id, public, ordered, added)


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"no operator registry {path}: make one with govops operators init") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise _bad(path, f"not readable YAML ({first})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise _bad(path, f"not a version-{VERSION} operator registry")
    unknown = sorted(set(doc) - {"version", "operators", "signature", "policy"})
    if unknown:
        raise _bad(path, f"unknown field {unknown[0]!r}: the registry was edited by hand")
    return doc


def load_registry(estate_dir: Path) -> Registry:
    """The estate's registry, verified: every entry well-formed, names and keys unique, and
    signed by one of its security administrators. BadInput, one line naming the file, if not."""
    path = registry_path(estate_dir)
    doc = _read(path)
    entries = doc.get("operators")
    if not isinstance(entries, list) or not entries:
        raise _bad(path, "operators: expected a non-empty list")
    operators = tuple(_operator(path, n, e) for n, e in enumerate(entries))
    for attr, what in (("name", "operator"), ("key_id", "key")):
        values = [getattr(op, attr) for op in operators]
        dup = next((v for v in values if values.count(v) > 1), None)
        if dup is not None:
            raise _bad(path, f"{what} {dup} is listed twice")
    signature = doc.get("signature")
    if not isinstance(signature, dict) or set(signature) != {"operator", "key_id", "signed_at", "sig"}:
        raise _bad(path, "no valid signature block: the registry was edited by hand")
    signature = {k: _text(path, f"signature.{k}", v) for k, v in signature.items()}
    signer = next((op for op in operators if op.key_id == signature["key_id"]), None)
    if signer is None or not signer.holds(SECURITY_ADMIN):
        raise _bad(path, f"signed by key {signature['key_id']}, which is not a security "
                   "administrator's key in it: the registry was edited by hand")
    if not sm2.verify(signer.public, _signed_bytes(doc), signature["sig"]):
        raise _bad(path, f"the signature by {signer.name} does not verify: the registry was "
                   "edited by hand (change it only with govops operators …)")
    check_pinned(estate_dir, signer.key_id, f"operator registry {path}: signed by {signer.name}")
    policy = doc.get("policy")
    if policy is not None and (not isinstance(policy, dict)
                               or not isinstance(policy.get("tables"), dict)
                               or not isinstance(policy.get("waivers"), str)):
        raise _bad(path, "policy: not a policy seal: the registry was edited by hand")
    return Registry(path, operators, signature, policy)


def new_registry(estate_dir: Path, first: Operator) -> Registry:
    """An unsigned registry holding only `first` (for `operators init`)."""
    return Registry(registry_path(estate_dir), (first,))
