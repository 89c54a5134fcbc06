"""The lifecycle job's decision rules (Art. 5.3): pure functions of vmail-lifecycle.

The script ships as /usr/local/sbin/vmail-lifecycle (no .py): loaded from the
role's files/ directory. Everything here is dates in, decision out."""
from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmail.cli import lifecycle as lc

ROOT = Path(__file__).resolve().parents[2]
# vmail-accounts as the hosts run it (roles/vmail_package), with this interpreter.
ACCOUNTS = ["-m", "vmail.cli.accounts"]

D = datetime.date
POLICY = lc.Policy(lock_months=6, delete_months=12, notice_weeks=6)
TODAY = D(2026, 11, 28)


def person(**kw):
    base = {"id": "0001", "address": "a@tiengiang.gov.vn", "kind": "person", "status": "active",
            "created": D(2020, 1, 1)}
    base.update(kw)
    return lc.Account(**base)


def months_ago(n, today=TODAY):
    return lc.add_months(today, -n)


@pytest.mark.parametrize("day, months, expected", [
    (D(2026, 5, 28), 6, D(2026, 11, 28)),
    (D(2026, 8, 31), 6, D(2027, 2, 28)),      # no 31 February: last day of the month
    (D(2024, 8, 31), 6, D(2025, 2, 28)),
    (D(2023, 8, 31), 6, D(2024, 2, 29)),      # leap year
    (D(2026, 11, 28), -12, D(2025, 11, 28)),
    (D(2026, 1, 15), 12, D(2027, 1, 15)),
])
def test_add_months(day, months, expected):
    assert lc.add_months(day, months) == expected


def test_recent_use_needs_nothing():
    assert lc.decide(person(last_use=months_ago(1)), TODAY, POLICY).action == "none"


def test_five_months_unused_gets_the_lock_notice():
    d = lc.decide(person(last_use=months_ago(5)), TODAY, POLICY)
    assert d.action == "notice-lock"
    assert d.lock_at == lc.add_months(months_ago(5), 6)


def test_notice_is_sent_once_per_due_date():
    first = lc.decide(person(last_use=months_ago(5)), TODAY, POLICY)
    sent = frozenset({("lock", first.lock_at.isoformat())})
    assert lc.decide(person(last_use=months_ago(5), notices=sent), TODAY, POLICY).action == "none"


def test_notice_only_inside_the_notice_period():
    lock_at = TODAY + datetime.timedelta(weeks=6, days=1)
    ref = lc.add_months(lock_at, -6)
    assert lc.decide(person(last_use=ref), TODAY, POLICY).action == "none"
    ref = lc.add_months(TODAY + datetime.timedelta(weeks=6), -6)
    assert lc.decide(person(last_use=ref), TODAY, POLICY).action == "notice-lock"


def test_six_months_unused_is_locked_exactly_on_the_day():
    assert lc.decide(person(last_use=months_ago(6)), TODAY, POLICY).action == "lock"
    day_before = TODAY - datetime.timedelta(days=1)
    assert lc.decide(person(last_use=months_ago(6)), day_before, POLICY).action != "lock"


def test_already_locked_is_not_locked_again_but_gets_the_delete_notice_in_time():
    acc = person(last_use=months_ago(7), lock_kind="inactive")
    assert lc.decide(acc, TODAY, POLICY).action == "none"
    acc = person(last_use=months_ago(11), lock_kind="inactive")
    assert lc.decide(acc, TODAY, POLICY).action == "notice-delete"


def test_twelve_months_unused_is_deleted():
    d = lc.decide(person(last_use=months_ago(12), lock_kind="inactive"), TODAY, POLICY)
    assert d.action == "delete" and d.delete_at == TODAY
    # Even if it was never locked (the job did not run for months).
    assert lc.decide(person(last_use=months_ago(13)), TODAY, POLICY).action == "delete"


def test_never_used_account_counts_from_issue():
    assert lc.decide(person(created=months_ago(6)), TODAY, POLICY).action == "lock"
    assert lc.decide(person(created=months_ago(2)), TODAY, POLICY).action == "none"
    # Use before issue (imported history) does not shorten the clock.
    assert lc.decide(person(created=months_ago(2), last_use=months_ago(20)), TODAY, POLICY).action == "none"


def test_unlock_restarts_the_clock():
    acc = person(last_use=months_ago(8), last_unlock=months_ago(1))
    assert lc.decide(acc, TODAY, POLICY).action == "none"


def test_exemption_holds_and_then_restarts_the_clock():
    acc = person(last_use=months_ago(30), exempt_until=TODAY + datetime.timedelta(days=30))
    assert lc.decide(acc, TODAY, POLICY).action == "exempt"
    acc = person(last_use=months_ago(30), exempt_until=TODAY - datetime.timedelta(days=1))
    d = lc.decide(acc, TODAY, POLICY)
    assert d.action == "none" and d.reference == TODAY - datetime.timedelta(days=1)


def test_emergency_lock_holds_the_account():
    acc = person(last_use=months_ago(24), lock_kind="emergency")
    assert lc.decide(acc, TODAY, POLICY).action == "hold"


def test_left_is_deleted_by_the_same_rule_never_locked():
    assert lc.decide(person(status="left", last_use=months_ago(7)), TODAY, POLICY).action == "none"
    assert lc.decide(person(status="left", last_use=months_ago(11)), TODAY, POLICY).action == "notice-delete"
    assert lc.decide(person(status="left", last_use=months_ago(12)), TODAY, POLICY).action == "delete"


@pytest.mark.parametrize("acc", [
    person(kind="unit", last_use=None, created=D(2000, 1, 1)),
    person(status="suspended", created=D(2000, 1, 1)),
    person(tombstoned=True, status="left", created=D(2000, 1, 1)),
])
def test_units_suspended_and_deleted_accounts_are_left_alone(acc):
    assert lc.decide(acc, TODAY, POLICY).action == "skip"


@given(st.dates(min_value=D(2016, 1, 1), max_value=D(2030, 1, 1)),
       st.integers(min_value=0, max_value=900))
def test_actions_follow_the_calendar(ref, elapsed):
    """Property: the action depends only on where today falls against the due dates."""
    today = ref + datetime.timedelta(days=elapsed)
    d = lc.decide(person(created=ref), today, POLICY)
    lock_at, delete_at = lc.add_months(ref, 6), lc.add_months(ref, 12)
    if today >= delete_at:
        assert d.action == "delete"
    elif today >= lock_at:
        assert d.action == "lock"
    elif today >= lock_at - datetime.timedelta(weeks=6):
        assert d.action == "notice-lock"
    else:
        assert d.action == "none"


def _journal(message, identifier="postfix/submission/smtpd", usec="1795873814478931"):
    return json.dumps({"MESSAGE": message, "SYSLOG_IDENTIFIER": identifier, "__REALTIME_TIMESTAMP": usec})


def test_submission_logins_from_postfix_lines():
    lines = [
        _journal("74E321BA0CF: client=unknown[10.89.2.3], sasl_method=PLAIN, "
                 "sasl_username=NguyenVanThu@tiengiang.gov.vn"),
        _journal("8A1: client=unknown[10.89.2.3], sasl_method=LOGIN, sasl_username=nguyenvanthu@tiengiang.gov.vn",
                 identifier="postfix/submissions/smtpd", usec="1795873900000000"),
        _journal("9B2: client=x[10.0.0.1], sasl_method=PLAIN, sasl_username=binh@tiengiang.gov.vn",
                 usec="1795000000000000"),
        # Not Postfix, no SASL user, not JSON: ignored.
        _journal("sasl_username=eve@tiengiang.gov.vn", identifier="logger"),
        _journal("74E321BA0CF: client=unknown[10.89.2.3]"),
        "not json",
    ]
    assert lc.submission_logins(lines) == {"nguyenvanthu@tiengiang.gov.vn": 1795873900,
                                           "binh@tiengiang.gov.vn": 1795000000}


def test_only_the_record_of_a_submission_counts_as_use():
    """A failed password guess and text the client chose (HELO) name the account too; neither
    is use, or anyone could keep an abandoned account alive. Only smtpd's record of a message
    submitted after login counts: the line vmail-stats counts as 'sent' (vmail.maillog)."""
    lines = [
        _journal("warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "
                 "sasl_username=an@tiengiang.gov.vn"),
        _journal("NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@example.net>: Relay access "
                 "denied; from=<a@example.net> to=<x@example.net> proto=ESMTP "
                 "helo=<sasl_username=chau@tiengiang.gov.vn,x>", identifier="postfix/smtpd"),
        _journal("9B2: client=x[10.0.0.1], sasl_method=PLAIN, sasl_username=binh@tiengiang.gov.vn",
                 usec="1795000000000000"),
    ]
    assert lc.submission_logins(lines) == {"binh@tiengiang.gov.vn": 1795000000}


# ---------------------------------------------------------------- the database side

@pytest.fixture()
def db(tmp_path):
    """An accounts database made by the real vmail-accounts, with three people."""
    path = tmp_path / "accounts.sqlite"
    doc = {"domain": "tiengiang.gov.vn", "accounts": [
        {"id": i, "kind": "person", "localpart": lp, "address": f"{lp}@tiengiang.gov.vn",
         "status": "active", "quota_bytes": 1, "unit": "stttt", "display_name": lp}
        for i, lp in (("0001", "an"), ("0002", "binh"), ("0003", "chau"))]}
    proc = subprocess.run([sys.executable, *ACCOUNTS, "--db", str(path), "sync", "--json", "-"],
                          input=json.dumps(doc), capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["created"] == ["0001", "0002", "0003"]
    return path, doc


def accounts_cli(path, *args, stdin=None):
    proc = subprocess.run([sys.executable, *ACCOUNTS, "--db", str(path), *args],
                          input=stdin, capture_output=True, text=True, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_lock_survives_sync_and_is_logged(db):
    path, doc = db
    rc, out = accounts_cli(path, "lock", "an@tiengiang.gov.vn", "--reason", "Lộ mật khẩu", "--by", "Sở TTTT")
    assert rc == 0 and out["changed"] is True
    rc, out = accounts_cli(path, "sync", "--json", "-", stdin=json.dumps(doc))
    assert rc == 0 and out["changed"] is False
    rc, locks = accounts_cli(path, "locks")
    assert [(x["address"], x["kind"], x["reason"], x["locked_by"]) for x in locks] == [
        ("an@tiengiang.gov.vn", "emergency", "Lộ mật khẩu", "Sở TTTT")]
    rc, out = accounts_cli(path, "unlock", "an@tiengiang.gov.vn", "--reason", "Đã đổi mật khẩu", "--by", "Sở TTTT")
    assert out["changed"] is True
    rc, log = accounts_cli(path, "lock-log", "an@tiengiang.gov.vn")
    assert [(e["action"], e["by"], e["reason"]) for e in log] == [
        ("lock", "Sở TTTT", "Lộ mật khẩu"), ("unlock", "Sở TTTT", "Đã đổi mật khẩu")]


def test_lock_needs_reason_and_author(db):
    path, _ = db
    rc, out = accounts_cli(path, "lock", "an@tiengiang.gov.vn", "--reason", " ", "--by", "x")
    assert rc == 1 and out["failed"] is True
    rc, locks = accounts_cli(path, "locks")
    assert locks == []


def test_left_is_disabled_and_logged_and_tombstone_stays_left(db):
    path, doc = db
    doc["accounts"][1]["status"] = "left"
    rc, out = accounts_cli(path, "sync", "--json", "-", stdin=json.dumps(doc))
    assert out["disabled"] == ["0002"]
    rc, log = accounts_cli(path, "lock-log", "binh@tiengiang.gov.vn")
    assert [e["action"] for e in log] == ["left"]
    # A tombstoned account stays left even if HR lists it active again.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO tombstones (id, address, deleted_at, archive, by)"
                     " VALUES ('0003', 'chau@tiengiang.gov.vn', '2026-01-01T00:00:00Z', 'x', 'test')")
        conn.execute("UPDATE accounts SET status = 'left' WHERE id = '0003'")
    conn.close()
    rc, out = accounts_cli(path, "sync", "--json", "-", stdin=json.dumps(doc))
    assert "0003" not in out["updated"]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT status FROM accounts WHERE id = '0003'").fetchone() == ("left",)
    conn.close()


# ---------------------------------------------------------------- one whole run, on files

def prepare_run(db, tmp_path, accounts_command=None):
    """Files for one whole run: a mail root, last logins 5, 6 and 12 months ago,
    notices 'delivered' into an outbox directory. Returns the job's arguments."""
    path, doc = db
    mail_root = tmp_path / "vmail"
    for lp in ("an", "binh", "chau"):
        new = mail_root / "tiengiang.gov.vn" / lp / "Maildir" / "new"
        new.mkdir(parents=True)
        (new / "1.eml").write_text(f"Subject: thu cua {lp}\n\nnoi dung\n")
    doc["accounts"].append({"id": "unit:stttt", "kind": "unit", "localpart": "stttt",
                            "address": "stttt@tiengiang.gov.vn", "status": "active",
                            "quota_bytes": 1, "unit": "stttt"})
    accounts_cli(path, "sync", "--json", "-", stdin=json.dumps(doc))
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE accounts SET created = '2020-01-01T00:00:00Z'")
    conn.close()
    last_login = tmp_path / "last-login.sqlite"
    conn = sqlite3.connect(last_login)
    with conn:
        conn.execute("CREATE TABLE last_login (userid TEXT NOT NULL, service TEXT NOT NULL,"
                     " last_access INTEGER NOT NULL, PRIMARY KEY (userid, service))")
        for lp, months in (("an", 5), ("binh", 6), ("chau", 12)):
            when = datetime.datetime.combine(months_ago(months), datetime.time(12))
            conn.execute("INSERT INTO last_login VALUES (?, 'imap', ?)",
                         (f"{lp}@tiengiang.gov.vn", int(when.timestamp())))
    conn.close()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    deliver = [sys.executable, "-c",
               "import sys, uuid, pathlib; pathlib.Path(sys.argv[1], sys.argv[2] + '-' + uuid.uuid4().hex)"
               ".write_bytes(sys.stdin.buffer.read())", str(outbox)]
    config = tmp_path / "lifecycle.json"
    config.write_text(json.dumps({
        "policy": {"lock_months": 6, "delete_months": 12, "notice_weeks": 6},
        "domain": "tiengiang.gov.vn", "sender": "postmaster@tiengiang.gov.vn",
        "lock_message": "Tai khoan da bi tam khoa", "accounts_db": str(path),
        "accounts_command": accounts_command or [sys.executable, *ACCOUNTS],
        "last_login_db": str(last_login), "mail_root": str(mail_root),
        "deliver_command": deliver, "archive_method": "local", "archive_dir": str(tmp_path / "archive"),
        "backup_env": str(tmp_path / "none.env"), "borg_compression": "zstd,3",
        "journal_cursor_file": str(tmp_path / "cursor")}))
    return ["--config", str(config), "--now", TODAY.isoformat(), "run", "--no-journal"]


def test_run_notices_locks_archives_and_deletes(db, tmp_path, capsys):
    """The job on real databases and a mail root in tmp_path (journal scan off,
    notices 'delivered' into files): 5, 6 and 12 months unused."""
    path, _ = db
    mail_root, outbox = tmp_path / "vmail", tmp_path / "outbox"
    args = prepare_run(db, tmp_path)

    assert lc.main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["noticed"] == ["an@tiengiang.gov.vn"]
    assert result["locked"] == ["binh@tiengiang.gov.vn"]
    assert [d["address"] for d in result["deleted"]] == ["chau@tiengiang.gov.vn"]
    sent = sorted(p.name.rsplit("-", 1)[0] for p in outbox.iterdir())
    # notice-lock and locked go to user and unit; deleted to the unit only.
    assert sent == ["an@tiengiang.gov.vn", "binh@tiengiang.gov.vn", "stttt@tiengiang.gov.vn",
                    "stttt@tiengiang.gov.vn", "stttt@tiengiang.gov.vn"]
    subjects = {p.read_bytes().decode() for p in outbox.iterdir()}
    assert any("=?utf-8?" in s or "Thông báo" in s for s in subjects)

    archive = Path(result["deleted"][0]["archive"])
    import tarfile  # pylint: disable=import-outside-toplevel
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert "account.json" in names and "chau/Maildir/new/1.eml" in names
        assert json.load(tar.extractfile("account.json"))["address"] == "chau@tiengiang.gov.vn"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not (mail_root / "tiengiang.gov.vn" / "chau").exists()
    assert (mail_root / "tiengiang.gov.vn" / "binh").exists()

    rc, locks = accounts_cli(path, "locks")
    assert [(x["address"], x["kind"], x["locked_by"]) for x in locks] == [
        ("binh@tiengiang.gov.vn", "inactive", "vmail-lifecycle")]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT status, password FROM accounts WHERE id = '0003'").fetchone() == ("left", None)
    assert conn.execute("SELECT address FROM tombstones").fetchall() == [("chau@tiengiang.gov.vn",)]
    conn.close()

    # Same day again: nothing new (notices are sent once, locks not repeated).
    assert lc.main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["noticed"] == again["locked"] == again["deleted"] == []


def test_publish_runs_once_after_deletions_and_its_failure_is_its_own_error(db, tmp_path, capsys):
    """Multi-host: after the deletions the PostgreSQL copy is published once; when
    that fails the deletion still stands (archived, notice sent) and the run
    reports a separate 'publish:' error."""
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "accounts-wrapper.py"
    # The real vmail-accounts, except that `publish` fails as an unreachable
    # PostgreSQL does; every call is written down.
    wrapper.write_text(
        "import os, sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[3:4]) + '\\n')\n"
        "if sys.argv[3] == 'publish':\n"
        "    print('{\"failed\": true, \"msg\": \"psql: connection refused\"}'); sys.exit(1)\n"
        f"os.execv(sys.executable, [sys.executable, '-m', 'vmail.cli.accounts', *sys.argv[1:]])\n")
    args = prepare_run(db, tmp_path, accounts_command=[sys.executable, str(wrapper)])

    assert lc.main(args) == 1
    result = json.loads(capsys.readouterr().out)
    assert [d["address"] for d in result["deleted"]] == ["chau@tiengiang.gov.vn"]
    assert result["locked"] == ["binh@tiengiang.gov.vn"]
    assert len(result["errors"]) == 1 and result["errors"][0].startswith("publish: vmail-accounts publish failed")
    assert "connection refused" in result["errors"][0]
    assert calls.read_text().split().count("publish") == 1
    # The unit was told of the deletion all the same.
    assert len(list((tmp_path / "outbox").glob("stttt@*"))) == 3

    # Nothing deleted on the next run: no publish either.
    calls.write_text("")
    assert lc.main(args) == 0
    capsys.readouterr()
    assert "publish" not in calls.read_text().split()
