"""vmail-accounts: the accounts database of the vmail platform, in one command.

Postfix and Dovecot both read the SQLite database this script writes. Every
sub-command prints one JSON document on stdout so Ansible can tell exactly
whether anything changed.

  sync [--json FILE|-] [--dry-run]   upsert every account of the JSON in ONE
                                     transaction; report ids lacking a password
  set-initial                        stdin: JSON {id: cleartext}; hash and store
                                     them for accounts that have no password
  set-password ADDRESS               stdin: new cleartext, checked against the
      [--changed-by-user]            one policy (Art. 8.1; reasons in Vietnamese
                                     and English); hash and store it. An admin
                                     reset leaves the account on must-change
                                     (Art. 9.3, 10.1); --changed-by-user (the
                                     webmail, after checking the current
                                     password) clears that mark
  list-addresses                     JSON {id: address}
  state [--json FILE]                JSON: SHA-256 of the document last synced
                                     and of FILE, owner/mode of FILE and of the
                                     database, accounts lacking a password; reads
                                     only (the role skips the sync when nothing
                                     differs)
  publish [--pg CONNINFO]            mirror the SQLite database into PostgreSQL
                                     (multi-host readers) in ONE transaction
                                     with psql and COPY; report what changed.
                                     Writers publish by themselves when
                                     /etc/vmail/accounts-publish.json exists
  lock ADDRESS --reason R --by WHO   lock at once (Art. 12.7): logins refused
      [--kind emergency|inactive]    with a Vietnamese reason, open sessions
      [--message TEXT]               kicked; sync never lifts it
  unlock ADDRESS --reason R --by WHO lift a lock (restarts the inactivity clock)
  locks                              JSON list of the locks in force
  lock-log [ADDRESS]                 JSON list of every lock/unlock/delete event

Every lock, unlock and deletion is written to the lock_log table and to the
journal (syslog identifier vmail-accounts). A deleted account keeps a
tombstone: sync never brings it back and its address is never reissued.

Stdlib and the vmail package only, so it runs on a bare Debian 12 (and 13: no crypt module).
"""
import argparse
import grp
import hashlib
import io
import json
import multiprocessing
import os
import pwd
import sqlite3
import subprocess
import sys
import syslog

from collections.abc import Sequence
from typing import Any, NoReturn

from vmail import accountsdb, sessions
from vmail.errors import InvalidInput
from vmail.password import password_policy_errors
from vmail.sha512crypt import sha512_crypt

DEFAULT_DB = accountsdb.DEFAULT_PATH
DEFAULT_JSON = "/etc/vmail/accounts.json"
# Shown by IMAP/POP3/ManageSieve when a locked account logs in (the
# password_query returns it as the reason). Plain ASCII: IMAP response text is
# 7-bit, so Vietnamese without diacritics.
LOCK_MESSAGES = {
    "emergency": "Tai khoan da bi khoa khan cap (Dieu 12.7 Quy che). "
                 "Lien he bo phan quan tri thu dien tu cua tinh de duoc mo khoa.",
    "inactive": "Tai khoan da bi khoa vi khong su dung qua 6 thang. "
                "Lien he can bo quan tri cua don vi de duoc mo khoa.",
}


# Fields copied verbatim from the JSON; password fields are handled apart.
FIELDS = ("kind", "localpart", "domain", "address", "display_name", "unit",
          "unit_name", "status", "quota_bytes", "title", "phone", "fax",
          "postal_address", "exempt_until", "source")


class CommandFailed(Exception):
    """A refused command: the message is printed as {"failed": true, "msg": ...} (exit 1), or
    becomes the module's failure (library/vmail_accounts_db.py)."""


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


def read_input(args: argparse.Namespace, binary: bool = False) -> Any:
    """The command's input: given by the caller (the Ansible module), else stdin."""
    given = getattr(args, "stdin", None)
    if given is not None:
        return given.encode("utf-8") if binary else given
    return sys.stdin.buffer.read() if binary else sys.stdin.read()


def connect(path: str, create: bool = False) -> sqlite3.Connection:
    """The accounts database at the current schema version (created or upgraded in place)."""
    try:
        return accountsdb.open_db(path, create)
    except FileNotFoundError:
        fail(f"database {path} does not exist (run sync first)")
    except InvalidInput as exc:
        fail(str(exc))


def log_event(conn: sqlite3.Connection, acc_id: str, address: str, action: str, kind: str, reason: str,  # pylint: disable=too-many-arguments
              by: str, stamp: str, journal: bool = True) -> None:
    """One row in lock_log and one line in the journal (caller holds the transaction)."""
    conn.execute("INSERT INTO lock_log (id, address, action, kind, reason, by, at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (acc_id, address, action, kind, reason, by, stamp))
    if not journal:
        return
    syslog.openlog("vmail-accounts", 0, syslog.LOG_MAIL)
    syslog.syslog(syslog.LOG_NOTICE, f"{action} {address} kind={kind or '-'} by={by} reason={reason}")


def kick(address: str) -> bool:
    """End the open IMAP/POP3 sessions of an account on this host (if Dovecot runs here)."""
    return sessions.end_sessions(address)


def hash_password(cleartext: str) -> str:
    if not cleartext:
        fail("empty password refused")
    return "{SHA512-CRYPT}" + sha512_crypt(cleartext)


def hash_many(cleartexts: list[str]) -> list[str]:
    """SHA512-CRYPT of many passwords on every core: 5,000 rounds cost a few
    milliseconds each, so 20,000 initial passwords are the slowest step of a
    first run; hashing is CPU-bound and independent per password."""
    if not all(cleartexts):
        fail("empty password refused")
    if len(cleartexts) < 64:
        return [hash_password(c) for c in cleartexts]
    with multiprocessing.Pool(os.cpu_count() or 1) as pool:
        return pool.map(hash_password, cleartexts, chunksize=64)


def normalise(account: dict[str, Any], domain: str) -> dict[str, Any]:
    try:
        row = {
            "id": str(account["id"]),
            "kind": account["kind"],
            "localpart": account["localpart"].lower(),
            "address": account["address"].lower(),
            "status": account["status"],
            "quota_bytes": int(account["quota_bytes"]),
        }
    except (KeyError, TypeError, ValueError) as exc:
        fail(f"account {account.get('id', '?')}: missing or bad field {exc}")
    row["domain"] = row["address"].rpartition("@")[2] or domain
    for field in ("display_name", "unit", "unit_name", "title", "phone", "fax",
                  "postal_address", "exempt_until", "source"):
        value = account.get(field)
        row[field] = "" if value is None else str(value)
    row["password_reset"] = str(account.get("password_reset") or "")
    row["delegates"] = sorted({d.lower() for d in (account.get("delegates") or [])})
    if row["kind"] not in ("person", "unit"):
        fail(f"account {row['id']}: kind must be person or unit")
    if row["status"] not in ("active", "suspended", "left"):
        fail(f"account {row['id']}: status must be active, suspended or left")
    return row


def cmd_sync(args: argparse.Namespace) -> dict[str, Any]:
    if args.json == "-":
        raw = read_input(args, binary=True)
    else:
        with open(args.json, "rb") as handle:
            raw = handle.read()
    document = json.loads(raw)
    domain = document.get("domain", "")
    accounts = [normalise(a, domain) for a in document.get("accounts", [])]
    aliases = {a["address"].lower(): a["destination"].lower()
               for a in document.get("aliases", [])}
    ids = [a["id"] for a in accounts]
    if len(ids) != len(set(ids)):
        fail("duplicate account ids in the JSON")
    conn = connect(args.db, create=True)
    result: dict[str, Any] = {"changed": False, "created": [], "updated": [], "retired": [], "disabled": [],
              "password_reset": [], "aliases_changed": False, "need_password": []}
    stamp = accountsdb.timestamp()
    with accountsdb.transaction(conn, commit=not args.dry_run):
        existing = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM accounts")}
        tombstoned = {r["id"] for r in conn.execute("SELECT id FROM tombstones")}
        delegates: dict[str, list[str]] = {}
        for r in conn.execute("SELECT unit_id, address FROM delegates ORDER BY address"):
            delegates.setdefault(r["unit_id"], []).append(r["address"])
        for acc in accounts:
            old = existing.get(acc["id"])
            if acc["id"] in tombstoned:
                # Deleted for inactivity or after leaving: stays deleted; the
                # address stays reserved (Art. 4.2b).
                acc["status"] = "left"
            if old is None:
                # A new account starts without a password (nobody can log in)
                # until set-initial gives it one.
                conn.execute(
                    "INSERT INTO accounts (id, " + ", ".join(FIELDS) + ", password_reset, created, updated)"
                    " VALUES (?, " + ", ".join("?" for _ in FIELDS) + ", ?, ?, ?)",
                    [acc["id"]] + [acc[f] for f in FIELDS] + [acc["password_reset"], stamp, stamp])
                result["created"].append(acc["id"])
            else:
                changes = {f: acc[f] for f in FIELDS if old[f] != acc[f]}
                # A password is overwritten only when ops issue a NEW reset
                # token; an emptied token changes nothing.
                if acc["password_reset"] and acc["password_reset"] != old["password_reset"]:
                    changes.update(password_reset=acc["password_reset"], password=None,
                                   initial_password=0)
                    result["password_reset"].append(acc["id"])
                if changes.get("status") == "left":
                    result["disabled"].append(acc["id"])
                if changes:
                    changes["updated"] = stamp
                    conn.execute(
                        "UPDATE accounts SET " + ", ".join(f"{k} = ?" for k in changes) + " WHERE id = ?",
                        list(changes.values()) + [acc["id"]])
                    result["updated"].append(acc["id"])
            if delegates.get(acc["id"], []) != acc["delegates"]:
                conn.execute("DELETE FROM delegates WHERE unit_id = ?", (acc["id"],))
                conn.executemany("INSERT INTO delegates (unit_id, address) VALUES (?, ?)",
                                 [(acc["id"], d) for d in acc["delegates"]])
                if acc["id"] not in result["created"] + result["updated"]:
                    result["updated"].append(acc["id"])
        # Accounts no longer in the file are never deleted here: their address
        # stays reserved (Art. 4.2b) and their mail is refused as unknown.
        known = set(ids)
        for old_id, old in existing.items():
            if old_id not in known and old["status"] != "left":
                conn.execute("UPDATE accounts SET status = 'left', updated = ? WHERE id = ?",
                             (stamp, old_id))
                result["retired"].append(old_id)
                result["disabled"].append(old_id)
        # status: left disables at once (the readers refuse it); the lifecycle
        # job deletes it by the inactivity rules. Logged like a lock.
        addresses = {a["id"]: a["address"] for a in accounts}
        addresses.update({k: v["address"] for k, v in existing.items() if k not in addresses})
        for acc_id in result["disabled"]:
            log_event(conn, acc_id, addresses[acc_id], "left", "", "status: left in the personnel file",
                      "personnel", stamp, journal=not args.dry_run)
        old_aliases = {r["address"]: r["destination"]
                       for r in conn.execute("SELECT address, destination FROM aliases")}
        if old_aliases != aliases:
            conn.execute("DELETE FROM aliases")
            conn.executemany("INSERT INTO aliases (address, destination) VALUES (?, ?)",
                             sorted(aliases.items()))
            result["aliases_changed"] = True
        result["need_password"] = [r["id"] for r in conn.execute(
            "SELECT id FROM accounts WHERE kind = 'person' AND status != 'left'"
            " AND password IS NULL ORDER BY id")]
        if not args.dry_run:
            # What `state` reports: the role runs no sync while the document is
            # the one synced last (and every account has its password).
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('synced_sha256', ?)",
                         (hashlib.sha256(raw).hexdigest(),))
    result["changed"] = bool(result["created"] or result["updated"] or result["retired"]
                             or result["aliases_changed"])
    if not args.dry_run:
        for acc_id in result["disabled"]:
            kick(addresses[acc_id])
    return result


def cmd_set_initial(args: argparse.Namespace) -> dict[str, Any]:
    data = read_input(args)
    passwords = json.loads(data) if data.strip() else {}
    if not isinstance(passwords, dict):
        fail("stdin must be a JSON object {id: password}")
    conn = connect(args.db)
    result: dict[str, Any] = {"changed": False, "set": [], "missing": []}
    stamp = accountsdb.timestamp()
    with accountsdb.transaction(conn, commit=not getattr(args, "dry_run", False)):
        # Only accounts that have no password: a run never overwrites the
        # password a user chose.
        need = [r["id"] for r in conn.execute(
            "SELECT id FROM accounts WHERE kind = 'person' AND status != 'left'"
            " AND password IS NULL ORDER BY id")]
        result["missing"] = [acc_id for acc_id in need if acc_id not in passwords]
        result["set"] = [acc_id for acc_id in need if acc_id in passwords]
        hashes = hash_many([str(passwords[acc_id]) for acc_id in result["set"]])
        conn.executemany("UPDATE accounts SET password = ?, initial_password = 1,"
                         " password_changed = ?, updated = ? WHERE id = ?",
                         [(hashed, stamp, stamp, acc_id) for hashed, acc_id in zip(hashes, result["set"])])
    result["changed"] = bool(result["set"])
    return result


def policy_reasons(cleartext: str) -> dict[str, list[str]]:
    """{'vi': [...], 'en': [...]}: why `cleartext` breaks Art. 8.1 ({} if it complies)."""
    return {lang: reasons for lang in ("vi", "en") if (reasons := password_policy_errors(cleartext, lang))}


def cmd_set_password(args: argparse.Namespace) -> dict[str, Any]:
    cleartext = read_input(args).rstrip("\r\n")
    reasons = policy_reasons(cleartext)
    if reasons:
        fail("Mật khẩu không đạt yêu cầu (Điều 8.1): " + "; ".join(reasons["vi"])
             + " / Password refused (Art. 8.1): " + "; ".join(reasons["en"]))
    conn = connect(args.db)
    stamp = accountsdb.timestamp()
    # An admin reset is a password someone else knows: the owner must change it
    # at the next login (webmail only until then), as with an initial password.
    must_change = 0 if args.changed_by_user else 1
    cur = conn.execute("UPDATE accounts SET password = ?, initial_password = ?,"
                       " password_changed = ?, updated = ?"
                       " WHERE address = ? AND kind = 'person'",
                       (hash_password(cleartext), must_change, stamp, stamp, args.address.lower()))
    if cur.rowcount != 1:
        fail(f"no personal account with address {args.address}")
    return {"changed": True, "address": args.address.lower(), "must_change": bool(must_change)}

# PostgreSQL copy of the accounts for readers on other hosts (Postfix's
# pgsql: maps, Dovecot's pgsql driver). SQLite stays the working copy every
# sub-command above writes; publish mirrors it with psql (Debian's
# postgresql-client, no Python driver needed) in one transaction. Its tables:
# vmail.accountsdb (PG_TABLES, pg_schema).
# Written by the mail_accounts role when the accounts are published to
# PostgreSQL: {"pg": CONNINFO, "readers": [role, ...]}. Every sub-command that
# writes (sync, set-initial, set-password, lock, unlock) then publishes at
# once, so a password changed in webmail or a lock works on every host.
PUBLISH_CONF = os.environ.get("VMAIL_ACCOUNTS_PUBLISH", "/etc/vmail/accounts-publish.json")


def pg_csv_field(value: object) -> str:
    """In PostgreSQL's CSV an unquoted empty field is NULL and "" is ''."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def pg_mirror_sql(conn: sqlite3.Connection, readers: list[str], commit: bool = True) -> str:
    """The psql script: schema, then per table COPY into a temporary twin and
    three statements (insert new, update differing, delete gone) whose row
    counts psql prints as "table|inserted|updated|deleted"."""
    out = io.StringIO()
    out.write("\\set ON_ERROR_STOP on\nBEGIN;\n" + accountsdb.pg_schema())
    for reader in readers:
        out.write(f"GRANT SELECT ON {', '.join(accountsdb.PG_TABLES)} TO {reader};\n")
    for table, key in accountsdb.PG_TABLES.items():
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        rest = [c for c in columns if c not in key]
        cols, keys = ", ".join(columns), ", ".join(key)
        out.write(f"CREATE TEMP TABLE new_{table} (LIKE {table}) ON COMMIT DROP;\n"
                  f"COPY new_{table} ({cols}) FROM STDIN WITH (FORMAT csv);\n")
        for row in conn.execute(f"SELECT {cols} FROM {table} ORDER BY {keys}"):
            out.write(",".join(pg_csv_field(v) for v in row) + "\n")
        out.write("\\.\n")
        match = " AND ".join(f"t.{k} = n.{k}" for k in key)
        differ = " OR ".join(f"t.{c} IS DISTINCT FROM n.{c}" for c in rest) or "false"
        sets = ", ".join(f"{c} = n.{c}" for c in rest)
        out.write(
            f"WITH ins AS (INSERT INTO {table} SELECT n.* FROM new_{table} n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE {match}) RETURNING 1),\n"
            + (f" upd AS (UPDATE {table} t SET {sets} FROM new_{table} n WHERE {match} AND ({differ}) "
               f"RETURNING 1),\n" if rest else " upd AS (SELECT 1 WHERE false),\n")
            + f" del AS (DELETE FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM new_{table} n WHERE {match}) "
            f"RETURNING 1)\n"
            f"SELECT '{table}', (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), "
            f"(SELECT count(*) FROM del);\n")
    # Check mode: the same statements and counts, then nothing kept.
    out.write("COMMIT;\n" if commit else "ROLLBACK;\n")
    return out.getvalue()


def publish_conf() -> dict[str, Any] | None:
    """The publish settings of this host, or None (one host, SQLite only)."""
    if not os.path.exists(PUBLISH_CONF):
        return None
    with open(PUBLISH_CONF, encoding="utf-8") as f:
        conf: dict[str, Any] = json.load(f)
    return conf


def publish_to_pg(db: str, pg: str, readers: list[str], commit: bool = True) -> dict[str, Any]:
    """Mirror the SQLite database into PostgreSQL; what changed per table."""
    conn = connect(db)
    script = pg_mirror_sql(conn, readers, commit)
    try:
        proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", pg], input=script, text=True,
                              capture_output=True, check=False)
    except FileNotFoundError:
        fail("psql: not installed (Debian package postgresql-client)")
    if proc.returncode != 0:
        fail("psql: " + (proc.stderr or proc.stdout).strip()[-2000:])
    result: dict[str, Any] = {"changed": False}
    for line in proc.stdout.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[0] in accountsdb.PG_TABLES:
            counts = dict(zip(("inserted", "updated", "deleted"), map(int, parts[1:])))
            result[parts[0]] = counts
            result["changed"] = result["changed"] or any(counts.values())
    return result


def cmd_publish(args: argparse.Namespace) -> dict[str, Any]:
    pg, readers = args.pg, args.reader or []
    if pg is None:
        conf = publish_conf()
        if conf is None:
            return {"changed": False, "configured": False}
        pg, readers = conf["pg"], conf.get("readers", [])
    return publish_to_pg(args.db, pg, readers, commit=not getattr(args, "dry_run", False))


def file_state(path: str, digest: bool = False) -> dict[str, str] | None:
    """owner, group, mode (and SHA-256) of a file; None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    state = {"owner": pwd.getpwuid(st.st_uid).pw_name, "group": grp.getgrgid(st.st_gid).gr_name,
             "mode": "%04o" % (st.st_mode & 0o7777)}
    if digest:
        with open(path, "rb") as handle:
            state["sha256"] = hashlib.sha256(handle.read()).hexdigest()
    return state


def cmd_state(args: argparse.Namespace) -> dict[str, Any]:
    # Reads only: no database yet means nothing synced (the schema is not created here).
    result = {"json": file_state(args.json, digest=True), "db": file_state(args.db),
              "synced_sha256": "", "need_password": 0}
    if result["db"] is not None:
        conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'synced_sha256'").fetchone()
            result["synced_sha256"] = row[0] if row else ""
            result["need_password"] = conn.execute(
                "SELECT count(*) FROM accounts WHERE kind = 'person' AND status != 'left'"
                " AND password IS NULL").fetchone()[0]
        except sqlite3.OperationalError:
            pass  # an empty or older database: treated as never synced
        finally:
            conn.close()
    return result


def cmd_list_addresses(args: argparse.Namespace) -> dict[str, str]:
    # No database yet (first run): no address issued on this server.
    if not os.path.exists(args.db):
        return {}
    conn = connect(args.db)
    return {r["id"]: r["address"] for r in conn.execute("SELECT id, address FROM accounts ORDER BY id")}


def _account(conn: sqlite3.Connection, address: str) -> sqlite3.Row:
    row = conn.execute("SELECT id, address, kind FROM accounts WHERE address = ?",
                       (address.lower(),)).fetchone()
    if row is None:
        fail(f"no account with address {address}")
    account: sqlite3.Row = row
    return account


def require_reason(args: argparse.Namespace) -> None:
    """A lock or an unlock is logged with why and by whom (Art. 8.3): both are required."""
    if not args.reason.strip() or not args.by.strip():
        fail("--reason and --by are required and must not be empty")


def cmd_lock(args: argparse.Namespace) -> dict[str, Any]:
    require_reason(args)
    conn = connect(args.db)
    stamp = accountsdb.timestamp()
    message = args.message or LOCK_MESSAGES[args.kind]
    if not message.isascii() or "%" in message:
        fail("--message must be plain ASCII without % (IMAP response text)")
    with accountsdb.transaction(conn, commit=not args.dry_run):
        acc = _account(conn, args.address)
        if conn.execute("SELECT 1 FROM tombstones WHERE id = ?", (acc["id"],)).fetchone():
            fail(f"{acc['address']} was deleted; nothing to lock")
        old = conn.execute("SELECT kind FROM account_locks WHERE id = ?", (acc["id"],)).fetchone()
        # An emergency lock replaces an inactivity lock; never the reverse.
        changed = old is None or (old["kind"] != args.kind and args.kind == "emergency")
        if changed:
            conn.execute("INSERT OR REPLACE INTO account_locks"
                         " (id, kind, reason, message, locked_by, locked_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (acc["id"], args.kind, args.reason, message, args.by, stamp))
            log_event(conn, acc["id"], acc["address"], "lock", args.kind, args.reason, args.by, stamp,
                      journal=not args.dry_run)
    # Kick even when already locked: an operator repeating the command wants
    # the sessions gone.
    kicked = False if args.dry_run else kick(acc["address"])
    return {"changed": changed, "address": acc["address"], "kind": args.kind, "kicked": kicked}


def cmd_unlock(args: argparse.Namespace) -> dict[str, Any]:
    require_reason(args)
    conn = connect(args.db)
    stamp = accountsdb.timestamp()
    with accountsdb.transaction(conn, commit=not args.dry_run):
        acc = _account(conn, args.address)
        old = conn.execute("SELECT kind FROM account_locks WHERE id = ?", (acc["id"],)).fetchone()
        if old is not None:
            conn.execute("DELETE FROM account_locks WHERE id = ?", (acc["id"],))
            log_event(conn, acc["id"], acc["address"], "unlock", old["kind"], args.reason, args.by, stamp,
                      journal=not args.dry_run)
    return {"changed": old is not None, "address": acc["address"]}


def cmd_locks(args: argparse.Namespace) -> list[dict[str, Any]]:
    conn = connect(args.db)
    return [dict(r) for r in conn.execute(
        "SELECT a.address, l.kind, l.reason, l.locked_by, l.locked_at FROM account_locks l"
        " JOIN accounts a ON a.id = l.id ORDER BY a.address")]


def cmd_lock_log(args: argparse.Namespace) -> list[dict[str, Any]]:
    conn = connect(args.db)
    query = "SELECT seq, address, action, kind, reason, by, at FROM lock_log"
    params: tuple[str, ...] = ()
    if args.address:
        query += " WHERE address = ?"
        params = (args.address.lower(),)
    return [dict(r) for r in conn.execute(query + " ORDER BY seq", params)]


def parser() -> argparse.ArgumentParser:
    """The command line of vmail-accounts (also what the Ansible module builds)."""
    parser = argparse.ArgumentParser(prog="vmail-accounts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("VMAIL_ACCOUNTS_DB", DEFAULT_DB))
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync")
    sync.add_argument("--json", default=DEFAULT_JSON)
    sync.add_argument("--dry-run", action="store_true")
    sync.set_defaults(func=cmd_sync)
    initial = sub.add_parser("set-initial")
    initial.add_argument("--dry-run", action="store_true", help="say which would be set, set none")
    initial.set_defaults(func=cmd_set_initial)
    setpw = sub.add_parser("set-password")
    setpw.add_argument("address")
    setpw.add_argument("--changed-by-user", action="store_true",
                       help="the owner chose it (webmail): clear the must-change mark")
    setpw.set_defaults(func=cmd_set_password)
    sub.add_parser("list-addresses").set_defaults(func=cmd_list_addresses)
    state = sub.add_parser("state")
    state.add_argument("--json", default=DEFAULT_JSON)
    state.set_defaults(func=cmd_state)
    publish = sub.add_parser("publish")
    publish.add_argument("--pg", help="libpq connection string of the PostgreSQL copy (default: "
                         + PUBLISH_CONF + ")")
    publish.add_argument("--reader", action="append", help="role granted SELECT (repeatable)")
    publish.add_argument("--dry-run", action="store_true", help="count the changes, keep none")
    publish.set_defaults(func=cmd_publish)
    lock = sub.add_parser("lock", help="lock an account at once (Art. 12.7)")
    lock.add_argument("address")
    lock.add_argument("--reason", required=True, help="why (kept in the lock log)")
    lock.add_argument("--by", required=True, help="who orders it (kept in the lock log)")
    lock.add_argument("--kind", choices=sorted(LOCK_MESSAGES), default="emergency")
    lock.add_argument("--message", help="ASCII text shown at login (default: per kind)")
    lock.add_argument("--dry-run", action="store_true", help="say whether it would change, change nothing")
    lock.set_defaults(func=cmd_lock)
    unlock = sub.add_parser("unlock", help="lift a lock")
    unlock.add_argument("address")
    unlock.add_argument("--reason", required=True)
    unlock.add_argument("--by", required=True)
    unlock.add_argument("--dry-run", action="store_true", help="say whether it would change, change nothing")
    unlock.set_defaults(func=cmd_unlock)
    sub.add_parser("locks").set_defaults(func=cmd_locks)
    log = sub.add_parser("lock-log")
    log.add_argument("address", nargs="?")
    log.set_defaults(func=cmd_lock_log)
    return parser


def run(argv: Sequence[str], stdin: str | None = None) -> Any:
    """Run one command; its result (what main prints as JSON). CommandFailed if refused.

    ``stdin``: the input of sync --json -, set-initial and set-password, given by the caller.
    """
    args = parser().parse_args(argv)
    args.stdin = stdin
    # Files this command creates are not world-readable. The umask is put back: the Ansible
    # module runs this in an interpreter that later tasks reuse (Mitogen), where a leaked 027
    # made every directory those tasks created unreadable for the web server.
    old_umask = os.umask(0o027)
    try:
        result = args.func(args)
        # Writers publish at once where PostgreSQL serves other hosts; a failure
        # fails the command (the SQLite change stands; the next write or run retries).
        if args.func in (cmd_sync, cmd_set_initial, cmd_set_password, cmd_lock, cmd_unlock) \
                and not getattr(args, "dry_run", False):
            conf = publish_conf()
            if conf is not None:
                publish_to_pg(args.db, conf["pg"], conf.get("readers", []))
    finally:
        os.umask(old_umask)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    try:
        result = run(sys.argv[1:] if argv is None else argv)
    except CommandFailed as exc:
        print(json.dumps({"failed": True, "msg": str(exc)}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
