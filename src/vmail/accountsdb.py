"""The accounts database, defined once: its schema, its versions and their migrations.

Written by ``vmail-accounts`` (vmail.cli.accounts) and the lifecycle job; read by Postfix and
Dovecot (their SQL lives in the role templates and is run against this schema by
tests/unit/test_accounts_queries.py), Roundcube's helpers, ``vmail-stats`` and the report.

A database records its version in ``meta.schema_version``. ``open_db`` brings any older
database up to ``SCHEMA_VERSION`` in place, one migration at a time, each in its own
transaction; a database newer than this code is refused (an older package must not write it).
The PostgreSQL copy (multi-host readers) is derived from the same tables: ``pg_schema``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
from collections.abc import Callable, Iterator

from vmail.errors import InvalidInput

# One path for every role and command (inventories/*/group_vars/all/paths.yml says the same).
DEFAULT_PATH = "/var/lib/vmail/accounts.sqlite"

# Every moment the database records (created, updated, locked_at, lock_log.at...): UTC, to the second.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Version 2: the schema every database of 2026 has (accounts, delegates, aliases, locks,
# the lock log, tombstones, lifecycle notices). Later versions are migrations below.
BASELINE_VERSION = 2
BASELINE = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('person', 'unit')),
    localpart        TEXT NOT NULL,
    domain           TEXT NOT NULL,
    address          TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL DEFAULT '',
    unit             TEXT NOT NULL DEFAULT '',
    unit_name        TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'left')),
    quota_bytes      INTEGER NOT NULL,
    title            TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    fax              TEXT NOT NULL DEFAULT '',
    postal_address   TEXT NOT NULL DEFAULT '',
    exempt_until     TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL DEFAULT '',
    password         TEXT,
    password_reset   TEXT NOT NULL DEFAULT '',
    initial_password INTEGER NOT NULL DEFAULT 0,
    password_changed TEXT,
    created          TEXT NOT NULL,
    updated          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delegates (
    unit_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (unit_id, address)
);
CREATE INDEX IF NOT EXISTS delegates_address ON delegates (address);
CREATE TABLE IF NOT EXISTS aliases (
    address     TEXT PRIMARY KEY,
    destination TEXT NOT NULL
);
-- Locks in force (Art. 12.5, 12.7). Sync never touches this table, so a lock
-- stays across site.yml runs until `vmail-accounts unlock`.
CREATE TABLE IF NOT EXISTS account_locks (
    id        TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('emergency', 'inactive')),
    reason    TEXT NOT NULL,
    message   TEXT NOT NULL,
    locked_by TEXT NOT NULL,
    locked_at TEXT NOT NULL
);
-- Every lock, unlock, left and delete event, with who and why.
CREATE TABLE IF NOT EXISTS lock_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL,
    address TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('lock', 'unlock', 'left', 'delete')),
    kind    TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL,
    by      TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lock_log_id ON lock_log (id);
-- Deleted accounts: the row in accounts stays (status left, no password), so
-- the address is never reissued; sync keeps them left whatever HR's file says.
CREATE TABLE IF NOT EXISTS tombstones (
    id         TEXT PRIMARY KEY REFERENCES accounts (id),
    address    TEXT NOT NULL UNIQUE,
    deleted_at TEXT NOT NULL,
    archive    TEXT NOT NULL,
    by         TEXT NOT NULL
);
-- Notices the lifecycle job sent (one per account, stage and due date).
CREATE TABLE IF NOT EXISTS lifecycle_notices (
    id      TEXT NOT NULL,
    stage   TEXT NOT NULL CHECK (stage IN ('lock', 'delete')),
    due     TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (id, stage, due)
);
"""


def _v3_indexes(conn: sqlite3.Connection) -> None:
    """3: the lifecycle job, the report and the webmail's unit senders select accounts by unit
    and status; at 20,000 accounts a scan per query shows (an index per column used)."""
    conn.execute("CREATE INDEX IF NOT EXISTS accounts_unit ON accounts (unit)")
    conn.execute("CREATE INDEX IF NOT EXISTS accounts_status ON accounts (status)")


# version -> the step that brings a database of version - 1 to it.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {3: _v3_indexes}
SCHEMA_VERSION = max(MIGRATIONS, default=BASELINE_VERSION)


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The version a database records; None when it has no schema yet."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Create or upgrade the schema to SCHEMA_VERSION; the versions applied, in order.

    The connection must be in autocommit mode (``isolation_level=None``): each step runs in
    its own BEGIN IMMEDIATE ... COMMIT, so a step that fails leaves the previous version.
    """
    version = schema_version(conn)
    if version is not None and version > SCHEMA_VERSION:
        raise InvalidInput(f"the accounts database has schema version {version}, newer than this "
                           f"vmail package ({SCHEMA_VERSION}): install the newer package")
    applied: list[int] = []
    if version is None:
        conn.executescript(BASELINE)
        _set_version(conn, BASELINE_VERSION)
        version = BASELINE_VERSION
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            MIGRATIONS[target](conn)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(target),))
        applied.append(target)
    return applied


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, commit: bool = True) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT on an autocommit connection (``open_db``); ROLLBACK on any error.

    IMMEDIATE takes the write lock at once, so two writers (sync and the lifecycle job)
    wait for each other (busy timeout) instead of failing halfway. ``commit=False``
    (a dry run, Ansible's check mode) does the same work and rolls it back.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT" if commit else "ROLLBACK")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def timestamp() -> str:
    """Now, as the database records moments (TIMESTAMP_FORMAT)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIMESTAMP_FORMAT)


def _set_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))


def open_db(path: str, create: bool = False) -> sqlite3.Connection:
    """A connection (rows as sqlite3.Row, autocommit) to a database at SCHEMA_VERSION.

    FileNotFoundError unless ``create`` or the file exists. Readers on the same host
    (Postfix, Dovecot) may not write the directory: the classic rollback journal, which
    read-only readers cope with, is kept.
    """
    if not create and not os.path.exists(path):
        raise FileNotFoundError(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = DELETE")
    migrate(conn)
    return conn


# The tables readers on other hosts need, with their keys: account_locks too, because
# Dovecot's password_query refuses locked accounts.
PG_TABLES = {"accounts": ("id",), "delegates": ("unit_id", "address"), "aliases": ("address",),
             "account_locks": ("id",)}
_PG_TYPES = {"TEXT": "text", "INTEGER": "bigint"}


def pg_schema() -> str:
    """CREATE statements of the PostgreSQL copy, derived from the SQLite schema of PG_TABLES.

    Same columns, types, NOT NULLs, primary keys and indexes; no CHECKs or foreign keys
    (the copy is only ever written by ``vmail-accounts publish`` from a checked database).
    """
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(memory)
        statements = []
        for table, key in PG_TABLES.items():
            unique = set()
            for _seq, index, is_unique, origin, _partial in memory.execute(f"PRAGMA index_list({table})"):
                indexed = [row[2] for row in memory.execute(f"PRAGMA index_info({index})")]
                if is_unique and origin == "u" and len(indexed) == 1:
                    unique.add(indexed[0])
            columns = []
            for _cid, name, kind, notnull, _default, _pk in memory.execute(f"PRAGMA table_info({table})"):
                column = f"{name} {_PG_TYPES[kind.upper()]}"
                if notnull or name in key:
                    column += " NOT NULL"
                if name in unique:
                    column += " UNIQUE"
                if key == (name,):
                    column += " PRIMARY KEY"
                columns.append(column)
            if len(key) > 1:
                columns.append(f"PRIMARY KEY ({', '.join(key)})")
            statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)});")
            for (index,) in memory.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                           "AND sql IS NOT NULL ORDER BY name", (table,)):
                indexed = [row[2] for row in memory.execute(f"PRAGMA index_info({index})")]
                statements.append(f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({', '.join(indexed)});")
        return "\n".join(statements) + "\n"
    finally:
        memory.close()
