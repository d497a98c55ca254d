#!/usr/bin/env bash
# `make test`: lint, then the suite in three phases, then one closing line with the totals.
#   1. unit tests (no root needed), on both cores (pytest-xdist, a file stays on one worker)
#   2. lab tests that build labs of their own (marker own_lab: router triangle, three
#      centres, throwaway FRR), while the full lab is down; the podman hosts' Molecule
#      scenarios run beside them (phase "hosts"): they share nothing with those labs
#   3. lab tests on the full lab, brought up fresh here and taken down at the end; a clean-lab
#      check runs between its modules (tests/labguard.py)
# Each phase's time is printed at the end.
# Extra arguments go to every pytest run (e.g. `make test ARGS=-x` → scripts/test.sh -x).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
RESULTS=build/test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
status=0

.venv/bin/ruff check src tests benchmarks playbooks || status=1

TIMES=()
phase() {
  local name=$1; shift
  local t0=$SECONDS
  printf '\n\033[1m== tests: %s\033[0m\n' "$name"
  .venv/bin/pytest --junitxml="$RESULTS/$name.xml" "$@" || status=1
  TIMES+=("$name $((SECONDS - t0)) s")
}

# As root (CI) everything the suite uses is installed by `make install`: a skip is a failure.
[ "$(id -u)" = 0 ] && export GOVOPS_NO_SKIP=1
IMAGE_PID=
if [ "$(id -u)" = 0 ]; then
  # the podman test bed's image (debootstrap: minutes on a fresh machine, cached afterwards)
  # builds while the unit tests run; the Molecule scenarios then find it ready
  ANSIBLE_HOME="$PWD/.state/ansible" ANSIBLE_NOCOLOR=1 .venv/bin/ansible-playbook -i localhost, \
    molecule/shared/build-image.yml >"$RESULTS/testbed-image.log" 2>&1 &
  IMAGE_PID=$!
fi
phase unit -m "not lab" -n 2 --dist loadfile "$@"
if [ -n "$IMAGE_PID" ] && ! wait "$IMAGE_PID"; then
  # not fatal here: each scenario's create.yml builds it again and fails with the reason
  echo "building the podman test bed image failed (see $RESULTS/testbed-image.log):"
  tail -5 "$RESULTS/testbed-image.log"
fi
if [ "$(id -u)" = 0 ]; then
  # The Molecule scenarios (podman containers, ≈3.5 min) run beside the other standalone labs
  # (namespaces of their own): the two phases overlap instead of adding up. Their output goes
  # to a file and is printed when they finish; the full lab waits for both.
  HOSTS=tests/hosts/test_molecule.py
  t_hosts=$SECONDS
  .venv/bin/pytest --junitxml="$RESULTS/hosts.xml" -m "lab and own_lab" "$HOSTS" "$@" \
    >"$RESULTS/hosts.log" 2>&1 &
  HOSTS_PID=$!
  phase lab-standalone -m "lab and own_lab" --deselect "$HOSTS" "$@"
  wait "$HOSTS_PID" || status=1
  printf '\n\033[1m== tests: hosts (ran beside lab-standalone)\033[0m\n'
  cat "$RESULTS/hosts.log"
  TIMES+=("hosts $((SECONDS - t_hosts)) s (beside lab-standalone)")
  .venv/bin/govops lab down >/dev/null 2>&1
  if [ "${CI:-}" = true ]; then
    # CI runs in a fresh clone on the machine a session used: a lab that session left behind
    # (network namespaces outlive its processes) would block this one. Remove the lab estate's
    # namespaces and the processes in them — in CI only, where nothing else owns them.
    for ns in $(.venv/bin/python -c 'from govops.estate.loader import load_estate
print(" ".join(list(load_estate("inventories/lab").nodes) + ["dc-a", "dc-b", "dc-c", "dc-core"]))'); do
      if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
        ip netns delete "$ns" 2>/dev/null
      fi
    done
  fi
  t0=$SECONDS
  if .venv/bin/govops lab up >"$RESULTS/lab-up.log" 2>&1; then
    TIMES+=("lab-up $((SECONDS - t0)) s")
    phase lab -m "lab and not own_lab" "$@"
  else
    echo "govops lab up failed:"; tail -20 "$RESULTS/lab-up.log"; status=1
  fi
  .venv/bin/govops lab down >/dev/null 2>&1 || status=1
else
  echo "not root: the lab phases are not run (CI runs as root)"; status=1
fi

TIMES+=("total $SECONDS s")
printf '\nphase times: %s\n' "$(IFS=';'; echo "${TIMES[*]}" | sed 's/;/; /g')"
.venv/bin/python - "$RESULTS" <<'PY' || status=1
import pathlib, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    for suite in ET.parse(path).getroot().iter("testsuite"):
        total = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += total - bad - skip; failed += bad; skipped += skip
print(f"\ntests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not passed else 0)
PY
exit $status
