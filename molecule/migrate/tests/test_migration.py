"""The old mailboxes arrive whole (folders, Message-IDs, flags, INTERNALDATEs), checked over IMAP
on both servers; later runs move only new mail; bad input stops only what it must."""
import json

import pytest
import yaml

from conftest import (
    MAIL, OLD_USERS, PROJECT, UNIT, append_old, dump_new, dump_old, newest_report, reports, run_migrate, sh,
    wait_a_second,
)

MIGRATED = [entry["account"] for entry in OLD_USERS.values() if entry["in_converge"]]


def count(dump):
    return sum(len(messages) for messages in dump.values())


def assert_same_mail(account, addresses, lab_ca):
    """Every source folder is here with the same messages (by Message-ID), each with the same
    flags and INTERNALDATE; any other folder here is empty (special folders made at login)."""
    old, new = dump_old(account), dump_new(account, addresses, lab_ca)
    for folder, messages in old.items():
        assert folder in new, (folder, sorted(new))
        assert new[folder] == messages, (folder, len(messages), len(new[folder]))
    assert all(not new[folder] for folder in set(new) - set(old)), sorted(new)
    return old, new


@pytest.mark.parametrize("account", MIGRATED)
def test_mailbox_arrives_whole(account, addresses, new_login):
    old, new = assert_same_mail(account, addresses, new_login)
    planned = next(e for e in OLD_USERS.values() if e["account"] == account)
    assert count(old) >= sum(planned["folders"].values())
    assert "Công văn đến" in new          # Vietnamese name, decoded from modified UTF-7 on the wire
    if "Công văn đến.2016" in planned["folders"]:
        assert "Công văn đến/2016" in new  # the old server's '.' hierarchy under this platform's '/'


def test_flags_and_dates_are_varied_enough_to_prove_something(addresses, new_login):
    """The comparison above means something only if the seed has read, unread, flagged, answered
    messages and dates years apart."""
    _, new = assert_same_mail("9001", addresses, new_login)
    flags = {f for messages in new.values() for fl, _ in messages.values() for f in fl}
    assert {"\\Seen", "\\Flagged", "\\Answered", "\\Draft"} <= flags
    unread = [m for messages in new.values() for m in messages.values() if "\\Seen" not in m[0]]
    assert unread
    dates = [d for messages in new.values() for _, d in messages.values()]
    assert max(dates) - min(dates) > 5 * 365 * 86400


def test_converge_report_and_idempotent_rerun():
    """The converge run copied every message it surveyed and listed the unit's people with no
    source credentials; the idempotence run moved nothing."""
    first, second = reports()[:2]
    copied = json.loads(first.read_text(encoding="utf-8"))
    rows = {row["id"]: row for row in copied["mailboxes"]}
    assert sorted(rows) == sorted(MIGRATED)
    for row in rows.values():
        assert row["status"] == "copied", row
        assert row["moved_messages"] == row["source_messages"] == row["local_messages"] > 0
        assert row["local_bytes"] == row["source_bytes"]
    assert rows["9001"]["folders"]["C&APQ-ng v&AQM-n &AREevw-n.2016"] == "Công văn đến/2016"
    skipped = {item["id"]: item["reason"] for item in copied["skipped"]}
    assert skipped["9003"] == "no source credentials"
    assert all(reason == "no source credentials" for reason in skipped.values())
    personnel = yaml.safe_load((PROJECT / "inventories/lab/personnel.yml").read_text(encoding="utf-8"))
    unit_accounts = {p["id"] for p in personnel["people"] if p["unit"] == UNIT} | {f"unit:{UNIT}"}
    assert set(skipped) | set(rows) == unit_accounts
    rerun = json.loads(second.read_text(encoding="utf-8"))["mailboxes"]
    assert {row["status"] for row in rerun} == {"up_to_date"}
    assert sum(row["moved_messages"] for row in rerun) == 0


def test_new_mail_moves_alone_and_a_wrong_password_stops_only_its_mailbox(addresses, new_login, tmp_path):
    """New mail at the source: --check reports it and copies nothing. Then, with 9003's credentials
    holding a wrong password, the run copies the new messages only, reports 9003's refused login,
    and fails at the end, after the report."""
    append_old("9001", "C&APQ-ng v&AQM-n &AREevw-n", 7, "run2")
    append_old(f"unit:{UNIT}", "INBOX", 3, "run2")
    before = reports()
    wait_a_second()
    run_migrate(options=["--check"])
    rows, _ = newest_report(before)
    assert rows[addresses["9001"]]["status"] == "would_copy"
    assert rows[addresses["9001"]]["local_messages"] == rows[addresses["9001"]]["source_messages"] - 7
    assert rows[addresses["9002"]]["status"] == "up_to_date"
    credentials = {entry["account"]: {"user": user, "password": entry["password"]}
                   for user, entry in OLD_USERS.items()}
    credentials["9003"]["password"] = "Sai#MatKhau2016"
    path = tmp_path / "credentials.yml"
    path.write_text(yaml.safe_dump({"migration_source_credentials": credentials}), encoding="utf-8")
    before = reports()
    wait_a_second()
    output = run_migrate(credentials=path, expect_failure=True)
    assert "1 mailbox(es) not copied" in output
    rows, _ = newest_report(before)
    assert rows[addresses["9001"]]["moved_messages"] == 7
    assert rows[addresses["9001"]]["status"] == "copied"
    assert rows[addresses[f"unit:{UNIT}"]]["moved_messages"] == 3
    assert rows[addresses["9002"]]["status"] == "up_to_date"
    assert rows[addresses["9002"]]["moved_messages"] == 0
    assert rows[addresses["9003"]]["status"] == "source_login_failed"
    assert "khoa.pv" in rows[addresses["9003"]]["error"]
    assert rows[addresses["9003"]]["local_messages"] == 0
    assert "Sai#MatKhau2016" not in output + json.dumps(rows)
    old, new = assert_same_mail("9001", addresses, new_login)
    assert count(new) == count(old)
    assert_same_mail(f"unit:{UNIT}", addresses, new_login)


def test_unreachable_source_names_the_host_and_writes_nothing(addresses):
    before_reports = reports()
    before = sh(MAIL, f"doveadm mailbox status -u {addresses['9001']} messages INBOX").stdout
    output = run_migrate("migration_source_host=10.89.75.99", "migration_connect_timeout=3", expect_failure=True)
    assert "The old mail server 10.89.75.99 (port 993) cannot be reached" in output
    assert reports() == before_reports
    assert sh(MAIL, f"doveadm mailbox status -u {addresses['9001']} messages INBOX").stdout == before


def test_mailbox_above_the_quota_is_refused_before_copying_then_copied_when_it_fits(addresses):
    """With a 1 MB default quota 9002's 2.4 MB mailbox is refused before anything is copied (its
    new messages stay at the source); with the real quota the next run copies them."""
    append_old("9002", "INBOX", 2, "quota")
    before = reports()
    wait_a_second()
    output = run_migrate("vmail_mailbox_quota=1MB", expect_failure=True)
    rows, _ = newest_report(before)
    refused = rows[addresses["9002"]]
    assert refused["status"] == "over_quota", refused
    assert "above the quota of 1048576 bytes" in refused["error"]
    assert refused["local_messages"] == refused["local_messages_before"] == 1000
    assert refused["moved_messages"] == 0
    assert "over_quota" in output
    before = reports()
    wait_a_second()
    run_migrate()
    rows, _ = newest_report(before)
    assert rows[addresses["9002"]]["moved_messages"] == 2
