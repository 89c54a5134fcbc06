"""The vmail_accounts_db module (library/): check mode changes nothing and
says what would change, a real run changes it, the next run changes nothing; secrets stay out."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import run_module

DOMAIN = "tiengiang.gov.vn"
DOCUMENT = {"domain": DOMAIN, "aliases": [], "accounts": [
    {"id": "0001", "kind": "person", "localpart": "leminhhieu", "domain": DOMAIN, "address": f"leminhhieu@{DOMAIN}",
     "display_name": "Lê Minh Hiếu", "unit": "stttt", "unit_name": "Sở TT&TT", "status": "active",
     "quota_bytes": 524288000, "title": "", "phone": "", "fax": "", "postal_address": "", "exempt_until": "",
     "password_reset": ""}]}
PASSWORD = "Ban#Dau2026x"


def module(args: dict, check: bool = False) -> dict:
    return run_module("library", "vmail_accounts_db", args, check)


def test_sync_check_mode_then_real_then_idempotent(tmp_path: Path) -> None:
    db, doc = tmp_path / "accounts.sqlite", tmp_path / "accounts.json"
    doc.write_text(json.dumps(DOCUMENT))
    args = {"db": str(db), "command": "sync", "document_path": str(doc)}
    checked = module(args, check=True)
    assert checked["changed"] is True and checked["result"]["created"] == ["0001"]
    assert "created: 0001" in checked["diff"]["prepared"]
    # Check mode rolled its transaction back: the account is not there.
    assert sqlite3.connect(db).execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
    real = module(args)
    assert real["changed"] is True and real["result"]["need_password"] == ["0001"]
    assert module(args)["changed"] is False


def test_set_initial_keeps_the_password_out_of_the_output(tmp_path: Path) -> None:
    db, doc = tmp_path / "accounts.sqlite", tmp_path / "accounts.json"
    doc.write_text(json.dumps(DOCUMENT))
    module({"db": str(db), "command": "sync", "document_path": str(doc)})
    args = {"db": str(db), "command": "set_initial", "passwords": json.dumps({"0001": PASSWORD})}
    checked = module(args, check=True)
    assert checked["changed"] is True and checked["result"]["set"] == ["0001"]
    assert sqlite3.connect(db).execute("SELECT password FROM accounts").fetchone()[0] is None
    real = module(args)
    assert real["result"]["set"] == ["0001"] and PASSWORD not in json.dumps(real)
    assert sqlite3.connect(db).execute("SELECT password FROM accounts").fetchone()[0].startswith("{SHA512-CRYPT}$6$")
    assert module(args)["changed"] is False


def test_a_refused_document_fails_with_the_reason(tmp_path: Path) -> None:
    db, doc = tmp_path / "accounts.sqlite", tmp_path / "accounts.json"
    broken = dict(DOCUMENT, accounts=[dict(DOCUMENT["accounts"][0], status="gone")])
    doc.write_text(json.dumps(broken))
    failed = module({"db": str(db), "command": "sync", "document_path": str(doc)})
    assert failed.get("failed") is True and "status must be active, suspended or left" in failed["msg"]


def test_lock_in_check_mode_then_for_real(tmp_path: Path) -> None:
    db, doc = tmp_path / "accounts.sqlite", tmp_path / "accounts.json"
    doc.write_text(json.dumps(DOCUMENT))
    module({"db": str(db), "command": "sync", "document_path": str(doc)})
    args = {"db": str(db), "command": "lock", "address": f"leminhhieu@{DOMAIN}", "reason": "Lộ mật khẩu", "by": "ops"}
    checked = module(args, check=True)
    assert checked["changed"] is True and "locked" in checked["diff"]["prepared"]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM account_locks").fetchone()[0] == 0
    assert module(args)["changed"] is True
    assert sqlite3.connect(db).execute("SELECT kind FROM account_locks").fetchone()[0] == "emergency"
    assert module(args)["changed"] is False
    unlock = dict(args, command="unlock", reason="Đã đổi mật khẩu")
    assert module(unlock, check=True)["changed"] is True
    assert module(unlock)["changed"] is True
    assert sqlite3.connect(db).execute("SELECT count(*) FROM account_locks").fetchone()[0] == 0
