#!/usr/bin/env bash
# `make test`: lint, then the whole suite (unit and, as root, lab tests).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests benchmarks
.venv/bin/pytest "$@"
