"""Issue 18: the pure logic of the mailbox migration and its plan and report (vmail.migration)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmail.errors import InvalidInput

from vmail import migration as logic
from vmail.migration import migration_plan, migration_report_csv

ACCOUNTS: list[dict[str, Any]] = [
    {"id": "unit:stttt", "address": "stttt@tiengiang.gov.vn", "unit": "stttt", "status": "active", "quota_bytes": 524288000},
    {"id": "0001", "address": "leminhhieu@tiengiang.gov.vn", "unit": "stttt", "status": "active", "quota_bytes": 524288000},
    {"id": "0002", "address": "lminhhieu@tiengiang.gov.vn", "unit": "stttt", "status": "left", "quota_bytes": 524288000},
    {"id": "0003", "address": "nguyenvanan@tiengiang.gov.vn", "unit": "chogao", "status": "active", "quota_bytes": 1073741824},
]


def stdlib_decode(name: str) -> str:
    """Modified UTF-7 through Python's own UTF-7 codec: an independent reference."""
    return re.sub(r"&([^-]*)-", lambda m: "&" if not m.group(1)
                  else codecs.decode(("+" + m.group(1).replace(",", "/") + "-").encode(), "utf-7"), name)


@pytest.mark.parametrize(("wire", "text"), [
    ("C&APQ-ng v&AQM-n &AREevw-n", "Công văn đến"),
    ("L&AbA-u tr&Hu8- &- H&HtM- s&AaE-", "Lưu trữ & Hồ sơ"),
    ("INBOX", "INBOX"),
])
def test_folder_names_from_the_wire(wire: str, text: str) -> None:
    assert logic.decode_mutf7(wire) == text
    assert logic.encode_mutf7(text) == wire


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_modified_utf7_round_trip_agrees_with_the_stdlib(text: str) -> None:
    wire = logic.encode_mutf7(text)
    assert wire.isascii()
    assert logic.decode_mutf7(wire) == text == stdlib_decode(wire)


def test_list_response_parsed_with_literals_and_unselectable_folders() -> None:
    data = [b'(\\HasNoChildren) "." "C&APQ-ng v&AQM-n &AREevw-n"', (b'(\\HasNoChildren) "." {5}', b'a"b c'),
            b'(\\Noselect \\HasChildren) "." "Cha"', b'(\\HasNoChildren) NIL INBOX', None]
    assert logic.parse_list(data) == [("C&APQ-ng v&AQM-n &AREevw-n", "."), ('a"b c', "."), ("INBOX", None)]


def test_local_folder_maps_the_old_separator_and_inbox() -> None:
    assert logic.local_folder("C&APQ-ng v&AQM-n &AREevw-n.2016", ".") == "Công văn đến/2016"
    assert logic.local_folder("inbox", ".") == "INBOX"
    assert logic.local_folder("a/b", "/") == "a/b"


def test_the_password_reaches_dovecot_quoted_and_unexpanded() -> None:
    config = logic.imapc_config("/etc/dovecot/dovecot.conf", {"imapc_password": 'p%u"\\#x', "imapc_host": "old"})
    assert config.splitlines() == ["!include /etc/dovecot/dovecot.conf",
                                   'imapc_password = "p%%u\\"\\\\#x"', 'imapc_host = "old"']
    with pytest.raises(ValueError):
        logic.dovecot_quote("a\nb")


def test_dovecot_24_expands_only_percent_brace_so_only_that_is_escaped() -> None:
    # 2.4: %{x} is a variable, %%{x} the text %{x}, %%%{x} the text %%{x}; a lone % is itself.
    assert logic.dovecot_quote("a%u%{user}%%{x}", "2.4") == '"a%u%%{user}%%%{x}"'
    assert logic.dovecot_quote("a%u", "2.3") == '"a%%u"'


def test_a_24_temporary_configuration_starts_with_the_main_one_s_version() -> None:
    main = "# Dovecot 2.4\ndovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
    assert logic.config_version(main) == "2.4.0" and logic.config_version("protocols = imap\n") == ""
    config = logic.imapc_config("/etc/dovecot/dovecot.conf", {"imapc_host": "old"}, "2.4", "2.4.0")
    assert config.splitlines() == ["dovecot_config_version = 2.4.0", "!include /etc/dovecot/dovecot.conf",
                                   'imapc_host = "old"']


def test_imapc_settings_use_each_series_names() -> None:
    source = {"host": "old", "port": 993, "ssl": "imaps", "ssl_verify": False, "ca_file": "/etc/old-ca.pem"}
    old = logic.imapc_settings("2.3", source, "u", "p")
    new = logic.imapc_settings("2.4", source, "u", "p")
    assert old["imapc_ssl_verify"] == "no" and "ssl_client_require_valid_cert" not in old
    assert new["ssl_client_require_valid_cert"] == "no" and "imapc_ssl_verify" not in new
    assert old["imapc_features"] == "rfc822.size fetch-headers" and new["imapc_features"] == ""
    assert logic.imapc_settings("2.4", source, "u", "p", "no-search")["imapc_features"] == "no-search"
    assert new["ssl_client_ca_file"] == "/etc/old-ca.pem" and new["imapc_user"] == "u"


def test_the_password_is_never_on_the_command_line() -> None:
    argv = logic.doveadm_sync_argv("/tmp/x/a.conf", "a@tiengiang.gov.vn")
    assert argv == ["doveadm", "-c", "/tmp/x/a.conf", "sync", "-1", "-R", "-u", "a@tiengiang.gov.vn", "imapc:"]


@pytest.mark.parametrize(("size", "quota", "refused"), [(10, 0, False), (10, 10, False), (11, 10, True)])
def test_over_quota(size: int, quota: int, refused: bool) -> None:
    assert logic.over_quota(size, quota) is refused


def survey(**folders: tuple[int, int]) -> Any:
    return logic.Survey(folders={k: {"messages": m, "bytes": b} for k, (m, b) in folders.items()},
                        names={k: k for k in folders})


def test_conclude_counts_what_this_run_moved() -> None:
    result = logic.MailboxResult(id="1", address="a@x", source_user="a")
    local = {"INBOX": {"messages": 12, "bytes": 1200}, "Junk": {"messages": 0, "bytes": 0}}
    logic.conclude(result, survey(INBOX=(12, 1200)), local, before=5, check_mode=False)
    assert (result.status, result.moved_messages, result.local_messages, result.error) == ("copied", 7, 12, "")


def test_conclude_reports_a_folder_that_did_not_arrive() -> None:
    result = logic.MailboxResult(id="1", address="a@x", source_user="a")
    logic.conclude(result, survey(INBOX=(1, 10), Archive=(2, 20)), {"INBOX": {"messages": 1, "bytes": 10}},
                   before=1, check_mode=False)
    assert result.status == "error" and result.missing_folders == ["Archive"]


def test_conclude_in_check_mode_says_what_would_move() -> None:
    result = logic.MailboxResult(id="1", address="a@x", source_user="a")
    logic.conclude(result, survey(INBOX=(3, 30)), {"INBOX": {"messages": 1, "bytes": 10}}, before=1, check_mode=True)
    assert result.status == "would_copy"


def test_local_totals_leave_out_the_shared_unit_mailboxes() -> None:
    rows = [{"mailbox": "INBOX", "messages": "2", "vsize": "20"},
            {"mailbox": "Shared/stttt@tiengiang.gov.vn/INBOX", "messages": "9", "vsize": "90"}]
    assert logic.local_totals(rows, ["Shared/"]) == {"INBOX": {"messages": 2, "bytes": 20}}


def test_summary_lists_the_failures() -> None:
    ok = logic.MailboxResult(id="1", address="a@x", source_user="a", status="copied", moved_messages=4)
    bad = logic.MailboxResult(id="2", address="b@x", source_user="b", status="source_login_failed", error="refused")
    summary = logic.summarise([ok, bad])
    assert summary["by_status"] == {"copied": 1, "source_login_failed": 1}
    assert summary["moved_messages"] == 4
    assert summary["failed"] == [{"address": "b@x", "status": "source_login_failed", "error": "refused"}]


CREDENTIALS = {"unit:stttt": {"user": "stttt", "password": "Pw#1unit"}, "0001": {"user": "hieu", "password": "Pw#1hieu"},
               "0002": {"user": "hieu2", "password": "Pw#1left"}, "0003": {"user": "an"}}


def test_plan_one_unit_skips_and_lists_without_guessing() -> None:
    plan = migration_plan(ACCOUNTS, CREDENTIALS, unit="stttt")
    assert [m["id"] for m in plan["mailboxes"]] == ["unit:stttt", "0001"]
    assert plan["mailboxes"][1] == {"id": "0001", "address": "leminhhieu@tiengiang.gov.vn", "source_user": "hieu",
                                    "source_password": "Pw#1hieu", "quota_bytes": 524288000}
    assert plan["skipped"] == [{"id": "0002", "address": "lminhhieu@tiengiang.gov.vn",
                                "reason": "status left: the mailbox is disabled here"}]


def test_plan_all_lists_incomplete_credentials_and_unknown_ids() -> None:
    plan = migration_plan(ACCOUNTS, {**CREDENTIALS, "0999": {"user": "x", "password": "y"}})
    assert {s["id"]: s["reason"] for s in plan["skipped"]}["0003"] == "source credentials without password"
    assert plan["unknown_ids"] == ["0999"]
    assert migration_plan(ACCOUNTS, None)["mailboxes"] == []


def test_plan_refuses_an_unknown_unit() -> None:
    with pytest.raises(InvalidInput, match="unit 'nowhere' has no accounts"):
        migration_plan(ACCOUNTS, CREDENTIALS, unit="nowhere")


def test_report_csv_has_every_mailbox_and_the_skipped_ones() -> None:
    row = logic.MailboxResult(id="0001", address="a@x", source_user="a", status="copied", source_messages=3,
                              folders={"C&APQ-ng v&AQM-n &AREevw-n": "Công văn đến"}).as_dict()
    text = migration_report_csv([row], [{"id": "0003", "address": "b@x", "reason": "no source credentials"}])
    lines = list(csv.DictReader(io.StringIO(text)))
    assert lines[0]["folders"] == "C&APQ-ng v&AQM-n &AREevw-n=Công văn đến"
    assert lines[0]["source_messages"] == "3"
    assert (lines[1]["status"], lines[1]["error"]) == ("skipped", "no source credentials")
