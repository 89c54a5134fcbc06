#!/usr/bin/env bash
# Run the benchmarks; each prints its figures with the machine they ran on
# (CPU, cores, RAM, load average at start) and writes JSON under bench/results/.
# No benchmark is a pass/fail test. Subset: BENCHMARKS="naming mailpath" make bench.
# provisioning, mailpath, clamd_scan, converge, migrate and fts start their own podman containers (vmail-bench-*,
# network vmail-bench-net) from the lab image and remove them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
benchmarks=${BENCHMARKS:-naming provisioning mailpath clamd_scan converge migrate fts}
for name in $benchmarks; do
    case "$name" in
        provisioning|mailpath|clamd_scan|converge|migrate|fts)
            scripts/build-image.sh
            scripts/lab-secrets.sh >/dev/null ;;   # the converges read the lab vault
    esac
    echo "=== bench: $name"
    python "bench/$name.py"
done
