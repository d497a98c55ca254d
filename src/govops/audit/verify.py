"""`audit verify`: the chain, every signature, every artefact digest and the head.

Problems carry the record number (line in the log, 1-based), its seq and a sentence saying
what changed. The first problem by record number is the one to look at; later ones are often
its consequences (a swap breaks three links).

Artefacts: a path's newest record is checked against the whole file; files ending in `.jsonl`
(rollout journals, which later commands append to) are also checked against every older
record as a prefix of `size` bytes, so a journal line edited between two commands is found.
`--since` limits signature and artefact checks to recent records; the chain and the head are
always checked in full (hashing is cheap, SM2 is not).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from govops.audit import keys, sm2
from govops.audit.digests import resolve
from govops.audit.sm3 import Hasher, sm3_hex
from govops.audit.trail import (
    FIELDS,
    GENESIS,
    VERSION,
    field_sums,
    head_path,
    iter_lines,
    keyring_path,
    parse_time,
    signed_bytes,
)

APPEND_ONLY_SUFFIXES = (".jsonl",)
_CHUNK = 100
#: For one record, the most telling diagnosis first (an inserted record is also "unsigned").
_PRIORITY = {"deleted": 0, "inserted": 0, "reordered": 0, "damaged": 1, "edited": 1,
             "signature": 2, "untrusted-key": 2, "unsigned": 2, "changed": 3, "sequence": 3}
_POOL_MIN = 400


@dataclass
class Problem:
    """One thing wrong with the log, at record (line) `record`."""

    record: int
    kind: str
    message: str
    seq: int | None = None
    path: str | None = None


@dataclass
class Report:
    log: str
    records: int = 0
    signed: int = 0
    #: Unsigned records with no reason (written before issue 18, or forged).
    unsigned: int = 0
    #: Unsigned on request on the lab estate (`--unsigned`: detail.unsigned = "lab").
    unsigned_lab: int = 0
    #: Refusals of someone with no operator key (detail.unsigned = "refusal"): nothing changed.
    unsigned_refusals: int = 0
    signatures_checked: int = 0
    artefacts_checked: int = 0
    since: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["first"] = asdict(self.first) if self.first else None
        return data


@dataclass
class _Meta:
    hash: str
    seq: int | None = None
    prev: str | None = None
    ts: str | None = None
    label: str = ""


def _verify_chunk(items: list[tuple[int, str, bytes, str]]) -> list[int]:
    """Record numbers whose signature does not verify (runs in worker processes too)."""
    return [n for n, public, body, sig in items if not sm2.verify(public, body, sig)]


class _Signatures:
    """Signature checks, in this process or spread over worker processes."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self.pending: list[tuple[int, str, bytes, str]] = []
        self.futures: deque[Future] = deque()
        self.bad: list[int] = []
        self.pool: ProcessPoolExecutor | None = None
        self.count = 0

    def add(self, number: int, public: str, body: bytes, sig: str) -> None:
        self.count += 1
        self.pending.append((number, public, body, sig))
        if len(self.pending) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        chunk, self.pending = self.pending, []
        if not chunk:
            return
        if self.jobs == 1 or (self.pool is None and self.count < _POOL_MIN):
            self.bad.extend(_verify_chunk(chunk))
            return
        if self.pool is None:
            import multiprocessing

            # fork: workers start at once and do not re-import the caller's __main__
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        self.futures.append(self.pool.submit(_verify_chunk, chunk))
        while len(self.futures) > 2 * self.jobs:  # bound what waits in memory
            self.bad.extend(self.futures.popleft().result())

    def finish(self) -> list[int]:
        self._flush()
        while self.futures:
            self.bad.extend(self.futures.popleft().result())
        if self.pool is not None:
            self.pool.shutdown()
        return sorted(self.bad)


def _label(number: int, meta: _Meta | None) -> str:
    if meta is None or meta.seq is None:
        return f"record {number}"
    return f"record {number} (seq {meta.seq}{', ' + meta.label if meta.label else ''})"


def _prefix_sm3(path: Path, size: int) -> str:
    hasher = Hasher()
    left = size
    with path.open("rb") as handle:
        while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
            hasher.update(chunk)
            left -= len(chunk)
    return hasher.hexdigest()


def verify_log(log: Path, since: dt.datetime | None = None, keyring: Path | None = None,
               require_signed: bool = False, jobs: int | None = None) -> Report:
    """Check an audit log; the report lists every problem found."""
    report = Report(str(log), since=since.isoformat() if since else None)
    if not log.exists():
        return report
    trusted = keys.load_keyring(keyring or keyring_path(log))
    sigs = _Signatures(jobs if jobs is not None else (os.cpu_count() or 1))
    metas: list[_Meta | None] = []
    artefacts: dict[str, list[tuple[int, dict]]] = {}
    seen_signed = last_signed = False
    problems = report.problems

    for number, line in enumerate(iter_lines(log), 1):
        line_hash = sm3_hex(line)
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            metas.append(_Meta(line_hash))
            problems.append(Problem(number, "damaged", f"record {number}: not a JSON record "
                                    "(the line was edited by hand, cut or inserted)"))
            continue
        shape = _shape_error(data)
        if shape:
            metas.append(_Meta(line_hash))
            problems.append(Problem(number, "damaged", f"record {number}: not a version-{VERSION} "
                                    f"audit record ({shape})"))
            continue
        meta = _Meta(line_hash, data["seq"], data["prev"], data["ts"], data["command"])
        metas.append(meta)
        label = _label(number, meta)
        last_signed = bool(data["sig"])
        recent = since is None or (meta.ts is not None and parse_time(meta.ts) >= since)
        if data["sig"]:
            seen_signed = True
            report.signed += 1
            key_id = (data.get("who") or {}).get("key_id")
            if recent:
                if key_id not in trusted:
                    problems.append(Problem(number, "untrusted-key", f"{label}: signed by key "
                                            f"{key_id}, which is not in the keyring "
                                            f"{keyring or keyring_path(log)}", meta.seq))
                else:
                    sigs.add(number, trusted[key_id].public, signed_bytes(data), str(data["sig"]))
        else:
            detail = data.get("detail")
            reason = detail.get("unsigned") if isinstance(detail, dict) else None
            if reason == "refusal" and str(data.get("result", "")).startswith("refused"):
                report.unsigned_refusals += 1  # a refusal asserts that nothing changed
                fails = False
            elif reason == "lab":
                report.unsigned_lab += 1
                fails = require_signed and recent
            else:
                report.unsigned += 1
                fails = (require_signed and recent) or seen_signed
            if fails:
                why = "--require-signed is set" if require_signed else "records before it are signed"
                what = "unsigned on request (lab)" if reason == "lab" else "unsigned"
                problems.append(Problem(number, "unsigned", f"{label}: {what}, but {why} (a "
                                        "forged record, or the operator key went missing)", meta.seq))
        if recent:
            for path, entry in (data.get("artefacts") or {}).items():
                artefacts.setdefault(path, []).append((number, entry))

    report.records = len(metas)
    for number in sigs.finish():
        meta = metas[number - 1]
        problems.append(Problem(number, "signature", f"{_label(number, meta)}: the SM2 signature "
                                "does not match the record (changed and re-summed, or forged)",
                                meta.seq if meta else None))
    report.signatures_checked = sigs.count
    _check_chain(metas, problems)
    truncated = _check_head(log, metas, trusted, problems, last_signed)
    _name_edited_fields(log, metas, problems)
    _check_artefacts(artefacts, metas, report, truncated)
    problems.sort(key=lambda p: (p.record, _PRIORITY.get(p.kind, 9)))
    # records cut off the end explain later artefact changes (the cut records wrote them): say so first
    problems.sort(key=lambda p: not (p.kind == "deleted" and p.record > len(metas)))
    return report


_TYPES = {"seq": int, "ts": str, "prev": str, "command": str, "who": dict, "argv": list,
          "inputs": dict, "artefacts": dict, "sums": dict}


def _shape_error(data: dict) -> str | None:
    """Why `data` is not a well-formed record, or None."""
    missing = [f for f in FIELDS if f not in data]
    if missing:
        return f"fields {', '.join(missing)} missing"
    if data["v"] != VERSION:
        return f"version {data['v']}"
    wrong = [f for f, kind in _TYPES.items() if not isinstance(data[f], kind)]
    if not (data["sig"] is None or isinstance(data["sig"], str)):
        wrong.append("sig")
    if wrong:
        return f"fields {', '.join(wrong)} have the wrong type"
    try:
        parse_time(data["ts"])
    except ValueError:
        return f"ts {data['ts']!r} is not a time"
    return None


def _name_edited_fields(log: Path, metas: list[_Meta | None], problems: list[Problem]) -> None:
    """Turn "changed" and "signature" problems into "field X edited" where the field sums show
    which field differs (they are only computed for suspect records: 16 hashes a record)."""
    suspects = {p.record for p in problems if p.kind in ("changed", "signature")}
    if not suspects:
        return
    edited: dict[int, Problem] = {}
    for number, line in enumerate(iter_lines(log), 1):
        if number not in suspects:
            continue
        data = json.loads(line)
        stored = data.get("sums") or {}
        actual = field_sums({k: v for k, v in data.items() if k not in ("sums", "sig")})
        changed = sorted(k for k in set(stored) | set(actual) if stored.get(k) != actual.get(k))
        if changed:
            verb = {True: "edited", False: "added or removed"}
            parts = [f"'{k}' {verb[k in stored and k in actual]}" for k in changed]
            edited[number] = Problem(number, "edited", f"{_label(number, metas[number - 1])}: field "
                                     f"{', '.join(parts)} after the record was written", data.get("seq"))
    problems[:] = [p for p in problems if not (p.record in edited and p.kind in ("changed", "signature"))]
    problems.extend(edited.values())


def _check_chain(metas: list[_Meta | None], problems: list[Problem]) -> None:
    index: dict[str, int] = {}
    for i, meta in enumerate(metas):
        if meta is not None:
            index.setdefault(meta.hash, i)
    for i, meta in enumerate(metas):
        number = i + 1
        if meta is None or meta.prev is None:
            continue
        if index[meta.hash] != i:
            problems.append(Problem(number, "inserted", f"{_label(number, meta)}: inserted: it is "
                                    f"a copy of record {index[meta.hash] + 1}", meta.seq))
            continue
        expected = metas[i - 1].hash if i else GENESIS
        if meta.prev == expected:
            before = metas[i - 1] if i else None
            if before and before.seq is not None and meta.seq is not None and meta.seq != before.seq + 1:
                problems.append(Problem(number, "sequence", f"{_label(number, meta)}: follows seq "
                                        f"{before.seq} but is numbered {meta.seq}", meta.seq))
            continue
        j = -1 if meta.prev == GENESIS else index.get(meta.prev)
        label = _label(number, meta)
        if j is None:
            before = metas[i - 1] if i else None
            if before is not None and before.prev is None:
                continue  # the record before is damaged: reported as such already
            low = (before.seq if before and before.seq is not None else 0) + 1
            if meta.seq is not None and meta.seq > low:
                gone = f"seq {low}" if meta.seq == low + 1 else f"seq {low}..{meta.seq - 1}"
                where = f"between record {i} and record {number}" if i else "at the start of the log"
                problems.append(Problem(number, "deleted", f"record(s) {gone} deleted {where}: "
                                        f"{label} chains to a record that is not in the log", meta.seq))
            else:
                problems.append(Problem(i or 1, "changed", f"{_label(i, before) if i else label}: "
                                        f"changed after {label} was chained to it (its hash no longer "
                                        "matches the next record's prev)", before.seq if before else None))
        elif j < i - 1:
            extra = metas[j + 1:i]
            moved = [m for m in extra
                     if m and m.seq is not None and meta.seq is not None and m.seq > meta.seq]
            first = j + 2
            if moved:
                problems.append(Problem(first, "reordered", f"{_label(first, metas[first - 1])}: "
                                        f"out of order: it was moved up; {label} follows record "
                                        f"{j + 1 if j >= 0 else 'none (start)'}", metas[first - 1].seq
                                        if metas[first - 1] else None))
            else:
                span = f"record {first}" if first == i else f"records {first}..{i}"
                problems.append(Problem(first, "inserted", f"{span} inserted: not part of the chain "
                                        f"({label} chains to "
                                        f"{'record ' + str(j + 1) if j >= 0 else 'the start'})",
                                        metas[first - 1].seq if metas[first - 1] else None))
        else:
            previous = metas[j]
            problems.append(Problem(number, "reordered", f"{label}: out of order: the record it "
                                    f"follows ({_label(j + 1, previous)}) comes after it", meta.seq))


def _check_artefacts(artefacts: dict[str, list[tuple[int, dict]]], metas: list[_Meta | None],
                     report: Report, truncated: bool) -> None:
    for path_text, entries in artefacts.items():
        path = resolve(path_text)
        newest_number = entries[-1][0]
        checks = entries if path_text.endswith(APPEND_ONLY_SUFFIXES) else entries[-1:]
        for number, entry in checks:
            label = _label(number, metas[number - 1])
            report.artefacts_checked += 1
            if not path.is_file():
                report.problems.append(Problem(number, "artefact-missing", f"{label}: artefact "
                                               f"{path_text} is missing", path=path_text))
                break
            want, size = str(entry.get("sm3", "")), int(entry.get("size", -1))
            actual_size = path.stat().st_size
            # after a cut, the newest record that remains need not be the last writer of a journal
            newest = number == newest_number and not (truncated and path_text.endswith(APPEND_ONLY_SUFFIXES))
            if newest and actual_size != size:
                got = f"size {size} → {actual_size} bytes"
            elif actual_size < size:
                got = f"now {actual_size} bytes, shorter than the {size} it wrote"
            else:
                digest = _prefix_sm3(path, size)
                if hmac.compare_digest(digest, want):
                    continue
                got = f"SM3 {want[:12]}… → {digest[:12]}…" + ("" if newest else f" in its first {size} bytes")
            report.problems.append(Problem(number, "artefact-changed", f"{label}: artefact "
                                           f"{path_text} changed after it was written ({got})",
                                           metas[number - 1].seq if metas[number - 1] else None,
                                           path_text))
            break


def _check_head(log: Path, metas: list[_Meta | None], trusted: dict[str, keys.PublicKey],
                problems: list[Problem], last_signed: bool) -> bool:
    """Check the head file; True when it shows records cut off the end."""
    if not metas:
        return False
    path, n = head_path(log), len(metas)
    last = metas[-1]
    try:
        head = json.loads(path.read_bytes())
        seq, line_hash = int(head["seq"]), str(head["hash"])
    except FileNotFoundError:
        problems.append(Problem(n + 1, "head", f"head file {path} is missing: records cut off the "
                                "end of the log would go unnoticed"))
        return False
    except (OSError, ValueError, KeyError, TypeError):
        problems.append(Problem(n + 1, "head", f"head file {path} is damaged"))
        return False
    seqs = [m.seq for m in metas if m and isinstance(m.seq, int)]
    last_seq = max(seqs) if seqs else n
    if head.get("sig"):
        pub = trusted.get(str(head.get("key_id")))
        if pub is None or not sm2.verify(pub.public, signed_bytes(head), str(head["sig"])):
            problems.append(Problem(n + 1, "head", f"head file {path}: signature does not verify "
                                    "with a keyring key (the head was rewritten)"))
            return False
    if not head.get("sig") and last_signed:
        problems.append(Problem(n + 1, "head", f"head file {path} is unsigned but the last record "
                                "is signed (the head was rewritten)"))
        return False
    if seq > last_seq:
        gone = f"seq {last_seq + 1}" if seq == last_seq + 1 else f"seq {last_seq + 1}..{seq}"
        problems.append(Problem(n + 1, "deleted", f"record(s) {gone} deleted from the end of the "
                                f"log (the head says the last record is seq {seq})"))
        return True
    if seq < last_seq:
        problems.append(Problem(n, "inserted", f"{_label(n, last)}: appended without govops (the "
                                f"head says the last record is seq {seq})", last_seq))
        return False
    number, newest = next((i + 1, m) for i, m in enumerate(metas) if m and m.seq == last_seq)
    if not hmac.compare_digest(line_hash, newest.hash):
        problems.append(Problem(number, "changed", f"{_label(number, newest)}: changed after it was "
                                "written (its hash differs from the head's)", last_seq))
    return False
