#!/usr/bin/env python3
"""Benchmark of mailbox_accounts on 1k, 5k and 20k synthetic people (target: 20k < 2 s).

Prints the seconds per size, the scaling ratio t20k/t1k, the machine, and how many people the
strict ladder leaves unresolved (naming_plan) and the extension rung then resolves. Writes
bench/results/naming.json. Timing is the best of a few runs on one core.

    .venv/bin/python bench/naming.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from vmail import allocation

import benchlib  # bench/ is the script's own directory, first on sys.path

REPO = benchlib.REPO
SIZES = (1_000, 5_000, 20_000)
SEED = 2016
RESULTS = REPO / "bench" / "results" / "naming.json"


def load(name: str, path: Path) -> ModuleType:
    """Import a module by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def population(gen: ModuleType, size: int) -> dict[str, Any]:
    """``size`` people over the lab units, surname/middle/given/year as in the lab file."""
    units = gen.build_units(SEED)
    people = gen.synthetic_people(size, SEED + size, [u["id"] for u in units])
    return {"domain": gen.DOMAIN, "units": units, "people": people}


def best_time(func: Any, repeat: int) -> float:
    """The fastest of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(naming: ModuleType, personnel: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Timing and ladder statistics of one population."""
    plan = naming.naming_plan(personnel, {})
    unresolved = sum(len(group["people"]) for group in plan["unresolved"])
    extended = naming.mailbox_accounts(personnel, {}, extension=True)
    by_extension = sum(1 for account in extended if account["source"] == "extension")
    seconds = best_time(lambda: naming.mailbox_accounts(personnel, {}, extension=True), repeat)
    return {
        "people": len(personnel["people"]),
        "seconds": round(seconds, 4),
        "strict_unresolved": unresolved,
        "strict_unresolved_names": len(plan["unresolved"]),
        "extension_resolved": by_extension,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    gen = load("gen_personnel", REPO / "scripts" / "gen-personnel.py")
    machine = benchlib.machine()
    rows = [measure(allocation, population(gen, size), args.repeat) for size in SIZES]
    ratio = rows[-1]["seconds"] / rows[0]["seconds"]
    benchlib.print_machine(machine)
    print(f"{'people':>7} {'seconds':>8} {'strict unresolved':>18} {'extension resolves':>19}")
    for row in rows:
        print(f"{row['people']:>7} {row['seconds']:>8.3f} {row['strict_unresolved']:>18} {row['extension_resolved']:>19}")
    print(f"scaling t{SIZES[-1] // 1000}k/t{SIZES[0] // 1000}k: {ratio:.1f} (linear would be {SIZES[-1] / SIZES[0]:.0f})")
    result = {"machine": machine, "sizes": rows, "scaling_ratio": round(ratio, 2),
              "target": "20k people under 2 s on one core", "measured": "mailbox_accounts(extension=True), best of "
              f"{args.repeat}"}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
