"""The accounts database is defined once (vmail.accountsdb): versions, upgrades in place, and
the SQL that Postfix, Dovecot and the webmail helpers (Roundcube) run is run here against that definition."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from ansible.plugins.filter.core import FilterModule as CoreFilters

from conftest import REPO
from vmail import accountsdb

# A database written by the vmail-accounts of 2026-12-06 (schema version 2), dumped: three
# accounts (an active person, a suspended person with an emergency lock, a unit with a
# delegate), initial passwords, an alias.
V2_DUMP = REPO / "tests" / "fixtures" / "accounts-schema-v2.sql"
TOOL = [sys.executable, "-m", "vmail.cli.accounts"]
DOMAIN = "tiengiang.gov.vn"


def _v2_database(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V2_DUMP.read_text(encoding="utf-8"))
    conn.close()
    return path


def _rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        conn.close()


def _schema(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return {(name, " ".join(sql.split())) for name, sql in
            conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence'")}


def test_a_version_2_database_upgrades_in_place(tmp_path: Path) -> None:
    path = _v2_database(tmp_path)
    before = {table: _rows(path, table) for table in ("accounts", "delegates", "aliases", "account_locks", "lock_log")}
    proc = subprocess.run([*TOOL, "--db", str(path), "list-addresses"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["0001"] == f"leminhhieu@{DOMAIN}"
    conn = sqlite3.connect(path, isolation_level=None)
    assert accountsdb.schema_version(conn) == accountsdb.SCHEMA_VERSION == 3
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    accountsdb.migrate(fresh)
    assert _schema(conn) == _schema(fresh)  # upgraded = created today
    conn.close()
    assert {table: _rows(path, table) for table in before} == before  # nothing lost or changed
    again = sqlite3.connect(path, isolation_level=None)
    assert accountsdb.migrate(again) == []  # a second open applies nothing
    again.close()


def test_a_database_newer_than_the_package_is_refused(tmp_path: Path) -> None:
    path = _v2_database(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    proc = subprocess.run([*TOOL, "--db", str(path), "list-addresses"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "newer than this vmail package" in json.loads(proc.stdout)["msg"]


def test_the_postgresql_copy_has_the_columns_of_the_sqlite_tables() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    accountsdb.migrate(conn)
    schema = accountsdb.pg_schema()
    for table in accountsdb.PG_TABLES:
        statement = next(line for line in schema.splitlines() if line.startswith(f"CREATE TABLE IF NOT EXISTS {table} ("))
        columns = re.findall(r"(?:\(|, )([a-z_]+) (?:text|bigint)\b", statement)
        assert columns == [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


# ---------------------------------------------------------------------------------------------
# The readers' SQL, rendered from the role templates as the roles render them (sqlite driver).

def _render(template: Path, variables: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template.parent), undefined=jinja2.StrictUndefined,
                             extensions=["jinja2.ext.do"])
    env.filters.update(CoreFilters().filters())
    return env.get_template(template.name).render(ansible_managed="Ansible managed", **variables)


def _queries(text: str) -> dict[str, str]:
    """key = value settings of a Postfix map or Dovecot SQL file, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    settings = {}
    for line in joined.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings[key.strip()] = " ".join(value.split())
    return settings


@pytest.fixture(name="database")
def fixture_database(tmp_path: Path) -> sqlite3.Connection:
    """The v2 fixture as the current code opens it (upgraded), with the unit's delegate."""
    path = _v2_database(tmp_path)
    conn = accountsdb.open_db(str(path))
    return conn


def _postfix(name: str, database: sqlite3.Connection, key: str) -> list[str]:
    text = _render(REPO / "roles/postfix/templates/etc/postfix" / f"sqlite-{name}.cf.j2",
                   {"postfix_accounts_db_driver": "sqlite", "postfix_accounts_db_path": "/var/lib/vmail/accounts.sqlite"})
    query = _queries(text)["query"].replace("%s", key)
    return sorted(row[0] for row in database.execute(query))


def test_postfix_maps_run_against_the_schema(database: sqlite3.Connection) -> None:
    assert _postfix("virtual-mailbox-maps", database, f"nguyenthilan@{DOMAIN}") == [f"nguyenthilan@{DOMAIN}"]
    assert _postfix("virtual-mailbox-maps", database, f"nobody@{DOMAIN}") == []
    assert _postfix("virtual-alias-maps", database, f"postmaster@{DOMAIN}") == [f"leminhhieu@{DOMAIN}"]
    # A unit address belongs to its delegates; a person's to the person.
    assert _postfix("sender-login-maps", database, f"stttt@{DOMAIN}") == [f"leminhhieu@{DOMAIN}"]
    assert _postfix("sender-login-maps", database, f"leminhhieu@{DOMAIN}") == [f"leminhhieu@{DOMAIN}"]


# Dovecot's settings variables per series: 2.3's %u %r %s, 2.4's %{user} %{remote_ip} %{protocol}.
_DOVECOT_VARIABLES = {"2.3": {"user": "%u", "remote": "%r", "service": "%s"},
                      "2.4": {"user": "%{user}", "remote": "%{remote_ip}", "service": "%{protocol}"}}


def _dovecot(series: str) -> dict[str, str]:
    """password_query, user_query and iterate_query of the role's SQL file for `series`:
    2.3 names them, 2.4 has a query in each of its passdb sql { } and userdb sql { } blocks."""
    text = _render(REPO / f"roles/dovecot/templates/{series}/etc/dovecot/dovecot-sql.conf.ext.j2", {
        "dovecot_accounts_db_driver": "sqlite", "dovecot_accounts_db_path": "/var/lib/vmail/accounts.sqlite",
        "dovecot_accounts_db_connect": "", "dovecot_webmail_addresses": ["10.0.0.5"],
        "dovecot_initial_password_reason": "Hay doi mat khau", "dovecot_mail_root": "/var/vmail",
        "dovecot_vmail_uid": 5000, "dovecot_vmail_gid": 5000})
    if series == "2.3":
        return _queries(text)
    blocks = {name: _queries(body) for name, body in re.findall(r"^(passdb|userdb) sql \{\n(.*?)^\}", text, re.S | re.M)}
    return {"password_query": blocks["passdb"]["query"], "user_query": blocks["userdb"]["query"],
            "iterate_query": blocks["userdb"]["iterate_query"]}


@pytest.mark.parametrize("series", ["2.3", "2.4"])
def test_dovecot_queries_run_against_the_schema(database: sqlite3.Connection, series: str) -> None:
    queries, variables = _dovecot(series), _DOVECOT_VARIABLES[series]

    def run(name: str, user: str, remote: str = "10.0.0.9", service: str = "imap") -> list[dict[str, Any]]:
        sql = (queries[name].replace(variables["user"], user).replace(variables["remote"], remote)
               .replace(variables["service"], service))
        return [dict(row) for row in database.execute(sql)]

    # An active person on the initial password: refused (nologin) except from the webmail.
    [login] = run("password_query", f"leminhhieu@{DOMAIN}")
    assert login["nologin"] == "Y" and login["reason"] == "Hay doi mat khau"
    [from_webmail] = run("password_query", f"leminhhieu@{DOMAIN}", remote="10.0.0.5")
    assert from_webmail["nologin"] is None and from_webmail["password"].startswith("{SHA512-CRYPT}$6$")
    # A suspended person does not log in at all; its mailbox still exists for delivery.
    assert run("password_query", f"nguyenthilan@{DOMAIN}") == []
    [home] = run("user_query", f"nguyenthilan@{DOMAIN}")
    assert home["home"] == f"/var/vmail/{DOMAIN}/nguyenthilan"
    # The account's own quota: 2.3's quota rule, 2.4's storage size.
    quota = {"2.3": ("quota_rule", "*:bytes=524288000"), "2.4": ("quota_storage_size", "524288000B")}[series]
    assert home[quota[0]] == quota[1]
    [delegate] = run("user_query", f"leminhhieu@{DOMAIN}")
    assert delegate["acl_groups"] == f"stttt@{DOMAIN}"
    assert sorted(row["user"] for row in run("iterate_query", "")) == sorted(
        [f"leminhhieu@{DOMAIN}", f"nguyenthilan@{DOMAIN}", f"stttt@{DOMAIN}"])


def _webmail_helper(name: str, path: Path, tmp_path: Path, address: str) -> str:
    script = tmp_path / name
    script.write_text(_render(REPO / "roles/roundcube/templates/usr/local/sbin" / f"{name}.j2",
                              {"roundcube_accounts_db_path": str(path)}))
    proc = subprocess.run([sys.executable, str(script), address], capture_output=True, text=True, check=True)
    return proc.stdout


def test_the_webmail_helpers_run_against_the_schema(tmp_path: Path) -> None:
    path = _v2_database(tmp_path)
    accountsdb.open_db(str(path)).close()
    assert _webmail_helper("vmail-webmail-initial", path, tmp_path, f"leminhhieu@{DOMAIN}").strip() == "1"
    assert _webmail_helper("vmail-webmail-initial", path, tmp_path, f"stttt@{DOMAIN}").strip() == "0"
    senders = json.loads(_webmail_helper("vmail-webmail-senders", path, tmp_path, f"leminhhieu@{DOMAIN}"))
    assert senders == [{"email": f"stttt@{DOMAIN}", "name": "Sở Thông tin và Truyền thông"}]
