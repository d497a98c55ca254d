"""Replication between the data centres, read from PostgreSQL itself.

Where the centres are comes from the DC lab's state directory (`spec.json`: names, sites,
roles, addresses — `govops.lab.datacentres`) or from a libpq multi-host DSN given with
`--dsn`, whose hosts are taken in role order (primary, same-city, remote-dr), the order
`govops.lab.datacentres.dsn()` uses. Each centre is asked on its own (`target_session_attrs=any`,
in parallel, so one lost centre costs one connect timeout, not one per centre): is it up, is it
a primary, and — on the primary — `pg_stat_replication`.

Per DR pair (current primary → each other centre):

* lag: `replay_lag` and the replay position behind the primary's WAL position (bytes);
* current RPO — the seconds of acknowledged data the standby would lose if the primary were lost
  now: 0 for a streaming synchronous standby; the standby's `flush_lag` for a streaming
  asynchronous one (0 when it has flushed everything); for a standby that does not stream, the
  time since it was last seen caught up (or since the pair was first seen, a lower bound);
* objective: the strictest RPO of the DR levels of the tenants that need that kind of copy
  (same-city: DR level ≥ 5, remote-dr: DR level ≥ 4; `govops.cloud.policy.required_roles`).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.core import Metric

from govops.monitoring.sources import Source, SourceError, gauge

ROLES = ("primary", "same-city", "remote-dr")
REPLICATION_SQL = (
    "SELECT application_name, host(client_addr), state, sync_state, "
    "pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::float8, "
    "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8, "
    "EXTRACT(EPOCH FROM flush_lag)::float8, EXTRACT(EPOCH FROM replay_lag)::float8 "
    "FROM pg_stat_replication"
)


@dataclass(frozen=True)
class Centre:
    """One data centre's database."""

    name: str
    host: str
    port: int
    site: str  # the estate's site
    role: str  # designed role
    app_name: str  # its application_name as a standby


@dataclass
class Probe:
    """What one centre said."""

    centre: Centre
    up: bool
    in_recovery: bool | None = None
    rows: list[tuple] = field(default_factory=list)
    error: str = ""


def _estate_site(estate: Any, site: str, role: str) -> str:
    """The estate's site for a centre: same name if it exists, else the site with its role."""
    if estate is None or site in estate.sites:
        return site
    for s in estate.sites.values():
        if s.role == role:
            return s.name
    return site


def centres_from_dc_lab(state_dir: Path, estate: Any) -> tuple[list[Centre], str, str] | None:
    """(centres, dbname, user) of the DC lab at `state_dir`, or None when there is none."""
    path = Path(state_dir) / "spec.json"
    if not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text())
        port = int(spec.get("pg_port", 5432))
        centres = [
            Centre(c["name"], c["ipv4"].split("/")[0], port,
                   _estate_site(estate, c["site"], c["role"]), c["role"],
                   c["name"].replace("-", "_"))
            for c in spec["centres"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"DC lab spec {path} is unreadable ({exc}): rebuild the DC lab") from None
    centres.sort(key=lambda c: ROLES.index(c.role) if c.role in ROLES else 9)
    return centres, str(spec.get("dbname", "postgres")), "postgres"


def centres_from_dsn(dsn: str, estate: Any) -> tuple[list[Centre], dict[str, str]]:
    """Centres of a (multi-host) DSN, named after their host, sites by role order."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except Exception as exc:  # noqa: BLE001 - psycopg raises ProgrammingError subclasses
        raise SourceError(f"--dsn is not a libpq connection string: {exc}") from None
    hosts = [h for h in params.pop("host", "localhost").split(",")]
    ports = params.pop("port", "5432").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    params.pop("target_session_attrs", None)
    sites = []
    if estate is not None:
        by_role = {s.role: s.name for s in estate.sites.values()}
        sites = [by_role.get(r, "") for r in ROLES]
    centres = []
    for i, (host, port) in enumerate(zip(hosts, ports, strict=False)):
        role = ROLES[i] if i < len(ROLES) else "standby"
        site = sites[i] if i < len(sites) else host
        centres.append(Centre(host, host, int(port or 5432), site or host, role, ""))
    return centres, params


def _ask(centre: Centre, params: dict[str, str], timeout: int) -> Probe:
    import psycopg

    conninfo = {**params, "host": centre.host, "port": str(centre.port),
                "connect_timeout": str(timeout), "application_name": "govops-exporter",
                "target_session_attrs": "any",
                "options": f"-c statement_timeout={timeout * 1000}"}
    try:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            in_recovery = bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
            rows = [] if in_recovery else list(conn.execute(REPLICATION_SQL).fetchall())
            return Probe(centre, True, in_recovery, rows)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Probe(centre, False, error=first)


def pair_kind(a: Centre, b: Centre) -> str:
    """'remote-dr' when either end is the remote DR centre, else 'same-city'."""
    return "remote-dr" if "remote-dr" in (a.role, b.role) else "same-city"


def pair_objectives(estate: Any) -> dict[str, float]:
    """kind → strictest RPO objective of the tenants that need that kind of copy."""
    from govops.cloud.policy import required_roles

    out: dict[str, float] = {}
    if estate is None:
        return out
    for tenant in estate.tenants.values():
        rpo = estate.dr_objective(tenant.dr_level).rpo_s
        for kind in required_roles(tenant.dr_level):
            out[kind] = min(out.get(kind, rpo), rpo)
    return out


class ReplicationSource(Source):
    """PostgreSQL of the DC lab (`dc_lab` state dir) or of `dsn`; not configured when neither
    is there (no series)."""

    name = "replication"
    interval = 5.0

    def __init__(self, *, dsn: str | None = None, dc_lab: Path | None = None,
                 estate_source: Any = None, connect_timeout: int = 2):
        self.dsn = dsn
        self.dc_lab = Path(dc_lab) if dc_lab else None
        self.estate_source = estate_source
        self.timeout = max(2, int(connect_timeout))
        self.started = time.time()
        self._pairs: dict[tuple[str, str], dict[str, float | None]] = {}
        self._last_primary: str | None = None

    def _estate(self) -> Any:
        return getattr(self.estate_source, "estate", None)

    def _centres(self) -> tuple[list[Centre], dict[str, str]] | None:
        estate = self._estate()
        if self.dsn:
            return centres_from_dsn(self.dsn, estate)
        if self.dc_lab is not None:
            found = centres_from_dc_lab(self.dc_lab, estate)
            if found is None:
                return None
            centres, dbname, user = found
            return centres, {"dbname": dbname, "user": user}
        return None

    def poll(self) -> list[Metric] | None:
        found = self._centres()
        if found is None:
            return None
        centres, params = found
        with ThreadPoolExecutor(max_workers=len(centres) or 1) as pool:
            probes = list(pool.map(lambda c: _ask(c, params, self.timeout), centres))
        now = time.time()
        fams = self._families(probes, now)
        if not any(p.up for p in probes):
            detail = "; ".join(f"{p.centre.name} ({p.centre.host}): {p.error}" for p in probes)
            raise SourceError(f"no database of the data centres answers: {detail}", fams)
        return fams

    def _families(self, probes: list[Probe], now: float) -> list[Metric]:
        role_samples = []
        for p in probes:
            current = "down" if not p.up else ("standby" if p.in_recovery else "primary")
            c = p.centre
            for role in ("primary", "standby", "down"):
                role_samples.append(((c.name, c.site, c.role, role), 1 if role == current else 0))
        primaries = [p for p in probes if p.up and p.in_recovery is False]
        fams = [
            gauge("govops_dc_up", "1 when the centre's database answers.",
                  ["centre", "site", "designed_role"],
                  [((p.centre.name, p.centre.site, p.centre.role), 1 if p.up else 0)
                   for p in probes]),
            gauge("govops_dc_role", "The centre's current database role (primary, standby, "
                  "down): 1 for the current one, 0 for the others.",
                  ["centre", "site", "designed_role", "role"], role_samples),
            gauge("govops_dc_primaries", "Centres whose database runs as primary now "
                  "(1 is healthy; 0: no primary; 2+: split brain).", [], [((), len(primaries))]),
        ]
        primary = self._choose_primary(primaries)
        lag_s, lag_b, streaming, sync, rpo, objective = [], [], [], [], [], []
        objectives = pair_objectives(self._estate())
        if primary is not None:
            rows = primary.rows
            for p in probes:
                s = p.centre
                if s.name == primary.centre.name:
                    continue
                key = (primary.centre.name, s.name)
                memo = self._pairs.setdefault(key, {"first_seen": now, "caught_up": None})
                row = next((r for r in rows if (s.app_name and r[0] == s.app_name)
                            or (r[1] or "") == s.host), None)
                labels = (primary.centre.name, s.name, pair_kind(primary.centre, s))
                is_streaming = bool(row and row[2] == "streaming")
                is_sync = bool(row and row[3] in ("sync", "quorum"))
                if is_streaming:
                    flush_b, replay_b, flush_lag, replay_lag = row[4], row[5], row[6], row[7]
                    lag_b.append((labels, max(0.0, replay_b or 0.0)))
                    lag_s.append((labels, replay_lag if replay_lag is not None else 0.0))
                    if is_sync or not flush_b:
                        memo["caught_up"] = now
                        current = 0.0
                    else:
                        current = flush_lag if flush_lag is not None else (replay_lag or 0.0)
                else:
                    since = memo["caught_up"] or memo["first_seen"] or now
                    current = max(0.0, now - since)
                streaming.append((labels, 1 if is_streaming else 0))
                sync.append((labels, 1 if is_sync else 0))
                rpo.append((labels, current))
                if labels[2] in objectives:
                    objective.append((labels, objectives[labels[2]]))
        pair = ["primary", "standby", "kind"]
        fams += [
            gauge("govops_replication_streaming", "1 when the standby streams from the primary.",
                  pair, streaming),
            gauge("govops_replication_synchronous", "1 when the standby is the primary's "
                  "synchronous standby.", pair, sync),
            gauge("govops_replication_lag_seconds", "Replay lag of a streaming standby "
                  "(pg_stat_replication.replay_lag).", pair, lag_s),
            gauge("govops_replication_lag_bytes", "WAL the standby has not replayed yet.",
                  pair, lag_b),
            gauge("govops_replication_rpo_seconds", "Current RPO of a DR pair: seconds of "
                  "acknowledged data lost if the primary were lost now.", pair, rpo),
            gauge("govops_replication_rpo_objective_seconds", "Strictest RPO objective of the "
                  "tenants that rely on this kind of copy.", pair, objective),
        ]
        return fams

    def _choose_primary(self, primaries: list[Probe]) -> Probe | None:
        if not primaries:
            return None
        # with two primaries (split brain) keep following the one we followed, else the one
        # that has standbys
        for p in primaries:
            if p.centre.name == self._last_primary:
                return p
        chosen = max(primaries, key=lambda p: len(p.rows))
        if chosen.centre.name != self._last_primary:
            # a new primary: forget the pairs of the old one
            self._pairs = {k: v for k, v in self._pairs.items() if k[0] == chosen.centre.name}
        self._last_primary = chosen.centre.name
        return chosen
