"""vmail-stats: daily usage counters of the vmail platform (yearly report, Art. 12.6, 12.8, 15.5).

Logs rotate; the counters stay. A daily timer runs `collect`, which reads one
day of the mail log (the journal, or --log FILE), counts per address and keeps
the result in an SQLite file, replacing that day's counters (re-running a day
is harmless; a day whose log has partly rotated away is never overwritten by
smaller counts).

  collect [--day YYYY-MM-DD ...] [--log FILE]   default: yesterday and today
  export --year YYYY                            monthly sums and storage, JSON
  accounts [--db FILE]                          accounts (no secrets) and the lock log, JSON

What is counted, per address (lower case):
  sent             messages submitted by an authenticated user (Postfix
                   "client=..., sasl_username=ADDRESS", one line per message)
  received         deliveries to a mailbox (Postfix lmtp/pipe/virtual/local
                   "to=<ADDRESS>, ... status=sent"; orig_to= is not used: an
                   alias counts for the mailbox that received it)
  spam_rejected    Postfix "milter-reject" (Rspamd) for the recipient to=<...>,
  virus_rejected   virus when the reply text names a virus
  logins_imap      Dovecot "imap-login: Login: user=<ADDRESS>" (2.3; 2.4: "Logged in:"; the
                   webmail logs in over IMAP)
  logins_pop3      Dovecot "pop3-login: Login: user=<ADDRESS>" (2.4: "Logged in:")
Storage: `doveadm -f tab quota get -A` (STORAGE used and limit, bytes), one
sample per run, kept under the day it was taken.

Stdlib only: it runs on a bare Debian 12.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NoReturn, TypedDict

from vmail import accountsdb, maillog
from vmail.report import METRICS

DEFAULT_STATS_DB = "/var/lib/vmail/stats/counters.sqlite"
# Never sent to the control node.
SECRET_COLUMNS = ("password", "password_reset", "initial_password")

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    day     TEXT NOT NULL,
    address TEXT NOT NULL,
    metric  TEXT NOT NULL,
    value   INTEGER NOT NULL,
    PRIMARY KEY (day, address, metric)
);
CREATE TABLE IF NOT EXISTS storage (
    day         TEXT NOT NULL,
    address     TEXT NOT NULL,
    used_bytes  INTEGER NOT NULL,
    limit_bytes INTEGER,
    PRIMARY KEY (day, address)
);
CREATE TABLE IF NOT EXISTS collected (
    day   TEXT PRIMARY KEY,
    lines INTEGER NOT NULL,
    at    TEXT NOT NULL
);
"""

DELIVERY_AGENTS = ("lmtp", "pipe", "virtual", "local")
DELIVERED_RE = re.compile(r"^[0-9A-Za-z]+: to=<([^>]+)>.*\bstatus=sent\b")
MILTER_RE = re.compile(r"milter-reject: \S+ from \S+: (?P<reply>.*?); from=<[^>]*> to=<(?P<to>[^>]+)>")
# Dovecot 2.3 (Debian 12) logs "Login:", 2.4 (Debian 13) "Logged in:".
LOGIN_RE = re.compile(r"^(imap|pop3)-login: (?:Login|Logged in): user=<([^>]+)>")
VIRUS_RE = re.compile(r"virus", re.IGNORECASE)

# {(address, metric): count} of one day.
Counters = dict[tuple[str, str], int]
# {address: (used_bytes, limit_bytes or None)} of one `doveadm quota get -A`.
Quota = dict[str, tuple[int, int | None]]


class DayResult(TypedDict):
    lines: int
    stored: bool
    totals: dict[str, int]


class CollectResult(TypedDict):
    changed: bool
    days: dict[str, DayResult]
    storage: int


def fail(message: str) -> NoReturn:
    print(json.dumps({"failed": True, "msg": message}, ensure_ascii=False))
    sys.exit(1)


def classify(identifier: str | None, message: str) -> tuple[str, str] | None:
    """(metric, address) of one log line, or None. identifier: syslog tag (postfix/lmtp, dovecot)."""
    identifier = identifier or ""
    if identifier.startswith("postfix"):
        agent = identifier.rsplit("/", 1)[-1]
        if agent == "smtpd":
            user = maillog.submitter(identifier, message)
            if user:
                return "sent", user
        elif agent in DELIVERY_AGENTS:
            m = DELIVERED_RE.match(message)
            if m:
                return "received", m.group(1).lower()
        m = MILTER_RE.search(message)
        if m:
            kind = "virus_rejected" if VIRUS_RE.search(m.group("reply")) else "spam_rejected"
            return kind, m.group("to").lower()
    elif identifier.startswith("dovecot"):
        m = LOGIN_RE.match(message)
        if m:
            return f"logins_{m.group(1)}", m.group(2).lower()
    return None


# Classic syslog files (/var/log/mail.log): "<time> <host> <tag>[pid]: message".
SYSLOG_LINE_RE = re.compile(r"^(?P<time>\S+(?: +\d+ [\d:]+)?) \S+ (?P<tag>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)$")


def count(lines: Iterable[tuple[str, str]]) -> tuple[Counters, int]:
    """Counters {(address, metric): n} and the number of mail log lines seen, from (identifier, message)."""
    counters: Counters = {}
    seen = 0
    for identifier, message in lines:
        seen += 1
        hit = classify(identifier, message)
        if hit:
            metric, address = hit
            counters[(address, metric)] = counters.get((address, metric), 0) + 1
    return counters, seen


def journal_lines(day: datetime.date) -> Iterator[tuple[str, str]]:
    """(identifier, message) of the mail facility for one local day, from the journal."""
    start = day.isoformat() + " 00:00:00"
    end = (day + datetime.timedelta(days=1)).isoformat() + " 00:00:00"
    with subprocess.Popen(maillog.journal_command("--since", start, "--until", end),
                          stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None  # stdout=PIPE
        for raw in proc.stdout:
            entry = maillog.journal_entry(raw)
            if entry is not None:
                yield entry.identifier, entry.message


def file_lines(path: str, day: datetime.date) -> Iterator[tuple[str, str]]:
    """(identifier, message) from a syslog file; lines of other days (ISO timestamps) are skipped."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            m = SYSLOG_LINE_RE.match(line.rstrip("\n"))
            if not m:
                continue
            stamp = m.group("time")
            if re.match(r"^\d{4}-\d{2}-\d{2}", stamp) and stamp[:10] != day.isoformat():
                continue
            yield m.group("tag"), m.group("msg")


def connect(path: str) -> sqlite3.Connection:
    os.makedirs(os.path.dirname(path) or ".", mode=0o750, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.executescript(SCHEMA)
    return conn


def store_day(conn: sqlite3.Connection, day: datetime.date, counters: Counters, seen: int) -> bool:
    """Replace one day's counters, unless fewer log lines are left than when it was stored."""
    key = day.isoformat()
    row = conn.execute("SELECT lines FROM collected WHERE day = ?", (key,)).fetchone()
    if row is not None and seen < row[0]:
        return False
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM counters WHERE day = ?", (key,))
    conn.executemany("INSERT INTO counters (day, address, metric, value) VALUES (?, ?, ?, ?)",
                     [(key, a, m, n) for (a, m), n in sorted(counters.items())])
    conn.execute("INSERT OR REPLACE INTO collected (day, lines, at) VALUES (?, ?, ?)",
                 (key, seen, datetime.datetime.now().isoformat(timespec="seconds")))
    conn.execute("COMMIT")
    return True


def parse_quota(text: str) -> Quota:
    """{address: (used_bytes, limit_bytes|None)} from `doveadm -f tab quota get -A` (STORAGE in KiB)."""
    out: Quota = {}
    lines = text.splitlines()
    if not lines:
        return out
    header = [h.strip().lower() for h in lines[0].split("\t")]
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t")))
        if cells.get("type", "").upper() != "STORAGE" or not cells.get("username"):
            continue
        try:
            used = int(cells.get("value", "0")) * 1024
        except ValueError:
            continue
        limit = cells.get("limit", "-")
        out[cells["username"].lower()] = (used, int(limit) * 1024 if limit.isdigit() else None)
    return out


def store_quota(conn: sqlite3.Connection, day: datetime.date, quota: Mapping[str, tuple[int, int | None]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT OR REPLACE INTO storage (day, address, used_bytes, limit_bytes) VALUES (?, ?, ?, ?)",
                     [(day.isoformat(), a, u, lim) for a, (u, lim) in sorted(quota.items())])
    conn.execute("COMMIT")


def cmd_collect(args: argparse.Namespace) -> None:
    today = datetime.date.today()
    days = [datetime.date.fromisoformat(d) for d in args.day] if args.day else [today - datetime.timedelta(days=1), today]
    conn = connect(args.stats_db)
    result: CollectResult = {"changed": False, "days": {}, "storage": 0}
    for day in days:
        lines = file_lines(args.log, day) if args.log else journal_lines(day)
        counters, seen = count(lines)
        stored = store_day(conn, day, counters, seen)
        result["days"][day.isoformat()] = {"lines": seen, "stored": stored,
                                           "totals": {m: sum(n for (_, k), n in counters.items() if k == m)
                                                      for m in METRICS}}
        result["changed"] = result["changed"] or stored
    if not args.no_quota and shutil.which("doveadm"):
        proc = subprocess.run(["doveadm", "-f", "tab", "quota", "get", "-A"], capture_output=True,
                              text=True, check=False)
        if proc.returncode == 0:
            quota = parse_quota(proc.stdout)
            store_quota(conn, today, quota)
            result["storage"] = len(quota)
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))


def cmd_export(args: argparse.Namespace) -> None:
    """Monthly sums per address and metric; last storage sample per address and month."""
    if not os.path.exists(args.stats_db):
        print(json.dumps({"year": args.year, "counters": [], "storage": [], "days": []}))
        return
    conn = connect(args.stats_db)
    pattern = f"{args.year:04d}-%"
    counters = conn.execute(
        "SELECT substr(day, 1, 7) AS month, address, metric, SUM(value) FROM counters"
        " WHERE day LIKE ? GROUP BY month, address, metric ORDER BY month, address, metric",
        (pattern,)).fetchall()
    storage = conn.execute(
        "SELECT s.day, s.address, s.used_bytes, s.limit_bytes FROM storage s"
        " JOIN (SELECT address, substr(day, 1, 7) AS month, MAX(day) AS last FROM storage"
        "       WHERE day LIKE ? GROUP BY address, month) l ON s.address = l.address AND s.day = l.last"
        " ORDER BY s.day, s.address", (pattern,)).fetchall()
    days = [r[0] for r in conn.execute("SELECT day FROM collected WHERE day LIKE ? ORDER BY day", (pattern,))]
    print(json.dumps({"year": args.year, "counters": [list(r) for r in counters],
                      "storage": [list(r) for r in storage], "days": days}, ensure_ascii=False))


def cmd_accounts(args: argparse.Namespace) -> None:
    """Every account (secrets left out) and every lock, unlock and deletion of the lock log."""
    accounts: list[dict[str, Any]] = []
    lifecycle: list[dict[str, Any]] = []
    if os.path.exists(args.db):
        conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        for row in conn.execute("SELECT * FROM accounts ORDER BY id"):
            accounts.append({k: row[k] for k in row.keys() if k not in SECRET_COLUMNS})
        if accounts:
            # The lifecycle job and `vmail-accounts lock` record every lock, unlock
            # and deletion in the accounts database (lock_log: id, action, at...).
            has_log = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                   " AND name = 'lock_log'").fetchone()
            if has_log:
                lifecycle.extend(dict(r) for r in conn.execute(
                    "SELECT id, address, action, kind, at FROM lock_log ORDER BY seq"))
    print(json.dumps({"accounts": accounts, "lifecycle": lifecycle}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(prog="vmail-stats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stats-db", default=os.environ.get("VMAIL_STATS_DB", DEFAULT_STATS_DB))
    sub = parser.add_subparsers(dest="command", required=True)
    collect = sub.add_parser("collect")
    collect.add_argument("--day", action="append", help="YYYY-MM-DD (repeatable)")
    collect.add_argument("--log", help="read a syslog file instead of the journal")
    collect.add_argument("--no-quota", action="store_true")
    collect.set_defaults(func=cmd_collect)
    export = sub.add_parser("export")
    export.add_argument("--year", type=int, required=True)
    export.set_defaults(func=cmd_export)
    accounts = sub.add_parser("accounts")
    accounts.add_argument("--db", default=os.environ.get("VMAIL_ACCOUNTS_DB", accountsdb.DEFAULT_PATH))
    accounts.set_defaults(func=cmd_accounts)
    args = parser.parse_args()
    os.umask(0o027)
    try:
        args.func(args)
    except (OSError, sqlite3.Error, ValueError) as exc:
        fail(f"{args.command}: {exc}")


if __name__ == "__main__":
    main()
