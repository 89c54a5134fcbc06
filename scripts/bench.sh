#!/usr/bin/env bash
# Run the benchmarks; each prints its figures with the machine they ran on and
# writes JSON under bench/results/. No benchmark is a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
python bench/naming.py
