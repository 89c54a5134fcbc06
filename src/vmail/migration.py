"""The migration of the old mailboxes (playbooks/migrate.yml), as pure functions (no I/O).

On the control node (filters of filter_plugins/vmail_migration.py):

* ``migration_plan``: the accounts in scope (one unit or all) joined with the source credentials
  the operators wrote (a vault file keyed by account id, as in registry.yml). An account without
  complete credentials is skipped and listed, never guessed; credentials for an id that is no
  account are listed too (a typo would otherwise skip someone silently).
* ``migration_report_csv``: the per-mailbox report as CSV (one line per mailbox, skipped ones too).

On the mail store, what the vmail_migrate module (roles/migration) decides and reports: folder
names from the IMAP wire (modified UTF-7, RFC 3501 5.1.3), the quota check made before anything
is copied, the doveadm command and the temporary configuration that carries the source password
(never on a command line, where `ps` shows it), and the per-mailbox result.
"""
from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import asdict, dataclass, field
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


# --------------------------------------------------------------------------------------------
# The copy (module vmail_migrate, on the mail store)


def decode_mutf7(name: str) -> str:
    """An IMAP mailbox name in modified UTF-7 (RFC 3501 5.1.3) as Unicode text."""
    out: list[str] = []
    i = 0
    while i < len(name):
        char = name[i]
        if char != "&":
            out.append(char)
            i += 1
            continue
        end = name.find("-", i)
        if end < 0:
            raise ValueError(f"unterminated modified UTF-7 shift in {name!r}")
        chunk = name[i + 1:end]
        if not chunk:
            out.append("&")
        else:
            data = chunk.replace(",", "/")
            data += "=" * (-len(data) % 4)
            out.append(base64.b64decode(data).decode("utf-16-be"))
        i = end + 1
    return "".join(out)


def encode_mutf7(text: str) -> str:
    """Unicode text as an IMAP mailbox name in modified UTF-7 (the inverse of decode_mutf7)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in text:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


LIST_LINE = re.compile(r'^\((?P<flags>[^)]*)\) (?P<sep>NIL|"(?:[^"\\]|\\.)*") (?P<name>.*)$')


def _unquote(text: str) -> str:
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_list(data: list[Any]) -> list[tuple[str, str | None]]:
    """(name on the wire, hierarchy separator) of every selectable folder in imaplib's LIST data;
    a name sent as a literal comes as a tuple (`(flags) "sep" {N}`, name)."""
    entries = []
    for item in data:
        if isinstance(item, tuple):
            head = re.sub(rb"\{\d+\}\s*$", b"", item[0]).rstrip()
            item = head + b' "' + item[1].replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        match = LIST_LINE.match((item or b"").decode("utf-8", "replace"))
        if not match or {"\\noselect", "\\nonexistent"} & set(match["flags"].lower().split()):
            continue
        sep = None if match["sep"] == "NIL" else _unquote(match["sep"])
        entries.append((_unquote(match["name"]), sep))
    return entries


def local_folder(source_name: str, separator: str | None) -> str:
    """Where a source folder (name as on the wire) lands here: decoded, hierarchy with '/'
    (the separator of this platform's namespace), INBOX as INBOX."""
    name = decode_mutf7(source_name)
    if separator and separator != "/":
        name = name.replace(separator, "/")
    return "INBOX" if name.upper() == "INBOX" else name


def dovecot_quote(value: str, series: str = "2.3") -> str:
    """A value for a Dovecot configuration file of `series`, quoted and kept from variable
    expansion, which Dovecot applies to imapc_user and imapc_password: 2.3 expands every %x,
    so % is doubled; 2.4 expands only %{...}, and a run of % before { loses one %."""
    if "\n" in value or "\r" in value:
        raise ValueError("a line break cannot be part of a Dovecot setting")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("%", "%%") if series == "2.3" else re.sub(r"(%*)%\{", r"\1%%{", escaped)
    return f'"{escaped}"'


# imapc_features when the operator names none: 2.3 needs the size and header fetches turned on;
# 2.4 turns on by itself what the source announces (its flags are no-... opt-outs, and it no
# longer knows rfc822.size or fetch-headers).
DEFAULT_IMAPC_FEATURES: dict[str, str] = {"2.3": "rfc822.size fetch-headers", "2.4": ""}


def imapc_settings(series: str, source: Mapping[str, Any], user: str, password: str,
                   features: str | None = None) -> dict[str, str]:
    """The Dovecot settings that point imapc at one source mailbox, in `series`' names.

    `source` holds host, port, ssl (imaps, starttls, no), ssl_verify and ca_file. 2.4 dropped
    imapc_ssl_verify for the global ssl_client_require_valid_cert."""
    verify = "yes" if source.get("ssl_verify", True) else "no"
    settings = {
        "imapc_host": str(source["host"]), "imapc_port": str(source.get("port", 993)),
        "imapc_ssl": str(source.get("ssl", "imaps")),
        ("imapc_ssl_verify" if series == "2.3" else "ssl_client_require_valid_cert"): verify,
        "imapc_user": user, "imapc_password": password,
        "imapc_features": DEFAULT_IMAPC_FEATURES[series] if features is None else features,
    }
    if source.get("ca_file"):
        settings["ssl_client_ca_file"] = str(source["ca_file"])
    return settings


def config_version(main_config_text: str) -> str:
    """The dovecot_config_version a Dovecot 2.4 configuration starts with ("" when it has none:
    2.3)."""
    found = re.search(r"^\s*dovecot_config_version\s*=\s*(\S+)", main_config_text, re.MULTILINE)
    return found.group(1) if found else ""


def imapc_config(main_config: str, settings: dict[str, str], series: str = "2.3", version: str = "") -> str:
    """The temporary configuration doveadm reads with -c: the platform's own configuration, then
    the imapc settings of one source mailbox (later settings win in Dovecot's parser). Dovecot
    2.4 wants dovecot_config_version as a file's first setting: the main configuration's own
    value (`version`), which it may then set again, unchanged."""
    lines = [f"dovecot_config_version = {version}"] if version else []
    lines += [f"!include {main_config}"]
    lines += [f"{key} = {dovecot_quote(str(value), series)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def doveadm_sync_argv(config_path: str, address: str, doveadm: str = "doveadm") -> list[str]:
    """One-way sync from the source (-R: pull from imapc) into the local mailbox.

    `sync -1` rather than `backup`: backup makes the destination identical to the source, so a
    final pass after the MX switch would delete mail already delivered here; a one-way sync
    only adds and updates. dsync keeps flags and dates (INTERNALDATE becomes the received date)
    and copies only what the destination lacks, so an interrupted run resumes and a second run
    moves only new mail."""
    return [doveadm, "-c", config_path, "sync", "-1", "-R", "-u", address, "imapc:"]


@dataclass
class Survey:
    """A source mailbox as seen over IMAP before copying."""
    folders: dict[str, dict[str, int]] = field(default_factory=dict)  # local name -> messages, bytes
    names: dict[str, str] = field(default_factory=dict)               # name on the wire -> local name
    separator: str | None = None

    @property
    def messages(self) -> int:
        return sum(f["messages"] for f in self.folders.values())

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.folders.values())


def over_quota(source_bytes: int, quota_bytes: int) -> bool:
    """Whether the source mailbox cannot fit in the account's quota (0: no quota)."""
    return quota_bytes > 0 and source_bytes > quota_bytes


def local_totals(status: list[dict[str, Any]], exclude_prefixes: list[str]) -> dict[str, dict[str, int]]:
    """doveadm `mailbox status messages vsize` JSON rows as folder -> messages, bytes; folders of
    other namespaces (unit mailboxes shared under Shared/) are not this mailbox's own."""
    folders: dict[str, dict[str, int]] = {}
    for row in status:
        name = str(row["mailbox"])
        if any(name.startswith(prefix) for prefix in exclude_prefixes):
            continue
        folders[name] = {"messages": int(row["messages"]), "bytes": int(row["vsize"])}
    return folders


@dataclass
class MailboxResult:
    """One line of the migration report."""
    id: str
    address: str
    source_user: str
    status: str = "pending"   # copied, up_to_date, would_copy, source_login_failed, over_quota, error
    source_messages: int = 0
    source_bytes: int = 0
    local_messages_before: int = 0
    local_messages: int = 0
    local_bytes: int = 0
    moved_messages: int = 0
    folders: dict[str, str] = field(default_factory=dict)   # source folder -> local folder
    missing_folders: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def conclude(result: MailboxResult, survey: Survey, local: dict[str, dict[str, int]],
             before: int, check_mode: bool) -> MailboxResult:
    """Fill in what the copy achieved: totals here, messages moved by this run, folders that
    did not arrive, and the status."""
    result.folders = dict(survey.names)
    result.local_messages_before = before
    result.local_messages = sum(f["messages"] for f in local.values())
    result.local_bytes = sum(f["bytes"] for f in local.values())
    result.moved_messages = max(result.local_messages - before, 0)
    result.missing_folders = sorted(name for name in survey.folders if name not in local)
    missing_mail = [name for name, f in survey.folders.items()
                    if name in local and local[name]["messages"] < f["messages"]]
    if check_mode:
        result.status = "would_copy" if missing_mail or result.missing_folders else "up_to_date"
    elif result.missing_folders or missing_mail:
        result.status = "error"
        result.error = result.error or ("incomplete after sync: " + ", ".join(result.missing_folders + missing_mail))
    else:
        result.status = "copied" if result.moved_messages else "up_to_date"
    return result


DONE = ("copied", "up_to_date", "would_copy")


def summarise(results: list[MailboxResult]) -> dict[str, Any]:
    """What the run's last message shows: counts per status, messages moved, the failures."""
    by_status: dict[str, int] = {}
    for result in results:
        by_status[result.status] = by_status.get(result.status, 0) + 1
    return {
        "by_status": dict(sorted(by_status.items())),
        "moved_messages": sum(r.moved_messages for r in results),
        "failed": [{"address": r.address, "status": r.status, "error": r.error}
                   for r in results if r.status not in DONE],
    }
