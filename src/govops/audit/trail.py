"""The audit log: one signed JSON record per state-changing command, in an SM3 hash chain.

`audit/audit.jsonl` in the checkout (`GOVOPS_AUDIT_LOG` overrides). Each line is the canonical
JSON (sorted keys, no spaces, UTF-8) of one record::

    {"v": 1, "seq": 7, "ts": "2026-11-28T10:00:00.123Z",
     "who": {"user": "ops", "host": "jump1", "operator": "alice", "key_id": "…"},
     "command": "net push", "argv": ["govops", "net", "push", …], "cwd": "…",
     "estate": {"dir": "inventories/lab", "sm3": "…", "files": 8} | null,
     "inputs": {path: {"sm3": …, "size": …}}, "result": "ok",
     "artefacts": {path: {"sm3": …, "size": …}}, "devices": [...], "tenants": [...],
     "detail": {...}, "prev": SM3 of the previous line (64 zeros for the first),
     "sums": {field: first 8 hex digits of SM3(canonical value)},
     "sig": SM3withSM2 r‖s over the canonical record without "sig" | null}

`prev` chains every line to the one before it (the signature included); `sig` proves who
wrote it; `sums` only serves diagnosis (`audit verify` names the edited field). A head file
(`audit.jsonl.head`) holds the last sequence number and line hash, signed, so cutting records
off the end is detected too. Appends take an exclusive `flock` on the log.

Every record is signed by the acting operator (issue 18, ADR 0018). An unsigned, chain-only
record (`"sig": null`) is written only when the command asked for it — `--unsigned` on the lab
estate (`allow_unsigned("lab")`) — or for a refusal of someone with no key; it says so in
`detail.unsigned` ("lab" or "refusal"), and `audit verify` counts those apart. Without a key and
without that, `audited` refuses before the command does anything. An unsigned record with no
such mark after a signed one fails `audit verify` (a key that disappeared, or a forged record).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime as dt
import fcntl
import getpass
import json
import os
import re
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import ContextDecorator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govops.audit import keys
from govops.audit.digests import display, file_digests, tree_digest
from govops.audit.sm3 import sm3_hex
from govops.errors import BadInput, GovopsError
from govops.paths import REPO_ROOT

VERSION = 1
GENESIS = "0" * 64
#: Fields every record has, in display order.
FIELDS = ("v", "seq", "ts", "who", "command", "argv", "cwd", "estate", "inputs", "result",
          "artefacts", "devices", "tenants", "detail", "prev", "sums", "sig")


class AuditLogError(GovopsError):
    """The audit log cannot be appended to (exit 1: the trail needs attention)."""

    exit_code = 1


def log_path() -> Path:
    """The audit log: `GOVOPS_AUDIT_LOG`, else `audit/audit.jsonl` in the checkout."""
    raw = os.environ.get("GOVOPS_AUDIT_LOG", "").strip()
    return Path(raw).expanduser() if raw else REPO_ROOT / "audit" / "audit.jsonl"


def keyring_path(log: Path) -> Path:
    """Trusted operator keys: `GOVOPS_AUDIT_KEYRING`, else `keys/` beside the log."""
    raw = os.environ.get("GOVOPS_AUDIT_KEYRING", "").strip()
    return Path(raw).expanduser() if raw else log.parent / "keys"


def head_path(log: Path) -> Path:
    return log.with_name(log.name + ".head")


def canonical(data: Any) -> bytes:
    """The one byte form that is hashed and signed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def field_sums(body: dict) -> dict[str, str]:
    return {k: sm3_hex(canonical(v))[:8] for k, v in body.items() if k not in ("sums", "sig")}


def signed_bytes(data: dict) -> bytes:
    """What the signature covers: the record without `sig`."""
    return canonical({k: v for k, v in data.items() if k != "sig"})


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    """A record time (`…Z`) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_since(text: str) -> dt.datetime:
    """`--since`: an ISO date or date-time (UTC unless it says otherwise), or an age such as
    `90m`, `12h`, `7d`."""
    text = text.strip()
    match = re.fullmatch(r"(\d+)\s*([smhdw])", text)
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
        return dt.datetime.now(dt.UTC) - dt.timedelta(**{unit: int(match[1])})
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--since {text!r}: expected a date (2026-11-28), a date-time "
                       "(2026-11-28T10:00) or an age (90m, 12h, 7d)") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class AuditRecord:
    """One record as written (`data`), its line and the line's SM3 (`hash`)."""

    data: dict
    line: bytes
    hash: str

    @classmethod
    def from_line(cls, line: bytes) -> AuditRecord:
        return cls(json.loads(line), line, sm3_hex(line))

    def __getattr__(self, name: str) -> Any:
        if name in FIELDS:
            return self.data.get(name)
        raise AttributeError(name)

    @property
    def signed(self) -> bool:
        return bool(self.data.get("sig"))

    @property
    def when(self) -> dt.datetime:
        return parse_time(self.data["ts"])


def iter_lines(log: Path) -> Iterator[bytes]:
    """The log's lines without their newline (empty lines included: they are damage too)."""
    with log.open("rb") as handle:
        for raw in handle:
            yield raw.rstrip(b"\n")


def read_records(log: Path) -> Iterator[tuple[int, AuditRecord | None]]:
    """(line number, record) for each line; None for a line that is not a JSON object."""
    for number, line in enumerate(iter_lines(log), 1):
        try:
            rec = AuditRecord.from_line(line)
        except ValueError:
            yield number, None
            continue
        yield number, rec if isinstance(rec.data, dict) else None


def _last_line(handle) -> bytes | None:
    """The last non-empty line of an open binary file (read backwards)."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return None
    block, data, pos = 65536, b"", end
    while pos > 0:
        step = min(block, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    stripped = data.rstrip(b"\n")
    return stripped or None


def _tail(handle, log: Path) -> tuple[int, str]:
    """(sequence number, line hash) of the last record; (0, GENESIS) for an empty log."""
    last = _last_line(handle)
    if last is None:
        return 0, GENESIS
    try:
        seq = int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError):
        raise AuditLogError(f"audit log {log}: the last line is not a record, so nothing can be "
                            "chained to it: run govops audit verify") from None
    return seq, sm3_hex(last)


@contextlib.contextmanager
def _locked(log: Path):
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_head(log: Path, seq: int, line_hash: str, key: keys.OperatorKey | None) -> None:
    head: dict[str, Any] = {"v": VERSION, "seq": seq, "hash": line_hash, "ts": now_iso(),
                            "key_id": key.public.key_id if key else None}
    head["sig"] = key.sign(signed_bytes(head)) if key else None
    tmp = head_path(log).with_suffix(".head.tmp")
    tmp.write_bytes(canonical(head) + b"\n")
    os.replace(tmp, head_path(log))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid {os.getuid()}"


def _who(key: keys.OperatorKey | None) -> dict[str, Any]:
    who: dict[str, Any] = {"user": _os_user(), "host": socket.gethostname(),
                           "operator": key.public.operator if key else None,
                           "key_id": key.public.key_id if key else None}
    if os.environ.get("SUDO_USER"):
        who["sudo_user"] = os.environ["SUDO_USER"]
    return who


_FROM_ENV: Any = object()
#: Why this process may write unsigned records ("lab": `--unsigned` on the lab estate), if it may.
_UNSIGNED: contextvars.ContextVar[str | None] = contextvars.ContextVar("govops_unsigned",
                                                                      default=None)
#: The reasons an unsigned record may give (`detail.unsigned`).
UNSIGNED_REASONS = ("lab", "refusal")


def allow_unsigned(reason: str | None) -> None:
    """Let this process write unsigned records for `reason` ("lab"); None takes it back."""
    if reason is not None and reason not in UNSIGNED_REASONS:
        raise ValueError(f"unsigned reason {reason!r}")
    _UNSIGNED.set(reason)


def unsigned_allowed() -> str | None:
    """The reason this process may write unsigned records, or None (every record signed)."""
    return _UNSIGNED.get()


def _no_key(command: str) -> GovopsError:
    from govops.errors import NotAllowed

    return NotAllowed(f"{command}: no operator key, and every audit record is signed: set "
                      "GOVOPS_AUDIT_KEY (passphrase from GOVOPS_AUDIT_PASSPHRASE, "
                      "GOVOPS_AUDIT_PASSPHRASE_FILE or the terminal); on the lab estate "
                      "--unsigned runs without one")


def record(command: str, argv: list[str], result: str, inputs: Iterable[Path] = (),
           artefacts: Iterable[Path] = (), estate_dir: Path | None = None, *,
           devices: Iterable[str] = (), tenants: Iterable[str] = (), detail: dict | None = None,
           log: Path | None = None, key: keys.OperatorKey | None = _FROM_ENV,
           staged: dict[Path, Path] | None = None, unsigned: str | None = None) -> AuditRecord:
    """Append one record and return it. Folders among `inputs`/`artefacts` stand for every
    file below them; paths that do not exist are left out. `key` defaults to the operator key
    from the environment. Without a key the record is unsigned only for a reason — `unsigned`
    ("refusal") or the process's `allow_unsigned` — written into `detail.unsigned`; otherwise
    NotAllowed. `staged` maps a final path to the file that will replace it once the record is
    written: the record digests the staged content."""
    log = Path(log) if log else log_path()
    key = keys.from_env() if key is _FROM_ENV else key
    if key is None:
        reason = unsigned or unsigned_allowed()
        if reason is None:
            raise _no_key(command)
        detail = {**(detail or {}), "unsigned": reason}
    staged = {Path(k): Path(v) for k, v in (staged or {}).items()}
    estate = None
    if estate_dir is not None:
        estate_hash, count = tree_digest(Path(estate_dir), staged)
        estate = {"dir": display(Path(estate_dir)), "sm3": estate_hash, "files": count}
    body: dict[str, Any] = {
        "v": VERSION, "who": _who(key), "command": command,
        "argv": [str(a) for a in argv], "cwd": display(Path.cwd()), "estate": estate,
        "inputs": file_digests(p for p in inputs if Path(p).exists()), "result": str(result),
        "devices": sorted(set(devices)), "tenants": sorted(set(tenants)), "detail": detail or {},
    }
    with _locked(log) as handle:
        # artefacts are digested under the log's lock: of two commands appending to one journal
        # (Ansible forks), the later record then always holds the later digest
        body["artefacts"] = file_digests((p for p in artefacts
                                          if Path(p).exists() or Path(p) in staged), staged)
        seq, prev = _tail(handle, log)
        body["seq"], body["prev"], body["ts"] = seq + 1, prev, now_iso()  # in log order
        body["sums"] = field_sums(body)
        body["sig"] = key.sign(signed_bytes(body)) if key else None
        line = canonical(body)
        handle.seek(0, os.SEEK_END)
        handle.write(line + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
        rec = AuditRecord(body, line, sm3_hex(line))
        _write_head(log, seq + 1, rec.hash, key)
    if key:
        keys.register(keyring_path(log), key.public)
    return rec


_CURRENT: contextvars.ContextVar[audited | None] = contextvars.ContextVar("govops_audit", default=None)


def _outcome(exc_type, exc) -> str:
    """How a command ended, in a few words, from the exception that ended it (if any)."""
    if exc_type is None:
        return "ok"
    if issubclass(exc_type, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, GovopsError):
        return f"failed: {(str(exc).splitlines() or [type(exc).__name__])[0]}"
    if isinstance(exc, SystemExit) or hasattr(exc, "exit_code"):  # sys.exit, typer.Exit
        code = exc.code if isinstance(exc, SystemExit) else exc.exit_code
        return "ok" if code in (0, None) else f"failed: exit {code}"
    return f"error: {exc_type.__name__}: {exc}"


class audited(ContextDecorator):  # noqa: N801 - used like a function: `with audited(...)`
    """Record a state-changing command when it ends, however it ends.

    Use as `with audited("net push", estate_dir=estate) as audit: …; audit.add(journal.path)`
    or as a decorator `@audited("estate lock")` (then `current().add(...)` inside). The operator
    key is unlocked on entry, so a wrong passphrase stops the command before it changes
    anything. The result is "ok", "failed: <first line of the error>", "interrupted" or
    "error: <type>: …" unless the body sets `audit.result`; the exception is never swallowed.
    """

    def __init__(self, command: str, *, inputs: Iterable[Path] = (), artefacts: Iterable[Path] = (),
                 estate_dir: Path | None = None, argv: list[str] | None = None,
                 devices: Iterable[str] = (), tenants: Iterable[str] = (), log: Path | None = None):
        self.command = command
        self.inputs = list(inputs)
        self.artefacts = list(artefacts)
        self.estate_dir = estate_dir
        self.argv = argv
        self.devices = list(devices)
        self.tenants = list(tenants)
        self.detail: dict[str, Any] = {}
        self.result: str | None = None
        self.record: AuditRecord | None = None
        self.log = log
        self._token: contextvars.Token | None = None
        self._key: keys.OperatorKey | None = None
        self._discarded = False
        self.staged: dict[Path, Path] = {}

    def _recreate_cm(self) -> audited:
        """A fresh block per decorated call (lists are not shared between calls)."""
        fresh = copy.copy(self)
        fresh.inputs, fresh.artefacts = list(self.inputs), list(self.artefacts)
        fresh.devices, fresh.tenants, fresh.detail = list(self.devices), list(self.tenants), dict(self.detail)
        fresh.staged = dict(self.staged)
        return fresh

    def add(self, *artefacts: Path) -> None:
        """Files (or folders) this command wrote; digested when the command ends."""
        self.artefacts.extend(Path(a) for a in artefacts)

    def read(self, *inputs: Path) -> None:
        """Files this command read."""
        self.inputs.extend(Path(i) for i in inputs)

    def stage(self, final: Path, staged: Path) -> None:
        """`staged` (written beside `final`) replaces `final` only once the record is written,
        so the file and its record are one unit: never the file without its record. The move is
        dropped (`staged` deleted) when the command fails or the record cannot be written."""
        self.staged[Path(final)] = Path(staged)
        self.add(Path(final))

    def device(self, *names: str) -> None:
        self.devices.extend(names)

    def tenant(self, *names: str) -> None:
        self.tenants.extend(names)

    def discard(self) -> None:
        """Nothing was changed after all (input rejected, change undone): write no record."""
        self._discarded = True

    def __enter__(self) -> audited:
        self._key = keys.from_env()
        if self._key is None and unsigned_allowed() is None:
            raise _no_key(self.command)  # before the command does anything
        log = Path(self.log) if self.log else log_path()
        if log.exists():  # a damaged tail would stop the record: find out before the work
            with log.open("rb") as handle:
                _tail(handle, log)
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self._token is not None:
            _CURRENT.reset(self._token)
        if self._discarded:
            self._drop_staged()
            return False
        if exc_type is not None:
            self._drop_staged()
        result = self.result if self.result is not None and exc_type is None else _outcome(exc_type, exc)
        try:
            argv = self.argv if self.argv is not None else ["govops", *sys.argv[1:]]
            self.record = record(self.command, argv, result, self.inputs, self.artefacts,
                                 self.estate_dir, devices=self.devices, tenants=self.tenants,
                                 detail=self.detail, log=self.log, key=self._key,
                                 staged=self.staged)
        except BaseException as audit_error:
            self._drop_staged()
            if exc is None:
                raise
            exc.add_note(f"and the audit record could not be written: {audit_error}")
            return False
        for final, staged in self.staged.items():
            os.replace(staged, final)
        self.staged = {}
        return False

    def _drop_staged(self) -> None:
        for staged in self.staged.values():
            with contextlib.suppress(OSError):
                staged.unlink()
        self.staged = {}


class _NoAudit:
    """What `current()` gives outside `audited`: accepts everything, records nothing."""

    def add(self, *artefacts: Path) -> None: ...
    def read(self, *inputs: Path) -> None: ...
    def device(self, *names: str) -> None: ...
    def tenant(self, *names: str) -> None: ...
    def discard(self) -> None: ...


def current() -> audited | _NoAudit:
    """The innermost active `audited` block (a no-op stand-in when there is none)."""
    return _CURRENT.get() or _NoAudit()
