#!/usr/bin/env python3
"""Benchmark of the migration (playbooks/migrate.yml): messages/s and MB/s, one mailbox and a unit.

Two containers from the lab image on the bench network: vmail-bench-migrate-mail converged with
site.yml (every tier), and vmail-bench-migrate-old, a plain Debian Dovecot set up and seeded by the
migrate scenario's own prepare.yml (molecule/migrate/) with this benchmark's users: realistic
official mail (Vietnamese text, one message in five with a 200 KiB attachment). Then, with the
figures from the run's report (the module's own wall time, bytes as Dovecot counts them here):

1. one mailbox alone (migration_parallel 1);
2. a unit: the other mailboxes in parallel (migration_parallel, default 4);
3. the incremental pass over all of them with nothing new (what the cut-over's last pass costs).

Old server and mail store share this machine's cores (and its disk), so the figures are a floor
for two real servers. Not a test: nothing is asserted.

    .venv/bin/python bench/migrate.py [--messages 1000] [--mailboxes 8] [--parallel 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

import benchlib  # bench/ is the script's own directory, first on sys.path

FQDN = "mail.tiengiang.gov.vn"
UNIT = "stttt-ttcntttt"
MIB = 2**20


def old_users(people: list[str], messages: int) -> dict[str, Any]:
    """The old server's users: one per account id, Vietnamese folders, attachments."""
    share = {"INBOX": 0.5, "Công văn đến": 0.3, "Công văn đi": 0.15, "Sent": 0.05}
    return {
        f"old{index}": {
            "account": account, "password": f"Bench#Cu2016x{index}", "in_converge": True,
            "attachment_every": 5, "attachment_kib": 200,
            "folders": {name: max(int(messages * part), 1) for name, part in share.items()},
        }
        for index, account in enumerate(people)
    }


def credentials_file(directory: Path, name: str, users: dict[str, Any], accounts: list[str]) -> Path:
    """A (bench-only, plain) credentials file for the given account ids."""
    path = directory / name
    chosen = {e["account"]: {"user": u, "password": e["password"]} for u, e in users.items() if e["account"] in accounts}
    path.write_text(yaml.safe_dump({"migration_source_credentials": chosen}), encoding="utf-8")
    return path


def migrate(inventory: benchlib.LabInventory, creds: Path, parallel: int, reports: Path) -> dict[str, Any]:
    """One run of migrate.yml; the figures of its report."""
    before = set(reports.glob("migration-*.json"))
    time.sleep(1.1)  # report names are whole seconds
    run = inventory.playbook("playbooks/migrate.yml", "-e", f"migration_credentials_file={creds}",
                             "-e", f"migration_parallel={parallel}", "-e", f"migration_unit={UNIT}",
                             "-e", f"migration_report_dir={reports}",
                             "-e", f"vmail_personnel_file={inventory.dir / 'personnel.yml'}")
    (path,) = set(reports.glob("migration-*.json")) - before
    report = json.loads(path.read_text(encoding="utf-8"))
    rows = report["mailboxes"]
    moved = sum(r["moved_messages"] for r in rows)
    moved_bytes = sum(r["local_bytes"] for r in rows if r["moved_messages"] and not r["local_messages_before"])
    seconds = report["seconds"]
    return {
        "mailboxes": len(rows), "parallel": parallel, "statuses": sorted({r["status"] for r in rows}),
        "messages": moved, "mib": round(moved_bytes / MIB, 1), "seconds": seconds,
        "playbook_seconds": run["seconds"],
        "messages_per_s": round(moved / seconds, 1) if seconds else 0.0,
        "mib_per_s": round(moved_bytes / MIB / seconds, 2) if seconds else 0.0,
        "source_messages": sum(r["source_messages"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per mailbox")
    parser.add_argument("--mailboxes", type=int, default=8, help="mailboxes of the unit pass")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    info = benchlib.machine()
    benchlib.print_machine(info)

    personnel = yaml.safe_load((benchlib.REPO / "inventories/lab/personnel.yml").read_text(encoding="utf-8"))
    people = [p["id"] for p in personnel["people"] if p["unit"] == UNIT and p.get("status") == "active"]
    people = people[:args.mailboxes + 1]
    single, unit = people[0], people[1:]
    users = old_users(people, args.messages)

    with benchlib.Container("vmail-bench-migrate-mail", FQDN, host_number=40) as mail, \
            benchlib.Container("vmail-bench-migrate-old", "oldmail.tiengiang.gov.vn", host_number=41) as old:
        inventory = benchlib.LabInventory(mail, FQDN)
        try:
            work = inventory.dir
            (work / "personnel.yml").write_text(yaml.safe_dump(personnel, allow_unicode=True), encoding="utf-8")
            (work / "host_vars").mkdir()
            (work / "host_vars" / "mail.yml").write_text(
                f"---\nmigration_source_host: {old.address}\n"
                "migration_source_ca_file: /etc/ssl/vmail-migration/old-server.crt\n", encoding="utf-8")
            (work / "old-users.yml").write_text(yaml.safe_dump(users, allow_unicode=True), encoding="utf-8")
            print("converging the platform (site.yml) ...", flush=True)
            inventory.playbook("site.yml", "-e", f"vmail_personnel_file={work / 'personnel.yml'}",
                               "-e", f"vmail_secrets_dir={work / 'secrets'}")
            # The old server joins the inventory only now: site.yml's plays on all hosts leave it alone.
            with (work / "hosts.yml").open("a", encoding="utf-8") as hosts:
                hosts.write(f"    oldserver:\n      hosts:\n        old:\n          ansible_host: {old.address}\n"
                            f"          vmail_lab_ssh_dir: {benchlib.SSH_DIR}\n")
            print("setting up and seeding the old server ...", flush=True)
            inventory.playbook("molecule/migrate/prepare.yml", "-e", f"migrate_old_users_file={work / 'old-users.yml'}",
                               "-e", f"migrate_work_dir={work}")
            reports = work / "reports"
            results = {
                "one_mailbox": migrate(inventory, credentials_file(work, "one.yml", users, [single]), 1, reports),
                "unit_parallel": migrate(inventory, credentials_file(work, "unit.yml", users, unit), args.parallel,
                                         reports),
                "incremental_nothing_new": migrate(inventory, credentials_file(work, "all.yml", users, people),
                                                   args.parallel, reports),
            }
        finally:
            inventory.cleanup()

    for name, figures in results.items():
        print(f"{name:24} {figures['mailboxes']:3} mailbox(es), parallel {figures['parallel']}: "
              f"{figures['messages']} messages, {figures['mib']} MiB in {figures['seconds']} s: "
              f"{figures['messages_per_s']} messages/s, {figures['mib_per_s']} MiB/s "
              f"(source held {figures['source_messages']} messages; statuses {figures['statuses']})")
    benchlib.write_result("migrate", {"machine": info, "messages_per_mailbox": args.messages,
                                      "attachment": "every 5th message, 200 KiB", **results})


if __name__ == "__main__":
    main()
