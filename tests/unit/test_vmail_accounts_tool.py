"""vmail-accounts: set-initial hashes many initial passwords in parallel, each verifiable;
set-password applies the one policy and leaves an admin reset on must-change."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

from vmail.cli import accounts as accounts_tool

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # pylint: disable=deprecated-module

# vmail-accounts as the hosts run it (roles/vmail_package), with this interpreter.
TOOL = ["-m", "vmail.cli.accounts"]


def run_tool(db: Path, *args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "ignore", *TOOL, "--db", str(db), *args], input=stdin,
                          text=True, capture_output=True, check=False,
                          env={**os.environ, **(env or {})})


def tool(db: Path, *args: str, stdin: str = "") -> dict:
    """Run the command with this interpreter; its JSON answer."""
    proc = run_tool(db, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def _one_account(tmp_path: Path) -> Path:
    db = tmp_path / "accounts.sqlite"
    accounts = [{"id": "0001", "kind": "person", "localpart": "u1", "address": "u1@tiengiang.gov.vn",
                 "status": "active", "quota_bytes": 1}]
    tool(db, "sync", "--json", "-", stdin=json.dumps({"domain": "tiengiang.gov.vn", "accounts": accounts}))
    tool(db, "set-initial", stdin=json.dumps({"0001": "Init#0001pw"}))
    return db


def _row(db: Path) -> tuple:
    return sqlite3.connect(db).execute("SELECT password, initial_password FROM accounts WHERE id = '0001'").fetchone()


def test_set_password_refuses_a_weak_password_with_reasons_in_both_languages(tmp_path: Path) -> None:
    db = _one_account(tmp_path)
    before = _row(db)
    weak = run_tool(db, "set-password", "u1@tiengiang.gov.vn", stdin="weak\n")
    assert weak.returncode == 1
    msg = json.loads(weak.stdout)["msg"]
    assert "Mật khẩu không đạt yêu cầu" in msg and "phải có ít nhất 8 ký tự" in msg, msg
    assert "Password refused" in msg and "at least 8 characters" in msg, msg
    assert _row(db) == before
    # A space is allowed in a password, but it is not the special character.
    spaced = run_tool(db, "set-password", "u1@tiengiang.gov.vn", stdin="Doi Matkhau 2026\n")
    assert spaced.returncode == 1 and "dấu cách không được tính" in spaced.stdout, spaced.stdout
    assert _row(db) == before


def test_admin_reset_leaves_must_change_and_the_owner_clears_it(tmp_path: Path) -> None:
    db = _one_account(tmp_path)
    sqlite3.connect(db).execute("UPDATE accounts SET initial_password = 0").connection.commit()
    reset = tool(db, "set-password", "u1@tiengiang.gov.vn", stdin="Dat Lai#2026\n")
    assert reset["must_change"] is True and _row(db)[1] == 1
    chosen = tool(db, "set-password", "--changed-by-user", "u1@tiengiang.gov.vn", stdin="Tu Chon#2026\n")
    assert chosen["must_change"] is False and _row(db)[1] == 0
    hashed = _row(db)[0].removeprefix("{SHA512-CRYPT}")
    assert crypt.crypt("Tu Chon#2026", hashed) == hashed


def test_set_initial_hashes_a_batch_larger_than_one_pool_chunk(tmp_path: Path) -> None:
    db = tmp_path / "accounts.sqlite"
    accounts = [{"id": f"{i:04d}", "kind": "person", "localpart": f"u{i}", "address": f"u{i}@tiengiang.gov.vn",
                 "status": "active", "quota_bytes": 1} for i in range(150)]
    synced = tool(db, "sync", "--json", "-", stdin=json.dumps({"domain": "tiengiang.gov.vn", "accounts": accounts}))
    assert len(synced["need_password"]) == 150
    passwords = {a["id"]: f"Init#{a['id']}pw" for a in accounts}
    result = tool(db, "set-initial", stdin=json.dumps(passwords))
    assert result["changed"] and len(result["set"]) == 150 and not result["missing"]
    rows = dict(sqlite3.connect(db).execute("SELECT id, password FROM accounts"))
    for acc_id, stored in rows.items():
        assert stored.startswith("{SHA512-CRYPT}$6$")
        hashed = stored.removeprefix("{SHA512-CRYPT}")
        assert crypt.crypt(passwords[acc_id], hashed) == hashed
    assert tool(db, "set-initial", stdin=json.dumps(passwords))["changed"] is False


def test_publish_script_keeps_null_apart_from_empty_and_runs_in_one_transaction(tmp_path: Path) -> None:
    """The psql script of `publish` (run for real against PostgreSQL 15 in molecule/multi)."""
    import importlib.machinery  # pylint: disable=import-outside-toplevel
    import importlib.util  # pylint: disable=import-outside-toplevel

    db = tmp_path / "accounts.sqlite"
    accounts = [{"id": "0001", "kind": "person", "localpart": "a", "address": "a@tiengiang.gov.vn",
                 "status": "active", "quota_bytes": 5, "display_name": 'Lê "A"', "postal_address": "Số 1,\nMỹ Tho"}]
    tool(db, "sync", "--json", "-", stdin=json.dumps({"domain": "tiengiang.gov.vn", "accounts": accounts}))
    module = accounts_tool
    script = module.pg_mirror_sql(module.connect(str(db)), ["postfix"])
    assert script.startswith("\\set ON_ERROR_STOP on\nBEGIN;") and script.rstrip().endswith("COMMIT;")
    assert "GRANT SELECT ON accounts, delegates, aliases, account_locks TO postfix;" in script
    record = script[script.index('"0001"'):script.index("\\.", script.index('"0001"'))]
    # A quoted field may span lines; password is NULL (unquoted empty), title '' (quoted
    # empty), quotes doubled, integers bare.
    assert '"Số 1,\nMỹ Tho"' in record and ',"Lê ""A""",' in record and ',5,' in record
    assert ',,' in record and ',"",' in record
    assert module.pg_csv_field(None) == "" and module.pg_csv_field("") == '""'


def test_state_says_what_the_role_may_skip(tmp_path: Path) -> None:
    """state reads only; sync records the SHA-256 of the document it synced, a dry run does not."""
    db, document = tmp_path / "accounts.sqlite", tmp_path / "accounts.json"
    empty = tool(db, "state", "--json", str(document))
    assert empty == {"db": None, "json": None, "need_password": 0, "synced_sha256": ""}
    assert not db.exists()
    accounts = [{"id": "0001", "kind": "person", "localpart": "u1", "address": "u1@tiengiang.gov.vn",
                 "status": "active", "quota_bytes": 1}]
    text = json.dumps({"domain": "tiengiang.gov.vn", "accounts": accounts}) + "\n"
    document.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    tool(db, "sync", "--dry-run", "--json", str(document))
    assert tool(db, "state", "--json", str(document))["synced_sha256"] == ""
    tool(db, "sync", "--json", str(document))
    state = tool(db, "state", "--json", str(document))
    assert state["synced_sha256"] == digest and state["json"]["sha256"] == digest
    assert state["need_password"] == 1
    assert set(state["db"]) == {"owner", "group", "mode"} and len(state["db"]["mode"]) == 4
    tool(db, "set-initial", stdin=json.dumps({"0001": "Init#0001pw"}))
    assert tool(db, "state", "--json", str(document))["need_password"] == 0


def test_writers_publish_where_a_postgresql_copy_is_configured(tmp_path: Path) -> None:
    """With /etc/vmail/accounts-publish.json (here VMAIL_ACCOUNTS_PUBLISH) a password change
    is mirrored at once; a copy that cannot be reached makes the command fail loudly (the
    SQLite change stands, the next write or run publishes it). Without it, nothing is tried."""
    db = tmp_path / "accounts.sqlite"
    accounts = [{"id": "0001", "kind": "person", "localpart": "u1", "address": "u1@tiengiang.gov.vn",
                 "status": "active", "quota_bytes": 1}]
    tool(db, "sync", "--json", "-", stdin=json.dumps({"domain": "tiengiang.gov.vn", "accounts": accounts}))

    def set_password(env: dict) -> subprocess.CompletedProcess:
        return run_tool(db, "set-password", "u1@tiengiang.gov.vn", stdin="Doi#Matkhau2026", env=env)

    alone = set_password({"VMAIL_ACCOUNTS_PUBLISH": str(tmp_path / "absent.json")})
    assert alone.returncode == 0, alone.stdout + alone.stderr
    conf = tmp_path / "accounts-publish.json"
    conf.write_text(json.dumps({"pg": f"dbname=vmail host={tmp_path / 'no-server'} connect_timeout=2",
                                "readers": ["postfix"]}), encoding="utf-8")
    unreachable = set_password({"VMAIL_ACCOUNTS_PUBLISH": str(conf)})
    assert unreachable.returncode == 1
    assert '"failed": true' in unreachable.stdout and "psql" in unreachable.stdout, unreachable.stdout
    stored = sqlite3.connect(db).execute("SELECT password FROM accounts WHERE id = '0001'").fetchone()[0]
    assert stored.startswith("{SHA512-CRYPT}$6$")


def test_run_leaves_the_callers_umask(tmp_path: Path) -> None:
    """The Ansible module calls run() in an interpreter later tasks reuse: the umask must come back."""
    old = os.umask(0o022)
    try:
        accounts_tool.run(["--db", str(tmp_path / "none.sqlite"), "list-addresses"])
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)
