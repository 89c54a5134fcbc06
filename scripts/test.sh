#!/usr/bin/env bash
# Every test, in stages: yamllint, ansible-lint (production profile), mypy, pytest,
# and each Molecule scenario, VMAIL_TEST_LANES (2) of them at a time. Prints a
# per-stage timing summary and exits non-zero if any stage failed (all stages
# run, so one report shows all).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
scripts/lab-secrets.sh >/dev/null   # Molecule converges need a vault password

# Each stage's whole output also goes to reports/test-logs/<stage>.log; the
# summary repeats the lines that say why a stage failed, so they are seen even
# where only the beginning and the end of a long CI log are shown.
logs=reports/test-logs
rm -rf "$logs"; mkdir -p "$logs"
# Molecule scenarios mostly wait (SSH round trips, services starting, mail in
# flight): two of them side by side use the 2 cores better than one after the
# other. VMAIL_TEST_LANES sets how many stages run at once (1: one after the
# other, the whole output on the terminal); with more, each stage's output goes
# to its log only, and the terminal shows when each starts and ends.
lanes=${VMAIL_TEST_LANES:-2}
results_file="$logs/results.txt"
: > "$results_file"
run_stage() {
    local name=$1; shift
    local start=$SECONDS log="$logs/${name//:/-}.log" rc
    echo "=== stage: $name: $*"
    if [ "$lanes" -gt 1 ]; then
        "$@" > "$log" 2>&1; rc=$?
    else
        "$@" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
    fi
    local result=ok; [ "$rc" -eq 0 ] || result=FAILED
    echo "$name $result $((SECONDS - start))" >> "$results_file"
    echo "=== stage: $name: $result after $((SECONDS - start)) s"
}
static_stages() {
    run_stage yamllint yamllint -s .
    run_stage ansible-lint ansible-lint
    # The domain package is typed throughout (pyproject.toml [tool.mypy]).
    run_stage mypy mypy --strict src/vmail
    run_stage pytest pytest -q tests
}
scenarios=${MOLECULE_SCENARIOS:-$(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)}
# Longest first, so the lanes end close together (figures: README, "Tests").
jobs_in_order=()
for known in mail-debian12 mail migrate backup multi static; do
    if [ "$known" = static ] || grep -qw -- "$known" <<<"$scenarios"; then jobs_in_order+=("$known"); fi
done
for scenario in $scenarios; do
    case " ${jobs_in_order[*]} " in *" $scenario "*) ;; *) jobs_in_order+=("$scenario") ;; esac
done
wall_start=$SECONDS
for job in "${jobs_in_order[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$lanes" ]; do wait -n; done
    if [ "$job" = static ]; then
        static_stages &
    else
        run_stage "molecule:$job" molecule test -s "$job" &
    fi
    # Two scenarios creating containers in the same second contend for podman's locks.
    [ "$lanes" -gt 1 ] && sleep 5
done
wait
declare -a names=() results=() seconds=()
for stage in yamllint ansible-lint mypy pytest $(for s in $scenarios; do echo "molecule:$s"; done); do
    read -r _ result took < <(grep -m1 "^$stage " "$results_file") || { result=FAILED; took=0; }
    names+=("$stage"); results+=("$result"); seconds+=("$took")
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
echo "stages: $passed passed, $failed failed, $((SECONDS - wall_start)) s in all ($lanes at a time)"
exit $status
