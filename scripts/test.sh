#!/usr/bin/env bash
# Every test, in stages: yamllint, ansible-lint (production profile), mypy, pytest,
# then each Molecule scenario. Prints a per-stage timing summary and exits
# non-zero if any stage failed (all stages run, so one report shows all).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
scripts/lab-secrets.sh >/dev/null   # Molecule converges need a vault password

# Each stage's whole output also goes to reports/test-logs/<stage>.log; the
# summary repeats the lines that say why a stage failed, so they are seen even
# where only the beginning and the end of a long CI log are shown.
logs=reports/test-logs
rm -rf "$logs"; mkdir -p "$logs"
declare -a names=() results=() seconds=()
run_stage() {
    local name=$1; shift
    local start=$SECONDS
    echo "=== stage: $name: $*"
    "$@" 2>&1 | tee "$logs/${name//:/-}.log"
    if [ "${PIPESTATUS[0]}" -eq 0 ]; then results+=(ok); else results+=(FAILED); fi
    names+=("$name"); seconds+=($((SECONDS - start)))
}

run_stage yamllint yamllint -s .
run_stage ansible-lint ansible-lint
# The domain package is typed throughout (pyproject.toml [tool.mypy]).
run_stage mypy mypy --strict src/vmail
run_stage pytest pytest -q tests
scenarios=${MOLECULE_SCENARIOS:-$(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)}
for scenario in $scenarios; do
    run_stage "molecule:$scenario" molecule test -s "$scenario"
done

echo
echo "=== summary"
status=0
for i in "${!names[@]}"; do
    printf '  %-22s %-7s %5ss\n' "${names[$i]}" "${results[$i]}" "${seconds[$i]}"
    [ "${results[$i]}" = ok ] || status=1
done
for i in "${!names[@]}"; do
    [ "${results[$i]}" = ok ] && continue
    log="$logs/${names[$i]//:/-}.log"
    echo
    echo "=== why ${names[$i]} failed (whole output: $log)"
    # Ansible's failed tasks with their messages, pytest's failures (not
    # Ansible's "FAILED - RETRYING"); otherwise (linters) the end of the output.
    # Molecule's idempotence step names the tasks that changed on the second
    # run ("Idempotence test failed because of ..." then "* [host] => task").
    # Molecule draws a box (and colours) around Ansible's output even with NO_COLOR:
    # both are taken off before looking for the lines.
    plain=$(sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^ *│ \{0,1\}//' "$log")
    excerpt=$( { grep -n -A30 'Idempotence test failed' <<<"$plain" | grep -E 'Idempotence test failed|\* \[' ;
                 grep -n -B3 -A20 -E '^(fatal|failed):|FAILED!|^E  |^FAILED [^-]|^ERROR |^\[ERROR\]' <<<"$plain"; } | head -n 120 || true)
    if [ -n "$excerpt" ]; then echo "$excerpt"; else tail -n 40 "$log"; fi
done
passed=0; failed=0
for r in "${results[@]}"; do if [ "$r" = ok ]; then passed=$((passed+1)); else failed=$((failed+1)); fi; done
echo "stages: $passed passed, $failed failed"
exit $status
