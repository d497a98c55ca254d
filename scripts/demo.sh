#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine, as root.
#   estate → lab up (26 FRR routers, three PostgreSQL centres, Prometheus) → push the extranet
#   config to every router → every town reaches both province cores over IPv6 and IPv4 →
#   the cloud plan of the lab estate → a site-loss DR drill with its report.
# The lab stays up afterwards for exploring; `.venv/bin/govops lab down` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
GOVOPS=.venv/bin/govops
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, FRR, PostgreSQL)"; exit 2; }

step "govops estate validate inventories/lab"
$GOVOPS estate validate inventories/lab

step "govops lab up"
$GOVOPS lab up

step "govops net push --estate inventories/lab (canary, batches, verify, restore on failure)"
$GOVOPS net push --estate inventories/lab --workers 4

step "govops net diff --estate inventories/lab (nothing left to change)"
$GOVOPS net diff --estate inventories/lab --exit-code

step "govops lab reach (every town → both province cores, IPv6 and IPv4)"
$GOVOPS lab reach

step "govops cloud plan --estate inventories/lab"
$GOVOPS cloud plan --estate inventories/lab

step "govops drill run site-loss --lang zh (then failback to restore the original roles)"
# --lang zh: report.zh.md and timeline.zh.png (Beijing time, CJK font) beside the English ones
$GOVOPS drill run site-loss --lang zh
SITE_LOSS=$(ls -d dr-drills/reports/*-site-loss* 2>/dev/null | tail -1 || true)
$GOVOPS drill run failback

step "govops audit show / verify (who changed what: SM3 chain, SM2 signatures, artefact digests)"
$GOVOPS audit show --since 1h
$GOVOPS audit verify

step "done"
$GOVOPS lab status
echo "The lab is still up: explore it (govops lab status, govops ops serve), then govops lab down."
echo "Chinese drill report (演练报告): ${SITE_LOSS:-dr-drills/reports/<time>-site-loss}/report.zh.md" \
     "(timeline.zh.png beside it; re-render: $GOVOPS drill report DIR --lang zh)"
echo "Ops page in Chinese (运维中心): $GOVOPS ops serve --lang zh, then http://127.0.0.1:9861/" \
     "(language switch on the page: ?lang=zh | ?lang=en)"
