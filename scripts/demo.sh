#!/usr/bin/env bash
# `make demo`: validate the lab estate and show what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."
GOVOPS=.venv/bin/govops
echo "== govops estate validate inventories/lab"
$GOVOPS estate validate inventories/lab
