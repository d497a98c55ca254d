"""DR drills: Chaos Toolkit experiments (`dr-drills/*.json`) whose activities live here.

- `probes`, `actions`, `extranet`: the activities, typed plain functions (unit-testable
  without the runner);
- `control`: the experiments' control (set-up, abort conditions, signals, report);
- `service`, `loadgen`, `failover`, `pinger`: helper processes (the e-government service, the
  load with its ledger of acknowledged writes, the failover manager, ping -D);
- `measure`, `report`: RTO/RPO and the verdict, report.md/json and timeline.png;
- `runner`, `runstate`, `catalogue`, `commands`: `govops drill list|run|recover`.
"""
