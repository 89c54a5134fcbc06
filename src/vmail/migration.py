"""Which mailboxes a migration run copies, and its report, as pure functions.

* ``migration_plan``: the accounts in scope (one unit or all) joined with the source credentials
  the operators wrote (a vault file keyed by account id, as in registry.yml). An account without
  complete credentials is skipped and listed, never guessed; credentials for an id that is no
  account are listed too (a typo would otherwise skip someone silently).
* ``migration_report_csv``: the per-mailbox report as CSV (one line per mailbox, skipped ones too).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from vmail.errors import InvalidInput


REPORT_FIELDS = ["id", "address", "source_user", "status", "source_messages", "source_bytes",
                 "local_messages_before", "local_messages", "local_bytes", "moved_messages",
                 "folders", "missing_folders", "seconds", "error"]


def migration_plan(accounts: Sequence[Mapping[str, Any]], credentials: Mapping[str, Any] | None,
                   unit: str = "") -> dict[str, list[dict[str, Any]]]:
    """{"mailboxes": accounts to copy with their source login, "skipped": [{id, address, reason}],
    "unknown_ids": credential keys that are no account}.

    Accounts of status ``left`` are skipped (their mailbox is disabled here); ``unit`` limits the
    run to the accounts whose unit is that id (the unit mailbox and its people).
    """
    if not isinstance(accounts, Sequence) or isinstance(accounts, (str, bytes)):
        raise InvalidInput("migration_plan: expected the list of accounts (vmail_accounts)")
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, Mapping):
        raise InvalidInput("migration_plan: the source credentials must be a mapping of account id "
                                 "-> {user, password}")
    in_scope = [a for a in accounts if not unit or a.get("unit") == unit]
    if unit and not in_scope:
        raise InvalidInput(f"migration_plan: unit {unit!r} has no accounts in the personnel file")
    known = {str(a["id"]) for a in accounts}
    plan: dict[str, list[Any]] = {"mailboxes": [], "skipped": [],
                                             "unknown_ids": sorted(str(k) for k in credentials if str(k) not in known)}
    for account in in_scope:
        entry = credentials.get(str(account["id"]))
        reason = _skip_reason(account, entry)
        if reason:
            plan["skipped"].append({"id": str(account["id"]), "address": account["address"], "reason": reason})
            continue
        assert isinstance(entry, Mapping)
        plan["mailboxes"].append({
            "id": str(account["id"]), "address": account["address"],
            "source_user": str(entry["user"]), "source_password": str(entry["password"]),
            "quota_bytes": int(account.get("quota_bytes") or 0),
        })
    return plan


def _skip_reason(account: Mapping[str, Any], entry: Any) -> str:
    if account.get("status") == "left":
        return "status left: the mailbox is disabled here"
    if entry is None:
        return "no source credentials"
    if not isinstance(entry, Mapping):
        return "source credentials are not a mapping {user, password}"
    missing = [k for k in ("user", "password") if not str(entry.get(k) or "").strip()]
    return f"source credentials without {' and '.join(missing)}" if missing else ""


def migration_report_csv(rows: Sequence[Mapping[str, Any]], skipped: Sequence[Mapping[str, Any]] = ()) -> str:
    """The report as CSV: copied mailboxes, then skipped ones (status "skipped", reason as error).

    Folders are written ``source=local`` separated by ``; `` (the mapping is the point of the
    column: which old folder became which folder here)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        line = {k: row.get(k, "") for k in REPORT_FIELDS}
        line["folders"] = "; ".join(f"{src}={dst}" for src, dst in dict(row.get("folders") or {}).items())
        line["missing_folders"] = "; ".join(row.get("missing_folders") or [])
        writer.writerow(line)
    for item in skipped:
        writer.writerow({"id": item["id"], "address": item["address"], "status": "skipped", "error": item["reason"]})
    return out.getvalue()


