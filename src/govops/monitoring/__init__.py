"""govops.monitoring: the unified ops platform.

* `exporter` — `govops exporter`: the estate, the data centres' replication, drill reports and
  rollout journals as Prometheus metrics (custom collectors over cached snapshots, one
  background refresher per source, `govops_source_up` per source).
* `config` — `prometheus.yml` and the blackbox module config, generated from the estate.
* `lab` — Prometheus and the exporters in the lab (`start` / `status` / `stop`).
* `dashboards` — Grafana dashboards as code.
* `opspage` — `govops ops serve`: the ops centre's one page, from the Prometheus HTTP API.
"""
