"""vmail-lifecycle: the daily account lifecycle job (Art. 5.3, 12.5 of Decision 51/2016/QĐ-UBND).

"Six months after issue or last use an unused account is locked, after twelve
months it is deleted." One run, in this order:

  1. adds the day's SMTP submission logins (Postfix `sasl_username=` lines in
     the journal, read from a saved cursor) to the last-login database that
     Dovecot's last_login plugin fills for IMAP and POP3 (the webmail logs in
     over IMAP);
  2. decides, for every personal account, from its reference date: the latest
     of issue, last use, last unlock and the end of an exemption
     (`exempt_until` in the personnel file):
       - notice (Vietnamese, to the user and the unit mailbox) NOTICE weeks
         before the lock and again before the deletion;
       - lock at LOCK months (`vmail-accounts lock --kind inactive`: logins
         refused with a Vietnamese reason, mail still delivered);
       - delete at DELETE months: archive (borg repository when the backup
         role is configured, else a local tar.gz), remove the mailbox, keep a
         tombstone (address reserved forever);
     `status: left` accounts are already refused at login; they are deleted
     by the same rule. Emergency locks hold the account (never deleted while
     the lock stands); suspended accounts and unit mailboxes are left alone.

  vmail-lifecycle run [--now YYYY-MM-DD] [--dry-run] [--no-journal]
  vmail-lifecycle status [--now YYYY-MM-DD]   # per account: reference, due dates, next step

--now (or VMAIL_LIFECYCLE_NOW) shifts the date the rules are applied to.
Prints one JSON document; every action is also logged to the journal.
Stdlib only.
"""
from __future__ import annotations

import argparse
import calendar
import dataclasses
import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import syslog
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict

from vmail import accountsdb, maillog, noticemail, sessions
from vmail.statuses import AccountKind, LockKind, Status

CONFIG = "/etc/vmail/lifecycle.json"
# Who the job is in the lock log, and the kind of lock it sets (an operator's is "emergency").
BY = "vmail-lifecycle"
LOCK_KIND: LockKind = "inactive"


class PolicyConfig(TypedDict):
    # Numbers; Ansible's templating may render them as strings ("6"): read through int().
    lock_months: int | str
    delete_months: int | str
    notice_weeks: int | str


class Config(TypedDict):
    """/etc/vmail/lifecycle.json, written by roles/lifecycle (vars/main.yml: __lifecycle_config)."""
    policy: PolicyConfig
    domain: str
    sender: str
    lock_message: str
    accounts_db: str
    accounts_command: list[str]
    last_login_db: str
    mail_root: str
    deliver_command: list[str]
    archive_method: Literal["auto", "borg", "local"]
    archive_dir: str
    backup_env: str
    borg_compression: str
    journal_cursor_file: str


# What a notice is about: the two warnings and the two accomplished facts.
NoticeKind = Literal["notice-lock", "locked", "notice-delete", "deleted"]
# The stage a warning is sent for (lifecycle_notices.stage); a notice sent: stage and due date (ISO).
Stage = Literal["lock", "delete"]
Notice = tuple[Stage, str]


# ---------------------------------------------------------------- decisions
# Pure functions: no I/O, tested in tests/unit/test_lifecycle_rules.py.

@dataclasses.dataclass(frozen=True)
class Policy:
    lock_months: int = 6
    delete_months: int = 12
    notice_weeks: int = 6


@dataclasses.dataclass(frozen=True)
class Account:
    id: str
    address: str
    kind: AccountKind
    status: Status
    created: datetime.date
    last_use: datetime.date | None = None
    last_unlock: datetime.date | None = None
    exempt_until: datetime.date | None = None
    lock_kind: LockKind | None = None
    tombstoned: bool = False
    notices: frozenset[Notice] = frozenset()   # already sent


Action = Literal["skip", "exempt", "hold", "none", "notice-lock", "lock", "notice-delete", "delete"]


@dataclasses.dataclass(frozen=True)
class Decision:
    action: Action
    reference: datetime.date | None = None
    lock_at: datetime.date | None = None
    delete_at: datetime.date | None = None


@dataclasses.dataclass(frozen=True)
class Due(Decision):
    """A decision on an account the clock runs for: its dates are known."""
    reference: datetime.date
    lock_at: datetime.date
    delete_at: datetime.date


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day N months later; the 31st becomes the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reference_date(acc: Account) -> datetime.date:
    """The day the inactivity clock starts: issue, last use, unlock or end of exemption."""
    days = [acc.created, acc.last_use, acc.last_unlock, acc.exempt_until]
    return max(d for d in days if d is not None)


def decide(acc: Account, today: datetime.date, policy: Policy) -> Decision:
    """What to do today; a ``Due`` (with its dates) for every account the clock runs for."""
    if acc.tombstoned or acc.kind != "person" or acc.status == "suspended":
        return Decision("skip")
    if acc.exempt_until is not None and acc.exempt_until >= today:
        return Decision("exempt")
    ref = reference_date(acc)
    lock_at = add_months(ref, policy.lock_months)
    delete_at = add_months(ref, policy.delete_months)
    notice = datetime.timedelta(weeks=policy.notice_weeks)

    def due(action: Action) -> Due:
        return Due(action, reference=ref, lock_at=lock_at, delete_at=delete_at)

    if acc.lock_kind == "emergency":
        # Art. 12.7 locks are an operator's business: nothing automatic.
        return due("hold")
    if today >= delete_at:
        return due("delete")
    delete_notice_due = today >= delete_at - notice and ("delete", delete_at.isoformat()) not in acc.notices
    if acc.status == "left":
        return due("notice-delete" if delete_notice_due else "none")
    if today >= lock_at:
        if acc.lock_kind is None:
            return due("lock")
        return due("notice-delete" if delete_notice_due else "none")
    if today >= lock_at - notice and ("lock", lock_at.isoformat()) not in acc.notices:
        return due("notice-lock")
    return due("none")


# ---------------------------------------------------------------- helpers

def log(message: str) -> None:
    syslog.openlog("vmail-lifecycle", 0, syslog.LOG_MAIL)
    syslog.syslog(syslog.LOG_NOTICE, message)


def local_date(text: str | None) -> datetime.date | None:
    """ISO timestamp (UTC, as vmail-accounts writes) or date -> local date; None if empty."""
    if not text:
        return None
    if len(text) == 10:
        return datetime.date.fromisoformat(text)
    moment = datetime.datetime.strptime(text, accountsdb.TIMESTAMP_FORMAT).replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone().date()


def iso(day: datetime.date | None) -> str | None:
    return None if day is None else day.isoformat()


def vn_date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---------------------------------------------------------------- last use

def submission_logins(json_lines: Iterable[str]) -> dict[str, int]:
    """{user: latest unix time} from journal entries (journalctl -o json) of Postfix's smtpd:
    "QUEUEID: client=..., sasl_method=PLAIN, sasl_username=USER" (vmail.maillog.submitter)."""
    latest: dict[str, int] = {}
    for line in json_lines:
        entry = maillog.journal_entry(line)
        user = entry and maillog.submitter(entry.identifier, entry.message)
        if entry is None or not user:
            continue
        when = entry.realtime_usec // 1_000_000
        latest[user] = max(latest.get(user, 0), when)
    return latest


def scan_submission_logins(conf: Config, dry_run: bool) -> dict[str, int]:
    """Postfix logs `sasl_username=` for every message a logged-in user submits:
    record it as an 'smtp' login. The journal cursor is saved so each line counts once."""
    cursor_file = conf["journal_cursor_file"]
    # Lines journald has received but not yet written become readable first.
    subprocess.run(["journalctl", "--sync"], capture_output=True, check=False)
    cmd = maillog.journal_command(*([] if dry_run else [f"--cursor-file={cursor_file}"]))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"journalctl failed: {proc.stderr.strip()}")
    latest = submission_logins(proc.stdout.splitlines())
    if latest and not dry_run:
        conn = sqlite3.connect(conf["last_login_db"], timeout=30)
        with conn:
            conn.executemany(
                "INSERT INTO last_login (userid, service, last_access) VALUES (?, 'smtp', ?)"
                " ON CONFLICT (userid, service) DO UPDATE SET"
                " last_access = max(last_access, excluded.last_access)", sorted(latest.items()))
        conn.close()
    return latest


def last_use_dates(conf: Config) -> dict[str, datetime.date]:
    conn = sqlite3.connect(f"file:{conf['last_login_db']}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT userid, max(last_access) FROM last_login GROUP BY userid").fetchall()
    finally:
        conn.close()
    return {user.lower(): datetime.datetime.fromtimestamp(ts).date() for user, ts in rows}


# ---------------------------------------------------------------- accounts

def open_accounts(conf: Config) -> sqlite3.Connection:
    # The schema (account_locks, lock_log, tombstones, lifecycle_notices) is
    # vmail.accountsdb's: an older database is upgraded before the job writes.
    return accountsdb.open_db(conf["accounts_db"])


def load_accounts(conn: sqlite3.Connection,
                  last_use: Mapping[str, datetime.date]) -> list[tuple[sqlite3.Row, Account]]:
    """Every account: its row of the accounts table and what the rules need to know of it."""
    locks: dict[str, LockKind] = {r["id"]: r["kind"] for r in conn.execute("SELECT id, kind FROM account_locks")}
    tombstones: set[str] = {r["id"] for r in conn.execute("SELECT id FROM tombstones")}
    unlocks = {r["id"]: local_date(r["at"]) for r in conn.execute(
        "SELECT id, max(at) AS at FROM lock_log WHERE action = 'unlock' GROUP BY id")}
    notices: dict[str, set[Notice]] = {}
    for r in conn.execute("SELECT id, stage, due FROM lifecycle_notices"):
        notices.setdefault(r["id"], set()).add((r["stage"], r["due"]))
    rows: list[sqlite3.Row] = conn.execute("SELECT * FROM accounts ORDER BY id").fetchall()
    accounts = []
    for r in rows:
        created = local_date(r["created"])
        assert created is not None  # accounts.created is NOT NULL, written by vmail-accounts
        accounts.append((r, Account(
            id=r["id"], address=r["address"], kind=r["kind"], status=r["status"],
            created=created, last_use=last_use.get(r["address"]),
            last_unlock=unlocks.get(r["id"]), exempt_until=local_date(r["exempt_until"]),
            lock_kind=locks.get(r["id"]), tombstoned=r["id"] in tombstones,
            notices=frozenset(notices.get(r["id"], ())))))
    return accounts


def unit_mailbox(conn: sqlite3.Connection, row: sqlite3.Row) -> str | None:
    unit: AccountKind = "unit"
    active: Status = "active"
    found = conn.execute("SELECT address FROM accounts WHERE kind = ? AND unit = ?"
                         " AND status = ? AND id NOT IN (SELECT id FROM tombstones)",
                         (unit, row["unit"], active)).fetchone()
    return str(found["address"]) if found else None


# ---------------------------------------------------------------- notices

def compose(conf: Config, kind: NoticeKind, row: sqlite3.Row, decision: Due) -> tuple[str, str]:
    name = row["display_name"] or row["address"]
    address = row["address"]
    policy = conf["policy"]
    rule = (f"Theo Quy chế sử dụng hệ thống thư điện tử công vụ tỉnh (Quyết định 51/2016/QĐ-UBND, "
            f"khoản 3 Điều 5), hộp thư không được sử dụng sau {policy['lock_months']} tháng kể từ khi "
            f"cấp hoặc lần truy cập cuối cùng sẽ bị tạm khóa; sau {policy['delete_months']} tháng "
            f"sẽ bị xóa khỏi hệ thống.")
    since = f"Lần sử dụng cuối cùng được ghi nhận (hoặc ngày cấp): {vn_date(decision.reference)}."
    if kind == "notice-lock":
        subject = f"Thông báo: hộp thư {address} sẽ bị tạm khóa từ ngày {vn_date(decision.lock_at)}"
        action = (f"Hộp thư {address} ({name}) sẽ bị tạm khóa từ ngày {vn_date(decision.lock_at)} "
                  "nếu không được sử dụng trước ngày đó. Chỉ cần đăng nhập (webmail, IMAP, POP3 "
                  "hoặc gửi thư) để tiếp tục sử dụng.")
    elif kind == "locked":
        subject = f"Thông báo: hộp thư {address} đã bị tạm khóa"
        action = (f"Hộp thư {address} ({name}) đã bị tạm khóa do không sử dụng. Thư gửi đến vẫn được "
                  f"nhận đầy đủ. Hộp thư sẽ bị xóa từ ngày {vn_date(decision.delete_at)}. Để mở khóa, "
                  "liên hệ cán bộ quản trị của đơn vị.")
    elif kind == "notice-delete":
        subject = f"Thông báo: hộp thư {address} sẽ bị xóa từ ngày {vn_date(decision.delete_at)}"
        action = (f"Hộp thư {address} ({name}) sẽ bị xóa khỏi hệ thống từ ngày "
                  f"{vn_date(decision.delete_at)}. Nội dung được lưu trữ trước khi xóa; địa chỉ "
                  "không được cấp lại cho người khác.")
    else:  # deleted
        subject = f"Thông báo: hộp thư {address} đã bị xóa"
        action = (f"Hộp thư {address} ({name}) đã bị xóa khỏi hệ thống. Nội dung đã được lưu trữ; "
                  "địa chỉ được giữ lại và không cấp cho người khác.")
    body = (f"Kính gửi {name} và đơn vị {row['unit_name'] or row['unit']},\n\n{action}\n\n{since}\n{rule}\n\n"
            "Trân trọng,\nQuản trị hệ thống thư điện tử công vụ tỉnh\n")
    return subject, body


def deliver(conf: Config, recipient: str, subject: str, body: str, kind: NoticeKind, dry_run: bool) -> bool:
    message = noticemail.build(conf["sender"], recipient, subject, body, conf["domain"], ("X-Vmail-Lifecycle", kind))
    if dry_run:
        return True
    proc = subprocess.run(conf["deliver_command"] + [recipient], input=message,
                          capture_output=True, check=False)
    if proc.returncode != 0:
        log(f"notice {kind} to {recipient} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.returncode == 0


def notify(conf: Config, conn: sqlite3.Connection, row: sqlite3.Row, decision: Due, kind: NoticeKind,
           dry_run: bool, user_too: bool = True) -> list[str]:
    subject, body = compose(conf, kind, row, decision)
    recipients = []
    if user_too and row["status"] == "active":
        recipients.append(row["address"])
    unit = unit_mailbox(conn, row)
    if unit:
        recipients.append(unit)
    return [r for r in recipients if deliver(conf, r, subject, body, kind, dry_run)]


# ---------------------------------------------------------------- actions

def vmail_accounts(conf: Config, *args: str) -> Any:
    """Run vmail-accounts on the job's database; its JSON answer."""
    proc = subprocess.run([*conf["accounts_command"], "--db", conf["accounts_db"], *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"vmail-accounts {args[0]} failed: {proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)


def archive_mailbox(conf: Config, row: sqlite3.Row, today: datetime.date) -> str:
    """Archive the mailbox; return where. Raises (and nothing is deleted) on any failure."""
    maildir = os.path.join(conf["mail_root"], row["domain"], row["localpart"])
    metadata = {k: row[k] for k in ("id", "address", "display_name", "unit", "unit_name", "title",
                                     "status", "created")}
    method = conf["archive_method"]
    if method == "auto":
        method = "borg" if os.path.exists(conf["backup_env"]) else "local"
    if method == "borg":
        env = dict(os.environ)
        with open(conf["backup_env"], encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    env[key] = value.strip('"')
        # Not under the backup's prefix: `borg prune` of the daily backup never removes it.
        name = f"deleted-{env.get('VMAIL_BACKUP_PREFIX', '')}{row['localpart']}-{today:%Y%m%d}"
        meta_path = os.path.join(conf["archive_dir"], f"{row['address']}.json")
        os.makedirs(conf["archive_dir"], mode=0o700, exist_ok=True)
        with open(meta_path, "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, ensure_ascii=False, indent=2)
        paths = [p for p in (maildir, meta_path) if os.path.exists(p)]
        subprocess.run(["borg", "create", "--compression", conf["borg_compression"], f"::{name}", *paths],
                       env=env, check=True, capture_output=True)
        subprocess.run(["borg", "info", f"::{name}"], env=env, check=True, capture_output=True)
        os.remove(meta_path)  # now in the archive; no personal data left behind
        return f"borg:{env.get('BORG_REPO', '')}::{name}"
    os.makedirs(conf["archive_dir"], mode=0o700, exist_ok=True)
    path = os.path.join(conf["archive_dir"], f"{row['address']}-{today:%Y%m%d}.tar.gz")
    tmp = path + ".part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        payload = json.dumps(metadata, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo("account.json")
        info.size = len(payload)
        info.mtime = int(datetime.datetime.now().timestamp())
        tar.addfile(info, io.BytesIO(payload))
        if os.path.isdir(maildir):
            tar.add(maildir, arcname=row["localpart"])
    # Check the archive reads back and holds every file before anything is removed.
    expected = sum(len(files) for _, _, files in os.walk(maildir)) if os.path.isdir(maildir) else 0
    with tarfile.open(tmp, "r:gz") as tar:
        stored = sum(1 for m in tar.getmembers() if m.isfile()) - 1
    if stored != expected:
        raise RuntimeError(f"archive {tmp} holds {stored} files, mailbox has {expected}")
    os.replace(tmp, path)
    return path


def delete_account(conf: Config, conn: sqlite3.Connection, row: sqlite3.Row, today: datetime.date, by: str) -> str:
    archive = archive_mailbox(conf, row, today)
    sessions.end_sessions(row["address"])
    maildir = os.path.join(conf["mail_root"], row["domain"], row["localpart"])
    if os.path.isdir(maildir):
        shutil.rmtree(maildir)
    now = accountsdb.timestamp()
    left: Status = "left"
    with accountsdb.transaction(conn):
        # The row stays (status left, no password): the address is never reissued.
        conn.execute("UPDATE accounts SET status = ?, password = NULL, initial_password = 0,"
                     " updated = ? WHERE id = ?", (left, now, row["id"]))
        conn.execute("INSERT INTO tombstones (id, address, deleted_at, archive, by) VALUES (?, ?, ?, ?, ?)",
                     (row["id"], row["address"], now, archive, by))
        conn.execute("DELETE FROM account_locks WHERE id = ?", (row["id"],))
        conn.execute("INSERT INTO lock_log (id, address, action, kind, reason, by, at)"
                     " VALUES (?, ?, 'delete', ?, ?, ?, ?)",
                     (row["id"], row["address"], LOCK_KIND, f"unused {conf['policy']['delete_months']} months;"
                      f" archive {archive}", by, now))
    log(f"delete {row['address']} archive={archive}")
    return archive


def record_notice(conn: sqlite3.Connection, acc_id: str, stage: Stage, due: datetime.date) -> None:
    conn.execute("INSERT OR IGNORE INTO lifecycle_notices (id, stage, due, sent_at) VALUES (?, ?, ?, ?)",
                 (acc_id, stage, due.isoformat(), accountsdb.timestamp()))


def warn(conf: Config, conn: sqlite3.Connection, row: sqlite3.Row, decision: Due, stage: Stage,
         dry_run: bool) -> None:
    """The notice before the lock or the deletion, sent once per due date."""
    kind: NoticeKind = "notice-lock" if stage == "lock" else "notice-delete"
    due = decision.lock_at if stage == "lock" else decision.delete_at
    notify(conf, conn, row, decision, kind, dry_run)
    if not dry_run:
        record_notice(conn, row["id"], stage, due)
        log(f"{kind} {row['address']} {stage}_at={due}")


class Deleted(TypedDict):
    address: str
    archive: str


class RunResult(TypedDict):
    """What `run` prints."""
    date: str
    dry_run: bool
    smtp_logins: int
    noticed: list[str]
    locked: list[str]
    delete_noticed: list[str]
    deleted: list[Deleted]
    errors: list[str]


class AccountStatus(TypedDict):
    """One account in what `status` prints."""
    address: str
    status: Status
    lock: LockKind | None
    last_use: str | None
    next: Action
    reference: str | None
    lock_at: str | None
    delete_at: str | None


def policy_of(conf: Config) -> Policy:
    policy = conf["policy"]
    return Policy(lock_months=int(policy["lock_months"]), delete_months=int(policy["delete_months"]),
                  notice_weeks=int(policy["notice_weeks"]))


def run(conf: Config, today: datetime.date, dry_run: bool, scan_journal: bool) -> RunResult:
    policy = policy_of(conf)
    result: RunResult = {"date": today.isoformat(), "dry_run": dry_run, "smtp_logins": 0,
                         "noticed": [], "locked": [], "delete_noticed": [], "deleted": [], "errors": []}
    if scan_journal:
        result["smtp_logins"] = len(scan_submission_logins(conf, dry_run))
    conn = open_accounts(conf)
    for row, acc in load_accounts(conn, last_use_dates(conf)):
        decision = decide(acc, today, policy)
        if not isinstance(decision, Due):
            continue  # skipped or exempt: nothing to do
        try:
            if decision.action == "notice-lock":
                warn(conf, conn, row, decision, "lock", dry_run)
                result["noticed"].append(acc.address)
            elif decision.action == "lock":
                if not dry_run:
                    vmail_accounts(conf, "lock", acc.address, "--kind", LOCK_KIND, "--by", BY,
                                   "--reason", f"unused since {decision.reference} ({policy.lock_months} months)",
                                   "--message", conf["lock_message"])
                notify(conf, conn, row, decision, "locked", dry_run)
                result["locked"].append(acc.address)
            elif decision.action == "notice-delete":
                warn(conf, conn, row, decision, "delete", dry_run)
                result["delete_noticed"].append(acc.address)
            elif decision.action == "delete":
                archive = "(dry run)" if dry_run else delete_account(conf, conn, row, today, BY)
                notify(conf, conn, row, decision, "deleted", dry_run, user_too=False)
                result["deleted"].append({"address": acc.address, "archive": archive})
        except (OSError, RuntimeError, subprocess.CalledProcessError, sqlite3.Error) as exc:
            # One account's failure (e.g. archive) never deletes it nor stops the others.
            message = f"{decision.action} {acc.address}: {exc}"
            log(f"error {message}")
            result["errors"].append(message)
    if result["deleted"] and not dry_run:
        # Multi-host: the PostgreSQL copy the other hosts read drops the deleted
        # accounts too, once for the whole run (a no-op where nothing is published).
        # Its failure is its own error: the deletions above are done and stay done.
        try:
            vmail_accounts(conf, "publish")
        except (OSError, RuntimeError, ValueError) as exc:
            message = f"publish: {exc}"
            log(f"error {message}")
            result["errors"].append(message)
    return result


def status(conf: Config, today: datetime.date) -> list[AccountStatus]:
    policy = policy_of(conf)
    conn = open_accounts(conf)
    out: list[AccountStatus] = []
    for _, acc in load_accounts(conn, last_use_dates(conf)):
        d = decide(acc, today, policy)
        out.append({"address": acc.address, "status": acc.status, "lock": acc.lock_kind,
                    "last_use": iso(acc.last_use), "next": d.action, "reference": iso(d.reference),
                    "lock_at": iso(d.lock_at), "delete_at": iso(d.delete_at)})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmail-lifecycle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.environ.get("VMAIL_LIFECYCLE_CONFIG", CONFIG))
    parser.add_argument("--now", default=os.environ.get("VMAIL_LIFECYCLE_NOW"),
                        help="apply the rules as on this date (YYYY-MM-DD); default today")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run")
    run_p.add_argument("--dry-run", action="store_true")
    run_p.add_argument("--no-journal", action="store_true", help="do not read SMTP logins from the journal")
    sub.add_parser("status")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        conf: Config = json.load(handle)
    today = datetime.date.fromisoformat(args.now) if args.now else datetime.date.today()
    os.umask(0o077)
    if args.command == "run":
        result = run(conf, today, args.dry_run, not args.no_journal)
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 1 if result["errors"] else 0
    print(json.dumps(status(conf, today), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
