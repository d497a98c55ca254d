#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine, as root.
#   estate → lab up (26 FRR routers, three PostgreSQL centres, Prometheus) → push the extranet
#   config to every router → every town reaches both province cores over IPv6 and IPv4 →
#   the cloud plan of the lab estate → a site-loss DR drill with its report.
# The lab stays up afterwards for exploring; `.venv/bin/govops lab down` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
GOVOPS=.venv/bin/govops
START=$(date -u +%Y-%m-%dT%H:%M:%S)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, FRR, PostgreSQL)"; exit 2; }

# The demo operator (issue 18, ADR 0018): every record of the demo is SM2-signed by it. Its key
# and a random passphrase (mode 600) live outside the checkout; the lab estate's registry, where
# it holds every role, comes from GOVOPS_LAB_OPERATORS, so inventories/lab is not changed.
# `source ~/.config/govops/demo/env` afterwards to act as the demo operator by hand.
DEMO=${GOVOPS_DEMO_DIR:-$HOME/.config/govops/demo}
mkdir -p "$DEMO" && chmod 700 "$DEMO"
export GOVOPS_AUDIT_KEY="$DEMO/demo.sm2.key" GOVOPS_AUDIT_PASSPHRASE_FILE="$DEMO/passphrase" \
       GOVOPS_LAB_OPERATORS="$DEMO/operators.yaml"
unset GOVOPS_AUDIT_PASSPHRASE
if [ ! -f "$GOVOPS_AUDIT_KEY" ]; then
  step "govops audit keygen --operator demo; govops operators init (the demo operator)"
  (umask 077; head -c 24 /dev/urandom | base64 >"$GOVOPS_AUDIT_PASSPHRASE_FILE")
  $GOVOPS audit keygen --out "$DEMO" --operator demo
fi
if [ ! -f "$GOVOPS_LAB_OPERATORS" ]; then
  $GOVOPS operators init --estate inventories/lab --role system-admin --role audit-admin --role approver
fi
printf 'export GOVOPS_AUDIT_KEY=%q GOVOPS_AUDIT_PASSPHRASE_FILE=%q GOVOPS_LAB_OPERATORS=%q\n' \
  "$GOVOPS_AUDIT_KEY" "$GOVOPS_AUDIT_PASSPHRASE_FILE" "$GOVOPS_LAB_OPERATORS" >"$DEMO/env"
# with no identity of your own yet, govops acts as the demo operator on this machine's lab
# (and rehearsal) estates when the environment names no key (README, ADR 0018)
IDENTITY=${GOVOPS_IDENTITY:-$HOME/.config/govops/identity.yaml}
if [ ! -f "$IDENTITY" ]; then
  (umask 077; printf 'key: %s\npassphrase_file: %s\nlab_operators: %s\n' "$GOVOPS_AUDIT_KEY" \
    "$GOVOPS_AUDIT_PASSPHRASE_FILE" "$GOVOPS_LAB_OPERATORS" >"$IDENTITY")
fi
$GOVOPS operators list --estate inventories/lab

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
# every record this demo wrote is signed by the demo operator (older ones are only counted)
$GOVOPS audit verify --since "$START" --require-signed

step "done"
$GOVOPS lab status
echo "The lab is still up: explore it (govops lab status, govops ops serve), then govops lab down."
echo "Chinese drill report (演练报告): ${SITE_LOSS:-dr-drills/reports/<time>-site-loss}/report.zh.md" \
     "(timeline.zh.png beside it; re-render: $GOVOPS drill report DIR --lang zh)"
echo "Ops page in Chinese (运维中心): $GOVOPS ops serve --lang zh, then http://127.0.0.1:9861/" \
     "(language switch on the page: ?lang=zh | ?lang=en)"
