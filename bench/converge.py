#!/usr/bin/env python3
"""Benchmark of converging the platform: what an operator waits for after an HR edit.

On one new lab container (every tier, as `make lab`), reached over SSH as a production host:

(a) bare container -> platform ready: `podman run` of the lab image, then the whole `site.yml`;
(b) the no-op re-run of `site.yml` (must report 0 changed);
(b') the same no-op re-run with Ansible's own linear strategy (plain SSH with pipelining and
    ControlPersist, no Mitogen), for the ratio;
(c) the personnel file grown to ~20k people (`-e vmail_naming_extension=true`, as the issue
    measured it): the full `site.yml` once (20k accounts created) and again (0 changed).

Targets on 2 cores (issue 15): (a) <= 300 s, (b) <= 60 s, (c) <= 180 s and <= 90 s. Each run's
wall clock is the `ansible-playbook` process, control node included; the ten slowest tasks of
each run are kept (profile_tasks) to show where the time goes. The figures are printed with the
machine and its load; nothing is asserted.

The bench starts its own container vmail-bench-converge (network vmail-bench-net) and removes it.

    .venv/bin/python bench/converge.py [--people 20000] [--skip-20k]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

import benchlib  # bench/ is the script's own directory, first on sys.path
from provisioning import load_generator, personnel_text  # noqa: E402  pylint: disable=wrong-import-position

TARGETS = {"bare_to_ready_s": 300, "noop_rerun_s": 60, "edit_20k_first_s": 180, "edit_20k_rerun_s": 90}
# profile_tasks prints "role : task name ---- 12.34s" lines at the end of a run.
TASK_TIME = re.compile(r"^(.+?) -+ (\d+\.\d+)s$")
FQDN = "mail.tiengiang.gov.vn"


def slowest(output: str, count: int = 10) -> list[dict[str, Any]]:
    """The slowest tasks of a run, from the profile_tasks summary."""
    tasks = []
    for line in output.splitlines():
        match = TASK_TIME.match(line.strip())
        if match:
            tasks.append({"task": match.group(1).strip(), "seconds": float(match.group(2))})
    return sorted(tasks, key=lambda t: -t["seconds"])[:count]


def site(inventory: benchlib.LabInventory, personnel: Path, *extra: str,
         strategy: str | None = None) -> dict[str, Any]:
    """site.yml on the bench inventory, with the run's own registry, credentials and secrets
    (strategy: ansible.cfg's, Mitogen, unless another is named)."""
    env = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all"}
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    result = inventory.playbook(
        "site.yml",
        "-e", f"vmail_personnel_file={personnel}",
        "-e", f"vmail_registry_file={inventory.dir}/registry.yml",
        "-e", f"vmail_credentials_dir={inventory.dir}/credentials",
        "-e", f"vmail_secrets_dir={inventory.dir}/secrets",
        *extra,
        env=env, keep_output=True)
    output = result.pop("output")
    result["tasks"] = sum(1 for line in output.splitlines() if line.startswith("TASK ["))
    result["slowest_tasks"] = slowest(output)
    return result


def show(label: str, result: dict[str, Any], target: float) -> None:
    verdict = "met" if result["seconds"] <= target else "MISSED"
    print(f"{label}: {result['seconds']:.0f} s, {result['changed']} changed, {result['tasks']} tasks "
          f"(target <= {target:.0f} s: {verdict})")
    for task in result.get("slowest_tasks", [])[:5]:
        print(f"    {task['seconds']:6.1f} s  {task['task']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--skip-20k", action="store_true", help="only (a) and (b)")
    args = parser.parse_args()

    info = benchlib.machine()
    benchlib.print_machine(info)
    out: dict[str, Any] = {"machine": info, "targets": TARGETS, "connection": "SSH (Mitogen strategy)"}
    lab_personnel = benchlib.REPO / "inventories" / "lab" / "personnel.yml"
    container = benchlib.Container("vmail-bench-converge", FQDN)
    inventory = benchlib.LabInventory(container, FQDN)
    try:
        start = time.perf_counter()
        with container:
            booted = time.perf_counter() - start
            first = site(inventory, lab_personnel)
            first["container_start_s"] = round(booted, 2)
            first["seconds"] = round(booted + first["seconds"], 2)
            out["bare_to_ready"] = first
            show("(a) bare container -> platform ready", first, TARGETS["bare_to_ready_s"])
            out["noop_rerun"] = site(inventory, lab_personnel)
            show("(b) no-op re-run", out["noop_rerun"], TARGETS["noop_rerun_s"])
            plain = site(inventory, lab_personnel, strategy="linear")
            plain["ratio_over_mitogen"] = round(plain["seconds"] / out["noop_rerun"]["seconds"], 2)
            out["noop_rerun_plain_ssh"] = plain
            show("(b') no-op re-run, plain SSH (pipelining, no Mitogen)", plain, TARGETS["noop_rerun_s"])
            print(f"    plain SSH / Mitogen: {plain['ratio_over_mitogen']}x")
            if not args.skip_20k:
                gen = load_generator()
                big = inventory.dir / "personnel-20k.yml"
                big.write_text(personnel_text(gen, args.people), encoding="utf-8")
                ext = ("-e", "vmail_naming_extension=true")
                out["edit_20k_first"] = site(inventory, big, *ext)
                out["edit_20k_first"]["people"] = args.people
                show(f"(c) {args.people} people, first run", out["edit_20k_first"], TARGETS["edit_20k_first_s"])
                out["edit_20k_rerun"] = site(inventory, big, *ext)
                show(f"(c) {args.people} people, re-run", out["edit_20k_rerun"], TARGETS["edit_20k_rerun_s"])
    finally:
        inventory.cleanup()
    benchlib.write_result("converge", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
