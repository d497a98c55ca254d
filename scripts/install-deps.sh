#!/usr/bin/env bash
# Installs what govops needs on a fresh Debian 12 machine: the Debian packages of the lab
# (only when root and missing) and the Python venv in .venv. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."
# The lab: FRR routers with sshd, PostgreSQL for the three centres, Prometheus and exporters,
# podman hosts for the role tests, chromium for the ops page test; a CJK font (and fontconfig's
# fc-match, which finds it) for the Chinese drill timelines and the zh ops page.
APT_PKGS="frr openssh-server iputils-ping nftables iproute2 procps util-linux bc curl
  postgresql prometheus prometheus-blackbox-exporter prometheus-postgres-exporter
  prometheus-frr-exporter prometheus-node-exporter prometheus-alertmanager
  podman debootstrap runc chromium fonts-wqy-microhei fontconfig"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=""
  for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing"
    # packages must not start their daemons (prometheus on :9090, postgres…): the lab starts
    # its own, in namespaces
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
stamp=.venv/.govops-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi
# the message catalogs (src/govops/locale/*/LC_MESSAGES/govops.po → .mo), every time: a .po can
# change without pyproject.toml changing
.venv/bin/python -m govops.i18n.compile >/dev/null
