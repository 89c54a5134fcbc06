"""vmail-stats (roles/mail_stats): counting real Postfix/Dovecot log lines, keeping days, exporting months."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vmail import report
from vmail.cli import stats
from conftest import REPO

# vmail-stats as the hosts run it (roles/vmail_package), with this interpreter.
SCRIPT = ["-m", "vmail.cli.stats"]
D = "tiengiang.gov.vn"



# Lines as Postfix 3.7 and Dovecot 2.3 on Debian 12 write them (journal: identifier, message).
LINES = [
    ("postfix/submission/smtpd", f"4Bx1Kz0abcz1: client=client.example.net[10.89.7.3], sasl_method=PLAIN, sasl_username=thu@{D}"),
    ("postfix/submissions/smtpd", f"4Bx1Kz0abcz2: client=unknown[10.89.7.3], sasl_method=LOGIN, sasl_username=Thu@{D}"),
    ("postfix/smtpd", "4Bx1Kz0abcz3: client=client.example.net[10.89.7.3]"),
    ("postfix/lmtp", f"4Bx1Kz0abcz1: to=<kiem@{D}>, relay=mail.{D}[private/dovecot-lmtp], delay=0.1, "
                     "delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (250 2.0.0 <kiem@tiengiang.gov.vn> x Saved)"),
    ("postfix/lmtp", f"4Bx1Kz0abcz4: to=<stttt@{D}>, orig_to=<postmaster@{D}>, relay=mail[private/dovecot-lmtp], "
                     "dsn=2.0.0, status=sent (250 2.0.0 Saved)"),
    ("postfix/pipe", f"4Bx1Kz0abcz5: to=<kiem@{D}>, relay=dovecot, delay=0.1, dsn=2.0.0, status=sent (delivered via dovecot service)"),
    ("postfix/lmtp", f"4Bx1Kz0abcz6: to=<kiem@{D}>, relay=mail[private/dovecot-lmtp], dsn=4.2.2, status=deferred (quota)"),
    ("postfix/smtp", "4Bx1Kz0abcz7: to=<someone@example.net>, relay=mx.example.net[1.2.3.4]:25, dsn=2.0.0, status=sent (250 ok)"),
    ("postfix/cleanup", f"4Bx1Kz0abcz8: milter-reject: END-OF-MESSAGE from client.example.net[10.89.7.3]: 5.7.1 Spam message "
                        f"rejected; from=<spammer@example.net> to=<kiem@{D}> proto=ESMTP helo=<client.example.net>"),
    ("postfix/cleanup", f"4Bx1Kz0abcz9: milter-reject: END-OF-MESSAGE from client.example.net[10.89.7.3]: 5.7.1 ClamAV: "
                        f"virus found: \"Eicar-Signature\"; from=<x@example.net> to=<kiem@{D}> proto=ESMTP helo=<c>"),
    ("postfix/smtpd", f"NOQUEUE: milter-reject: RCPT from c[10.89.7.3]: 5.7.1 Spam message rejected; from=<x@example.net> "
                      f"to=<thu@{D}> proto=ESMTP helo=<c>"),
    ("dovecot", f"imap-login: Login: user=<kiem@{D}>, method=PLAIN, rip=10.89.7.3, lip=10.89.7.2, mpid=123, TLS, session=<abc>"),
    ("dovecot", f"pop3-login: Login: user=<kiem@{D}>, method=PLAIN, rip=10.89.7.3, lip=10.89.7.2, mpid=124, TLS"),
    # Dovecot 2.4 (Debian 13): "Logged in:"; a failed login is no login.
    ("dovecot", f"imap-login: Logged in: user=<thu@{D}>, method=PLAIN, rip=10.89.7.3, lip=10.89.7.2, mpid=125, TLS"),
    ("dovecot", f"imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<kiem@{D}>"),
    ("dovecot", f"imap-login: Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed): user=<kiem@{D}>, "
                "method=PLAIN, rip=10.89.7.3"),
    ("dovecot", f"imap(kiem@{D})<123><abc>: Logged out in=10 out=20"),
    ("systemd", "Started postfix.service"),
]


def test_count_real_lines() -> None:
    counters, seen = stats.count(LINES)
    assert seen == len(LINES)
    assert counters == {
        (f"thu@{D}", "sent"): 2,
        (f"kiem@{D}", "received"): 2,
        (f"stttt@{D}", "received"): 1,
        (f"kiem@{D}", "spam_rejected"): 1,
        (f"kiem@{D}", "virus_rejected"): 1,
        (f"thu@{D}", "spam_rejected"): 1,
        (f"kiem@{D}", "logins_imap"): 1,
        (f"thu@{D}", "logins_imap"): 1,
        (f"kiem@{D}", "logins_pop3"): 1,
    }


def test_syslog_file_lines_of_the_day(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        "2026-11-27T23:59:59.000000+07:00 mail postfix/submission/smtpd[1]: 4AB: client=c[1.2.3.4], "
        f"sasl_method=PLAIN, sasl_username=old@{D}\n"
        "2026-11-28T08:00:00.000000+07:00 mail postfix/submission/smtpd[1]: 4AC: client=c[1.2.3.4], "
        f"sasl_method=PLAIN, sasl_username=thu@{D}\n"
        f"2026-11-28T08:00:01.000000+07:00 mail dovecot[2]: imap-login: Login: user=<thu@{D}>, method=PLAIN\n",
        encoding="utf-8")
    counters, seen = stats.count(stats.file_lines(str(log), datetime.date(2026, 11, 28)))
    assert counters == {(f"thu@{D}", "sent"): 1, (f"thu@{D}", "logins_imap"): 1} and seen == 2


def test_parse_quota() -> None:
    text = ("Username\tQuota name\tType\tValue\tLimit\t%\n"
            f"thu@{D}\tUser quota\tSTORAGE\t1024\t512000\t0\n"
            f"thu@{D}\tUser quota\tMESSAGE\t3\t-\t0\n"
            f"Kiem@{D}\tUser quota\tSTORAGE\t0\t-\t0\n")
    assert stats.parse_quota(text) == {f"thu@{D}": (1048576, 524288000), f"kiem@{D}": (0, None)}


def run(db: Path, *args: str, stdin: str = "") -> dict:
    proc = subprocess.run([sys.executable, *SCRIPT, "--stats-db", str(db), *args], input=stdin,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_collect_replaces_a_day_but_never_with_fewer_lines(tmp_path: Path) -> None:
    db = tmp_path / "stats" / "counters.sqlite"
    log = tmp_path / "mail.log"
    line = (f"2026-03-02T08:00:00+07:00 mail postfix/submission/smtpd[1]: 4AC: client=c[1.2.3.4], "
            f"sasl_method=PLAIN, sasl_username=thu@{D}\n")
    log.write_text(line * 3, encoding="utf-8")
    first = run(db, "collect", "--day", "2026-03-02", "--log", str(log), "--no-quota")
    assert first["days"]["2026-03-02"] == {"lines": 3, "stored": True, "totals": {
        "sent": 3, "received": 0, "spam_rejected": 0, "virus_rejected": 0, "logins_imap": 0, "logins_pop3": 0}}
    run(db, "collect", "--day", "2026-03-02", "--log", str(log), "--no-quota")  # same day again: same counts
    log.write_text(line, encoding="utf-8")  # the log rotated: only one line left
    assert run(db, "collect", "--day", "2026-03-02", "--log", str(log), "--no-quota")["days"]["2026-03-02"]["stored"] is False
    log.write_text(line * 2, encoding="utf-8")
    run(db, "collect", "--day", "2026-04-30", "--log", str(log), "--no-quota")  # other day: no line of it
    exported = run(db, "export", "--year", "2026")
    assert exported["counters"] == [["2026-03", f"thu@{D}", "sent", 3]]
    assert exported["days"] == ["2026-03-02", "2026-04-30"]


def test_export_sums_months_and_keeps_last_storage_sample(tmp_path: Path) -> None:
    db = tmp_path / "counters.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(stats.SCHEMA)
    conn.executemany("INSERT INTO counters VALUES (?, ?, ?, ?)", [
        ("2026-01-01", "a", "sent", 2), ("2026-01-31", "a", "sent", 3), ("2026-02-01", "a", "sent", 7),
        ("2025-12-31", "a", "sent", 100), ("2026-01-05", "b", "logins_imap", 1)])
    conn.executemany("INSERT INTO storage VALUES (?, ?, ?, ?)", [
        ("2026-01-01", "a", 10, 100), ("2026-01-20", "a", 20, 100), ("2026-02-03", "a", 30, None)])
    conn.commit()
    conn.close()
    exported = run(db, "export", "--year", "2026")
    assert exported["counters"] == [["2026-01", "a", "sent", 5], ["2026-01", "b", "logins_imap", 1],
                                    ["2026-02", "a", "sent", 7]]
    assert exported["storage"] == [["2026-01-20", "a", 20, 100], ["2026-02-03", "a", 30, None]]


def test_accounts_export_leaves_secrets_out(tmp_path: Path) -> None:
    db = tmp_path / "accounts.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE accounts (id TEXT, address TEXT, status TEXT, password TEXT, password_reset TEXT,"
                 " initial_password INTEGER, created TEXT, locked_at TEXT)")
    conn.execute("INSERT INTO accounts VALUES ('1', 'a@x', 'locked', '{SHA512-CRYPT}x', 't', 1, '2026-01-01', '2026-05-01')")
    conn.commit()
    conn.close()
    out = run(tmp_path / "s.sqlite", "accounts", "--db", str(db))
    assert out == {"accounts": [{"id": "1", "address": "a@x", "status": "locked", "created": "2026-01-01",
                                 "locked_at": "2026-05-01"}],
                   "lifecycle": []}


def test_accounts_export_reads_the_lock_log_of_the_accounts_database(tmp_path: Path) -> None:
    """Locks and deletions recorded by vmail-accounts / vmail-lifecycle reach the yearly report."""
    db = tmp_path / "accounts.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE accounts (id TEXT, address TEXT, status TEXT)")
    conn.execute("INSERT INTO accounts VALUES ('1', 'a@x', 'active')")
    conn.execute("CREATE TABLE lock_log (seq INTEGER PRIMARY KEY, id TEXT, address TEXT, action TEXT,"
                 " kind TEXT, reason TEXT, by TEXT, at TEXT)")
    conn.executemany("INSERT INTO lock_log (id, address, action, kind, reason, by, at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
        ("1", "a@x", "lock", "inactive", "6 months", "vmail-lifecycle", "2026-03-01T03:15:00"),
        ("1", "a@x", "delete", "inactive", "12 months", "vmail-lifecycle", "2026-09-01T03:15:00")])
    conn.commit()
    conn.close()
    out = run(tmp_path / "s.sqlite", "accounts", "--db", str(db))
    assert out["lifecycle"] == [
        {"id": "1", "address": "a@x", "action": "lock", "kind": "inactive", "at": "2026-03-01T03:15:00"},
        {"id": "1", "address": "a@x", "action": "delete", "kind": "inactive", "at": "2026-09-01T03:15:00"}]
    events = report.lifecycle_events(out["lifecycle"], 2026)
    assert events == [{"action": "lock", "account": "1", "address": "a@x", "year": "2026"},
                      {"action": "delete", "account": "1", "address": "a@x", "year": "2026"}]


@pytest.mark.parametrize("line", [LINES[2], LINES[6], LINES[7], LINES[14], LINES[15], LINES[16], LINES[17]])
def test_lines_that_count_nothing(line: tuple[str, str]) -> None:
    assert stats.classify(*line) is None
