"""Audit trail and SM4 figures, in one run: append cost, `audit verify` on 100,000 records,
SM2 per-signature costs, and SM4 throughput on backup-sized data next to AES-GCM.

    .venv/bin/python benchmarks/audit.py                  # a few minutes on 2 cores
    .venv/bin/python benchmarks/audit.py --signed-all     # also sign and verify 100,000 (~40 min)
    .venv/bin/python benchmarks/audit.py --append-docs    # also append the section to docs/benchmarks.md

The 100,000-record log is written with the same record format and functions as `record()`
(without one fsync per record, which is not what is measured). An unsigned log measures the
chain, artefact digests and head; SM2 is measured on a signed sample and extrapolated to
100,000, marked as such; `--signed-all` also writes and verifies 100,000 signed records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _timing import best_cpu

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "inventories" / "lab"
KIB = 1024


def rate(mb_s: float) -> str:
    """MB/s with three significant digits (gmssl is below 1)."""
    return f"{mb_s:.0f}" if mb_s >= 100 else f"{mb_s:.3g}"


@dataclass
class Took:
    """Wall time of this run and CPU time (this process and its finished children): on a busy
    machine CPU time is what an idle core would have taken."""

    wall: float
    cpu: float


def timed(fn):
    before, start = os.times(), time.perf_counter()
    result = fn()
    after, wall = os.times(), time.perf_counter() - start
    cpu = sum(getattr(after, f) - getattr(before, f)
              for f in ("user", "system", "children_user", "children_system"))
    return Took(wall, cpu), result


def operator_key(folder: Path):
    from govops.audit import keys

    key_path, _, _ = keys.generate(folder, "bench", "benchmark passphrase")
    start = time.process_time()
    key = keys.unlock(key_path, "benchmark passphrase")
    return key, time.process_time() - start


def append_costs(folder: Path, key, rounds: int) -> dict[str, tuple[float, float]]:
    """(CPU ms, wall ms) per record through the public `record()`, medians: lock, digests,
    signatures, fsync, head and keyring included."""
    from govops.audit import record

    journal = folder / "journal.jsonl"
    journal.write_text('{"event": "start"}\n' * 50)
    results = {}
    for label, signer, estate in (("unsigned, no estate", None, None),
                                  ("signed, no estate", key, None),
                                  ("signed, lab estate hashed", key, LAB)):
        log = folder / f"append-{len(results)}.jsonl"
        cpu, wall = [], []
        for i in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            record("net push", ["govops", "net", "push", str(i)], "ok", [], [journal], estate,
                   devices=["town-1"], log=log, key=signer)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        results[label] = (statistics.median(cpu) * 1000, statistics.median(wall) * 1000)
    return results


def build_log(log: Path, records: int, key, work: Path) -> None:
    """Write `records` chained records (signed when `key`); each names a rollout journal that
    grows across 3 records (push, resume, rollback) and the push's encrypted backup."""
    from govops.audit import trail
    from govops.audit.digests import file_digests
    from govops.audit.sm3 import sm3_hex

    who = trail._who(key)
    prev, seq = trail.GENESIS, 0
    (work / "rollouts").mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        for i in range(records):
            rollout = work / "rollouts" / f"r{i // 3:06d}"
            journal = rollout.with_suffix(".jsonl")
            with journal.open("a") as handle:
                handle.write(f'{{"event": "step", "n": {i}}}\n')
            artefacts = [journal]
            if i % 3 == 0:
                backup = rollout / "backups" / "town-1.cfg.sm4"
                backup.parent.mkdir(parents=True, exist_ok=True)
                backup.write_bytes(os.urandom(2 * KIB))
                artefacts.append(backup)
            seq += 1
            body = {"v": trail.VERSION, "ts": trail.now_iso(), "who": who,
                    "command": ("net push", "net resume", "net rollback")[i % 3],
                    "argv": ["govops", "net", "push", f"r{i // 3:06d}"], "cwd": "/srv/govops",
                    "estate": {"dir": "inventories/lab", "sm3": "0" * 64, "files": 8},
                    "inputs": {}, "result": "ok", "artefacts": file_digests(artefacts),
                    "devices": ["town-1"], "tenants": [], "detail": {}, "seq": seq, "prev": prev}
            body["sums"] = trail.field_sums(body)
            body["sig"] = key.sign(trail.signed_bytes(body)) if key else None
            line = trail.canonical(body)
            out.write(line + b"\n")
            prev = sm3_hex(line)
    trail._write_head(log, seq, prev, key)


def verify_timed(log: Path, keyring: Path, jobs: int):
    from govops.audit.verify import verify_log

    took, report = timed(lambda: verify_log(log, keyring=keyring, jobs=jobs))
    assert report.ok, report.problems[:3]
    return took, report


def sm2_costs(key, rounds: int) -> tuple[float, float]:
    """CPU ms per SM2 sign and per verify."""
    from govops.audit import sm2

    message = b"x" * 900  # a typical record
    start = time.process_time()
    sigs = [key.sign(message) for _ in range(rounds)]
    sign_ms = (time.process_time() - start) / rounds * 1000
    start = time.process_time()
    assert all(sm2.verify(key.public.public, message, s) for s in sigs)
    verify_ms = (time.process_time() - start) / rounds * 1000
    return sign_ms, verify_ms


def throughput(size: int) -> dict[str, tuple[float, float]]:
    """MB/s (encrypt, decrypt) on `size` bytes for each cipher."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from govops.audit import envelope, sm4

    data = os.urandom(size)
    master, key16, iv = os.urandom(32), os.urandom(16), os.urandom(16)
    aes = AESGCM(AESGCM.generate_key(256))
    nonce = os.urandom(12)
    rounds = 5 if size <= 64 * KIB else 3

    def mbps(fn, r: int = rounds) -> float:
        return size / best_cpu(fn, r) / 1e6

    def sm4_gcm_enc():
        enc = Cipher(algorithms.SM4(key16), modes.GCM(nonce)).encryptor()
        return enc.update(data) + enc.finalize(), enc.tag

    gcm_ct, gcm_tag = sm4_gcm_enc()

    def sm4_gcm_dec():
        dec = Cipher(algorithms.SM4(key16), modes.GCM(nonce, gcm_tag)).decryptor()
        return dec.update(gcm_ct) + dec.finalize()

    out: dict[str, tuple[float, float]] = {}
    os.environ["GOVOPS_SM_BACKEND"] = "openssl"
    blob = envelope.seal(master, data, b"town-1")
    out["SM4-CBC + HMAC-SM3, govops format (OpenSSL)"] = (
        mbps(lambda: envelope.seal(master, data, b"town-1")),
        mbps(lambda: envelope.open_sealed(master, blob, b"town-1")))
    ct = sm4.cbc_encrypt(key16, iv, data)
    out["SM4-CBC alone (OpenSSL)"] = (mbps(lambda: sm4.cbc_encrypt(key16, iv, data)),
                                      mbps(lambda: sm4.cbc_decrypt(key16, iv, ct)))
    out["SM4-GCM (OpenSSL; not used: gmssl lacks it)"] = (mbps(sm4_gcm_enc), mbps(sm4_gcm_dec))
    aes_ct = aes.encrypt(nonce, data, b"town-1")
    out["AES-256-GCM (cryptography)"] = (mbps(lambda: aes.encrypt(nonce, data, b"town-1")),
                                         mbps(lambda: aes.decrypt(nonce, aes_ct, b"town-1")))
    if size <= 64 * KIB:
        os.environ["GOVOPS_SM_BACKEND"] = "gmssl"
        blob = envelope.seal(master, data, b"town-1")
        out["SM4-CBC + HMAC-SM3, govops format (gmssl, pure Python)"] = (
            mbps(lambda: envelope.seal(master, data, b"town-1"), 1),
            mbps(lambda: envelope.open_sealed(master, blob, b"town-1"), 1))
    del os.environ["GOVOPS_SM_BACKEND"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000,
                        help="signed records written and verified in full, for the SM2 figures")
    parser.add_argument("--signed-all", action="store_true", help="sign all --records (slow)")
    parser.add_argument("--append-docs", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    from govops.audit import backend, keys

    jobs = os.cpu_count() or 1
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        key, unlock_s = operator_key(work / "keys")
        keyring = work / "keyring"
        keys.register(keyring, key.public)
        appends = append_costs(work, key, 200)
        sign_ms, verify_ms = sm2_costs(key, 200)

        log = work / "big" / "audit.jsonl"
        log.parent.mkdir()
        build, _ = timed(lambda: build_log(log, args.records, None, work / "big"))
        size_mb = log.stat().st_size / 1e6
        big, big_report = verify_timed(log, keyring, jobs)
        if args.signed_all:
            signed_log = work / "signed" / "audit.jsonl"
            signed_log.parent.mkdir()
            signed_build, _ = timed(lambda: build_log(signed_log, args.records, key, work / "signed"))
            signed, signed_report = verify_timed(signed_log, keyring, jobs)

        sample = work / "sample" / "audit.jsonl"
        sample.parent.mkdir()
        sample_build, _ = timed(lambda: build_log(sample, args.sample, key, work / "sample"))
        one, _ = verify_timed(sample, keyring, 1)
        many, _ = verify_timed(sample, keyring, jobs)
        sizes = {"16 KiB": 16 * KIB, "256 KiB": 256 * KIB}
        rates = {label: throughput(size) for label, size in sizes.items()}
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load_after = os.getloadavg()[0]

    today = dt.date.today().isoformat()
    per_sig_cpu = one.cpu / args.sample * 1000  # whole signed verify per record, one process
    say(f"## Audit and encryption (`benchmarks/audit.py`) — {today}")
    say()
    say(f"{jobs} cores, Python {sys.version.split()[0]}; SM2 by gmssl (pure Python), SM3/SM4 by "
        f"`{backend.current()}` (OpenSSL through `cryptography`), gmssl shown where it matters. "
        f"Load average {load_before:.1f} → {load_after:.1f} during the run (other sessions' work "
        "on 2 cores), so each figure gives the **CPU time** (what an idle core takes) and the "
        "wall time of this run; extrapolations use CPU time and say so.")
    say()
    say("**Append cost per record** (`record()`, median of 200: lock, SM3 digests, two SM2 "
        "signatures (record and head), fsync):")
    say()
    say("| record | CPU ms | wall ms (this run) |")
    say("|---|---|---|")
    for label, (cpu_ms, wall_ms) in appends.items():
        say(f"| {label} | {cpu_ms:.1f} | {wall_ms:.1f} |")
    say(f"| unlock the operator key, once per process (PBKDF2-HMAC-SM3, {keys.ITERATIONS:,} "
        f"rounds) | {unlock_s * 1000:.0f} | |")
    say()
    say(f"**SM2 (gmssl)** on a 900-byte record, e = SM3(Z_A ‖ M) by OpenSSL: sign "
        f"**{sign_ms:.1f} ms**, verify **{verify_ms:.1f} ms** CPU per signature.")
    say()
    say(f"**`audit verify` on {args.records:,} records** ({size_mb:.0f} MB log, "
        f"{big_report.artefacts_checked:,} artefact digests: a journal growing over 3 records and "
        f"a backup per rollout; {jobs} worker processes for SM2):")
    say()
    say("| what | CPU | wall (this run) |")
    say("|---|---|---|")
    say(f"| write {args.records:,} chained, unsigned records (no fsync) | {build.cpu:.1f} s | "
        f"{build.wall:.1f} s |")
    say(f"| **verify them**: chain + artefacts + head (measured) | **{big.cpu:.1f} s** | "
        f"{big.wall:.1f} s |")
    say(f"| write {args.sample:,} signed records | {sample_build.cpu:.1f} s | {sample_build.wall:.1f} s |")
    say(f"| verify them, 1 process: chain + {args.sample:,} SM2 + artefacts + head (measured) | "
        f"{one.cpu:.1f} s | {one.wall:.1f} s |")
    say(f"| same, {jobs} processes (measured; CPU summed over processes) | {many.cpu:.1f} s | "
        f"{many.wall:.1f} s |")
    if args.signed_all:
        say(f"| write {args.records:,} signed records (measured) | {signed_build.cpu / 60:.1f} min | "
            f"{signed_build.wall / 60:.1f} min |")
        say(f"| **verify them**: chain + {signed_report.signatures_checked:,} SM2 + artefacts + head, "
            f"{jobs} processes (measured) | **{signed.cpu / 60:.1f} min** | {signed.wall / 60:.1f} min |")
    else:
        one_core = args.records * per_sig_cpu / 1000
        say(f"| **extrapolated, not measured**: verify {args.records:,} signed records = "
            f"{args.records:,} × {per_sig_cpu:.1f} ms CPU | **≈ {one_core / 60:.0f} min** on one "
            f"core, ≈ {one_core / jobs / 60:.0f} min on {jobs} idle cores | |")
    say(f"| **extrapolated**: `--since 1d`, 200 new signed records in a {args.records:,}-record log | "
        f"≈ {big.cpu + 200 * verify_ms / 1000:.0f} s | |")
    say(f"| peak memory (RSS) of the benchmark process | {peak_mib:.0f} MiB | |")
    say()
    say("**SM4 on backup-sized data** (MB/s of CPU time, best of 5 (3 for 256 KiB, 1 for gmssl), "
        "encrypt / decrypt, same run):")
    say()
    header = " | ".join(sizes)
    say(f"| cipher | {header} |")
    say("|---|" + "---|" * len(sizes))
    names = list(next(iter(rates.values())))
    for name in names:
        cells = []
        for label in sizes:
            pair = rates[label].get(name)
            cells.append(f"{rate(pair[0])} / {rate(pair[1])}" if pair else "—")
        say(f"| {name} | {' | '.join(cells)} |")
    say()
    if args.append_docs:
        docs = ROOT / "docs" / "benchmarks.md"
        with docs.open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines) + "\n")
        print(f"appended to {docs}")


if __name__ == "__main__":
    main()
