#!/usr/bin/env python3
"""Print the README's benchmark table from bench/results/*.json (what was measured, nothing else).

    .venv/bin/python bench/table.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def load(name: str) -> dict[str, Any] | None:
    """One results file, or None when that benchmark has not been run."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def machine(result: dict[str, Any]) -> str:
    """CPU, cores and the load average at start."""
    info = result["machine"]
    load = info.get("loadavg_at_start", ["?"])[0]
    return f"{info['cpu']}, {info.get('cores', '?')} cores, load {load} at start"


def rows() -> list[str]:
    """Markdown rows, one per figure."""
    out = []
    naming = load("naming")
    if naming:
        sizes = ", ".join(f"{r['people'] // 1000}k: {r['seconds']:.2f} s" for r in naming["sizes"])
        out.append(f"| naming, `mailbox_accounts` ({machine(naming)}) | {sizes} (target < 2 s at 20k) |")
        big = naming["sizes"][-1]
        out.append(f"| same, synthetic {big['people'] // 1000}k population: people the strict Art. 4 ladder cannot "
                   f"place | {big['strict_unresolved']:,} ({big['strict_unresolved_names']} names); the opt-in "
                   f"extension rung places {big['extension_resolved']:,} |")
    prov = load("provisioning")
    if prov:
        for r in prov["sizes"]:
            out.append(f"| provisioning {r['people'] // 1000}k people ({r['accounts']} accounts), "
                       f"{machine(r if 'machine' in r else prov)} | first run {r['first_run_s']:.0f} s, "
                       f"second run {r['second_run_s']:.0f} s ({r['second_run_changed']} changed) |")
        ref = prov.get("reference")
        if ref:
            text = (f"{ref['one_task_per_account_first_run_s']:.0f} s for {ref['accounts']} accounts "
                    f"({ref['seconds_per_account']:.2f} s each)")
            if "estimated_ratio_at_1k" in ref:
                text += (f"; at 1k ~{ref['estimated_at_1k_s']:.0f} s (scaled, not measured) against "
                         f"{ref['bulk_first_run_s']:.0f} s bulk: ~{ref['estimated_ratio_at_1k']}x")
            elif ref.get("ratio_reference_over_bulk"):
                text += f"; bulk is {ref['ratio_reference_over_bulk']}x faster"
            out.append(f"| provisioning, one Ansible task per account (reference) | {text} |")
    tput = load("throughput")
    if tput and "mixes" in tput:
        eicar = tput["eicar_in_2mb_zip"]
        for label, mix in tput["mixes"].items():
            rate, cpu = mix["mean_messages_per_s"], mix["mean_cpu_ms_per_message"]
            delivered = sum(r["delivered"] for rs in mix["runs"].values() for r in rs)
            accepted = sum(r["accepted"] for rs in mix["runs"].values() for r in rs)
            loads = [r["loadavg"][0] for rs in mix["runs"].values() for r in rs]
            out.append(f"| mail throughput, {label} ({mix['message_bytes'] // 1024} KiB, {mix['messages']} messages, "
                       f"{mix['sessions']} sessions, A B x{tput['rounds']}; {machine(tput)}, "
                       f"{min(loads):.0f}-{max(loads):.0f} during the rounds) | platform "
                       f"{rate['platform']:.1f} msg/s, stock reference {rate['reference']:.1f} msg/s: "
                       f"**{mix['ratio_platform_over_reference']}x** (rounds {mix['ratio_per_round']}); CPU "
                       f"{cpu['platform']} / {cpu['reference']} ms per message; {delivered}/{accepted} delivered |")
        out.append(f"| same run: EICAR inside a 2 MB zip attachment, to the platform | {eicar['code']} "
                   f"{eicar['reply'][:60]} |")
        clamd = load("clamd-scan")
        if clamd:
            for label, ways in clamd["mixes"].items():
                whole, part = ways["whole"], ways["attachment"]
                out.append(f"| clamd alone, {label} message scanned whole vs its attachment alone ({clamd['copies']} "
                           f"copies each; {machine(clamd)}) | whole {whole['cpu_ms_per_scan']} ms CPU per scan, "
                           f"attachment alone {part['cpu_ms_per_scan']} ms: the whole message costs "
                           f"{round(whole['cpu_ms_per_scan'] / max(part['cpu_ms_per_scan'], 0.1), 1)}x |")
    elif tput:
        on, off = tput["filtering_on"], tput["filtering_off"]
        out.append(f"| mail throughput, {tput['message_bytes'] // 1024} KiB messages ({machine(tput)}) | "
                   f"filtering on {on['messages_per_s']:.1f} msg/s ({on['delivered']}/{on['accepted']} delivered), "
                   f"off {off['messages_per_s']:.1f} msg/s ({off['delivered']}/{off['accepted']}); "
                   f"off/on {tput['ratio_off_over_on']} |")
    logins = load("imap_logins")
    if logins:
        out.append(f"| IMAP logins, {logins['password_scheme']} ({machine(logins)}) | auth cache off "
                   f"{logins['cache_off']['logins_per_s']:.0f}/s, on {logins['cache_on']['logins_per_s']:.0f}/s; "
                   f"on/off {logins['ratio_cache_on_over_off']} |")
    conv = load("converge")
    if conv:
        targets = conv["targets"]
        labels = [("bare_to_ready", "bare container -> platform ready", "bare_to_ready_s"),
                  ("noop_rerun", "no-op re-run", "noop_rerun_s"),
                  ("noop_rerun_plain_ssh", "no-op re-run", "noop_rerun_s"),
                  ("edit_20k_first", "20k-person edit, first run", "edit_20k_first_s"),
                  ("edit_20k_rerun", "20k-person edit, re-run", "edit_20k_rerun_s")]
        for key, label, target in labels:
            if key in conv:
                run = conv[key]
                verdict = "met" if run["seconds"] <= targets[target] else "missed"
                over = ("plain SSH, pipelining, no Mitogen (`ANSIBLE_STRATEGY=linear`)"
                        if key == "noop_rerun_plain_ssh" else conv["connection"])
                out.append(f"| converge, site.yml on one lab container over {over}, {label} "
                           f"({machine(conv)}) | {run['seconds']:.0f} s, {run['changed']} changed, "
                           f"{run['tasks']} tasks (target <= {targets[target]} s: {verdict}) |")
    mig = load("migrate")
    if mig:
        for key, label in (("one_mailbox", "one mailbox"), ("unit_parallel", "a unit in parallel"),
                           ("incremental_nothing_new", "incremental pass, nothing new")):
            run = mig[key]
            out.append(f"| migration, {label} ({run['mailboxes']} mailbox(es), parallel {run['parallel']}; "
                       f"{machine(mig)}) | {run['messages']} messages, {run['mib']} MiB in {run['seconds']} s: "
                       f"{run['messages_per_s']} msg/s, {run['mib_per_s']} MiB/s |")
    fts = load("fts")
    if fts:
        box, index = fts["mailbox"], fts["index"]
        on, off = fts["search_fts_on"], fts["search_fts_off"]
        out.append(f"| full-text search, one mailbox of {box['mail_bytes'] / 2**20:.0f} MiB ({box['messages']} "
                   f"messages, {box['text_bytes'] / 2**20:.0f} MiB of text; {machine(fts)}) | index built in "
                   f"{index['build_seconds']:.0f} s, {index['lucene_bytes'] / 2**20:.1f} MiB = "
                   f"{index['lucene_percent_of_mail']} % of the mail ({index['lucene_percent_of_text']} % of its "
                   f"text), outside the quota ({index['quota_kib_before_index']} KiB before and "
                   f"{index['quota_kib_after_index']} KiB after); SEARCH TEXT \"{on['common']['phrase']}\" "
                   f"{on['common']['median_s']} s ({on['common']['hits']} hits), rare phrase "
                   f"{on['rare']['median_s']} s; without the index \"{off['common']['phrase']}\" "
                   f"{off['common']['median_s']} s |")
        don, doff = fts["delivery_indexing_on"], fts["delivery_indexing_off"]
        out.append(f"| delivery over LMTP until searchable, {don['messages']} messages ({machine(fts)}) | "
                   f"indexing on {don['messages_per_s']} msg/s, off {doff['messages_per_s']} msg/s; "
                   f"off/on {fts['delivery_ratio_off_over_on']} |")
    return out


def main() -> int:
    """Print the table."""
    print("| benchmark | result |\n|---|---|")
    print("\n".join(rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
