"""A few simulator processes for one estate: each serves part of the devices (a shard) and
tells the others the routing facts of its own, so every shard computes the state of the
whole estate (ADR 0020).

    link = ShardLink(folder, shard=0, shards=2, estate=world.estate)
    link.publish(everything=True)      # at start: all of this shard's devices, then a marker
    link.receive()                     # the others' news, until link.complete
    ...                                # then, a few times a second: publish(); receive()

Each shard appends to its own file (`shard-K.facts`): records of (device, routing facts,
down), pickled with a length in front, written by one `write`. The others read what was
added since they last looked. A device being configured changes its facts at every line;
its shard publishes them once they have rested for a tick (or every `max_wait_s` while they
keep changing), so a push of 150 lines is one record, not 150. A device's own state is
always computed from its own config at once; what lags (by a tick or two, 0.1–0.5 s) is
another shard's view of it, as a real network's neighbours learn of a change after a while.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import struct
import time
from pathlib import Path

from govops.lab.simdevices.device import FAULT_CHANGES
from govops.lab.simdevices.protocols import Estate, Facts

_LENGTH = struct.Struct("!I")


def _shareable(f: Facts) -> Facts:
    """What another shard needs of a device: its addressed ports (the topology reads no
    other), its OSPF/BGP settings and networks; no caches."""
    return dataclasses.replace(f, ports=[p for p in f.ports if p.v4 is not None or p.v6])


class ShardLink:
    """One shard's view of the others, through a shared folder."""

    def __init__(self, folder: Path, shard: int, shards: int, estate: Estate,
                 max_wait_s: float = 2.0):
        self.folder, self.shard, self.shards, self.estate = folder, shard, shards, estate
        self.max_wait_s = max_wait_s
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"shard-{shard}.facts"
        self._offsets = {k: 0 for k in range(shards) if k != shard}
        self._complete: set[int] = set()
        self._published: dict[str, tuple[Facts, bool]] = {}
        self._waiting: dict[str, float] = {}   # device -> when it first changed unpublished
        self._versions: dict[str, int] = {}    # device -> config version at the last tick
        self._faults_seen = -1
        self.records_out = self.records_in = 0

    @property
    def complete(self) -> bool:
        """Every other shard has told its whole start."""
        return len(self._complete) == len(self._offsets)

    def publish(self, everything: bool = False) -> int:
        """Append the devices whose facts (or `down` fault) changed and then rested for a
        tick; with `everything`, every device and the end-of-start marker. How many."""
        devices = self.estate.devices
        now = time.monotonic()
        if everything:
            names = list(devices)
            self._versions = {n: dev.version for n, dev in devices.items()}
        else:
            names = []
            faults_changed = FAULT_CHANGES[0] != self._faults_seen
            self._faults_seen = FAULT_CHANGES[0]
            for n, dev in devices.items():
                last = self._versions.get(n)
                self._versions[n] = dev.version
                moved = last is not None and last != dev.version
                if moved:
                    self._waiting.setdefault(n, now)
                if n in self._waiting and (not moved or now - self._waiting[n] >= self.max_wait_s):
                    names.append(n)
                elif faults_changed and n in self._published \
                        and self._published[n][1] != dev.faults.down:
                    names.append(n)
        frames = []
        for n in names:
            self._waiting.pop(n, None)
            f, down = self.estate.facts(n), devices[n].faults.down
            last = self._published.get(n)
            if last is not None and last[1] == down and (last[0] is f or last[0] == f):
                continue
            self._published[n] = (f, down)
            frames.append(pickle.dumps((n, _shareable(f), down), pickle.HIGHEST_PROTOCOL))
        if everything:
            frames.append(pickle.dumps((None, None, None)))
        if frames:
            data = b"".join(_LENGTH.pack(len(b)) + b for b in frames)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        self.records_out += len(frames)
        return len(frames)

    def receive(self) -> int:
        """Read what the other shards added; how many device records."""
        count = 0
        for k, offset in self._offsets.items():
            try:
                with open(self.folder / f"shard-{k}.facts", "rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                continue
            pos = 0
            while pos + _LENGTH.size <= len(data):
                (size,) = _LENGTH.unpack_from(data, pos)
                if pos + _LENGTH.size + size > len(data):
                    break  # the rest is still being written
                name, facts, down = pickle.loads(data[pos + _LENGTH.size:
                                                      pos + _LENGTH.size + size])
                pos += _LENGTH.size + size
                if name is None:
                    self._complete.add(k)
                elif name not in self.estate.devices:
                    self.estate.set_remote(name, facts, down)
                    count += 1
            self._offsets[k] = offset + pos
        self.records_in += count
        return count


def shard_of(index: int, shards: int) -> int:
    """Which shard serves the estate's device number `index`: round robin, so every batch
    of a rollout (consecutive devices of one level) is spread over all shards."""
    return index % shards
