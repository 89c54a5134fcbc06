"""The accounts database: hashes, initial passwords, and a password the user changed."""
import json
import os
from email import policy
from email.parser import Parser
from pathlib import Path

import yaml

from conftest import CHANGED_PASSWORD_9002, on_server, run_site, set_password

DB = "/var/lib/vmail/accounts.sqlite"
ACCOUNTS = "/usr/local/sbin/vmail-accounts"


def sql(query):
    return on_server(f'sqlite3 -json {DB} "{query}"').stdout or "[]"


def test_passwords_are_salted_sha512_crypt():
    rows = json.loads(sql("SELECT id, kind, password FROM accounts"))
    people = [r for r in rows if r["kind"] == "person" and r["password"]]
    assert people
    assert all(r["password"].startswith("{SHA512-CRYPT}$6$") for r in people)
    assert len({r["password"] for r in people}) == len(people)
    assert all(r["password"] is None for r in rows if r["kind"] == "unit")


def test_password_changed_by_user_survives_later_runs(client, users):
    """converge.yml changed 9002's password after the first site.yml run; molecule's idempotence
    step ran site.yml again. The user's password must still work and not be an initial one."""
    row = json.loads(sql("SELECT initial_password FROM accounts WHERE id = '9002'"))[0]
    assert row["initial_password"] == 0
    user, _ = users["kiem"]
    result = client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        typ, _ = m.login("{user}", "{CHANGED_PASSWORD_9002}")
    out(typ)
    ''')
    assert result == "OK"


def _imap_login(client, user, password):
    """'OK', or the server's refusal text, for an IMAP login from the client container."""
    return client(f'''
    try:
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            out(m.login("{user}", "{password}")[0])
    except imaplib.IMAP4.error as e:
        out(str(e))
    ''')


def test_admin_reset_follows_the_policy_and_leaves_must_change(client, users):
    """Art. 8.1, 9.3, 10.1: `vmail-accounts set-password` (an operator's reset) refuses a weak
    password with the reasons in Vietnamese and English and changes nothing; a compliant reset
    leaves the account on must-change (IMAP refused with the reason, webmail only) until the
    owner picks their own (the webmail's --changed-by-user)."""
    user, password = users["kiem"]
    weak = on_server(f"{ACCOUNTS} set-password {user}", stdin="weak\n", check=False)
    assert weak.returncode == 1, weak.stdout
    assert "Mật khẩu không đạt yêu cầu" in weak.stdout and "phải có ít nhất 8 ký tự" in weak.stdout, weak.stdout
    assert "Password refused" in weak.stdout and "at least 8 characters" in weak.stdout, weak.stdout
    assert _imap_login(client, user, password) == "OK"
    try:
        reset = json.loads(on_server(f"{ACCOUNTS} set-password {user}", stdin="Dat#Lai2026x\n").stdout)
        assert reset["must_change"] is True, reset
        refused = _imap_login(client, user, "Dat#Lai2026x")
        assert refused != "OK" and "mat khau ban dau" in refused, refused
    finally:
        set_password(user, password)
    assert _imap_login(client, user, password) == "OK"


def test_sync_is_idempotent_and_keeps_passwords():
    before = sql("SELECT id, password FROM accounts ORDER BY id")
    result = json.loads(on_server("/usr/local/sbin/vmail-accounts sync").stdout)
    assert result["changed"] is False
    assert sql("SELECT id, password FROM accounts ORDER BY id") == before


def test_accounts_json_has_no_secrets():
    text = on_server("cat /etc/vmail/accounts.json").stdout
    assert "password\"" not in text.replace("password_reset\"", "")
    assert on_server("stat -c %a /etc/vmail/accounts.json").stdout.strip() == "640"


def test_quota_warning_in_vietnamese(users):
    """Dovecot's quota-warning service script delivers a Vietnamese notice (run as vmail)."""
    user, _ = users["thu"]
    on_server(f"setpriv --reuid=5000 --regid=5000 --clear-groups /usr/local/lib/vmail/quota-warning 80 {user}")
    raw = on_server(f"doveadm fetch -u {user} hdr mailbox INBOX HEADER X-Vmail-Quota-Warning 80").stdout
    assert "Subject:" in raw, raw
    # doveadm prints "hdr:" then the header block; let the email parser unfold it.
    headers = Parser(policy=policy.default).parsestr(raw.split("hdr:", 1)[1].lstrip("\n"), headersonly=True)
    assert headers["Subject"] == "Cảnh báo: hộp thư đã dùng 80% dung lượng"


def test_registry_that_disagrees_with_the_database_stops_the_run(tmp_path):
    """Addresses never move (Art. 4): a registry edited by hand (9001 pointed at another
    address) makes site.yml stop before writing anything, naming the account."""
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    registry = yaml.safe_load((ephemeral / "registry.yml").read_text())
    issued = registry["9001"]
    registry["9001"] = issued.replace("@", "2@")
    tampered = tmp_path / "registry.yml"
    tampered.write_text(yaml.safe_dump(registry))
    tampered_text = tampered.read_text()
    credentials_before = sorted(p.name for p in (ephemeral / "credentials").iterdir())
    database_before = on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout

    run = run_site(tmp_path, ["accounts"], registry=tampered)

    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "disagrees with the accounts database" in output, output
    assert f"9001: database {issued}, registry {registry['9001']}" in output, output
    assert tampered.read_text() == tampered_text, "the registry was rewritten"
    assert sorted(p.name for p in (ephemeral / "credentials").iterdir()) == credentials_before
    assert on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout == database_before
