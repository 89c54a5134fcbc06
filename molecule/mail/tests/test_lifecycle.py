"""Account lifecycle (Art. 5.3, 12.5, 12.7): last use, inactivity notice/lock/delete, emergency lock.

Time-shifted: the tests age chosen accounts (issued years ago, last login N
months back) in the databases, then run the daily job exactly as its timer
does, with --now set to the server's date. Each test picks fresh lab people
(never the fixed test accounts 9001-9003), so the module can run again on the
same containers.
"""
import json
import subprocess
import uuid
from email import policy
from email.parser import Parser

from conftest import CLIENT, MAILHOST, QUEUED, on_server

DB = "/var/lib/vmail/accounts.sqlite"
LASTLOGIN = "/var/lib/dovecot/last-login/last-login.sqlite"
PASSWORD = "Vong#Doi2026x"
ACCOUNTS = "/usr/local/sbin/vmail-accounts"
# What playbooks/accountsdb.yml (site.yml) runs on every converge.
SITE_SYNC = f"{ACCOUNTS} --db {DB} sync --json /etc/vmail/accounts.json"


def sql(query, db=DB):
    out = on_server(f"sqlite3 -json {db} \"{query}\"").stdout
    return json.loads(out) if out.strip() else []


def today():
    return on_server("date +%F").stdout.strip()


def fresh_people(count):
    """Active people with a unit mailbox, no lock, no lifecycle history, not exempt."""
    rows = sql(
        "SELECT a.id, a.address, a.unit, u.address AS unit_address FROM accounts a"
        " JOIN accounts u ON u.kind = 'unit' AND u.unit = a.unit AND u.status = 'active'"
        " WHERE a.kind = 'person' AND a.status = 'active' AND a.exempt_until = ''"
        " AND a.id NOT LIKE '9%' AND a.password IS NOT NULL"
        " AND a.id NOT IN (SELECT id FROM account_locks) AND a.id NOT IN (SELECT id FROM lock_log)"
        " AND a.id NOT IN (SELECT id FROM lifecycle_notices)"
        f" ORDER BY a.id DESC LIMIT {count * 3}")
    # One person per unit: unit mailbox checks cannot see another test's notice.
    picked, units = [], set()
    for row in rows:
        if row["unit"] not in units:
            picked.append(row)
            units.add(row["unit"])
    assert len(picked) >= count, rows
    for row in picked[:count]:
        on_server(f"{ACCOUNTS} set-password --changed-by-user {row['address']}", stdin=PASSWORD)
    return picked[:count]


def age(address, months_unused):
    """Issued three years ago; last IMAP login N months before the server's today (noon)."""
    on_server(f"sqlite3 {DB} \"UPDATE accounts SET created = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 years')"
              f" WHERE address = '{address}'\"")
    on_server(f"sqlite3 {LASTLOGIN} \"DELETE FROM last_login WHERE userid = '{address}';"
              f" INSERT INTO last_login VALUES ('{address}', 'imap',"
              f" CAST(strftime('%s', date('now', 'localtime', '-{months_unused} months'), '+12 hours', 'utc') AS INTEGER))\"")


def run_job(day, config=None):
    option = f"--config {config} " if config else ""
    proc = on_server(f"/usr/local/sbin/vmail-lifecycle {option}--now {day} run", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def imap_login(client, address, password=PASSWORD):
    return client(f'''
    try:
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            typ, _ = m.login("{address}", "{password}")
            out({{"ok": True}})
    except imaplib.IMAP4.error as exc:
        out({{"ok": False, "error": str(exc)}})
    ''')


def smtp_send(client, to, token, port=25, login=None):
    """Send one message from the client; return send()'s outcome (code, text, refused recipients)."""
    auth = f', login="{login}", password="{PASSWORD}"' if login else ""
    return client(f'''
    msg = new_message()
    msg["From"] = "{login or 'nguoigui@example.net'}"
    msg["To"] = "{to}"
    msg["Subject"] = "Vong doi {token}"
    msg.set_content("Thu thu nghiem vong doi tai khoan.")
    out(send(msg, {port}, timeout=60{auth}))
    ''')


def wait_delivered(address, token):
    """Poll (bounded) until the message reached the mailbox; return the doveadm search output."""
    return on_server(
        f"for i in $(seq 1 60); do r=$(doveadm search -u {address} mailbox INBOX SUBJECT {token});"
        f" [ -n \"$r\" ] && echo \"$r\" && exit 0; sleep 1; done; exit 1").stdout


def lifecycle_header(address, kind):
    """Decoded subjects of the lifecycle notices of this kind in the mailbox, one line each."""
    out = on_server(f"doveadm fetch -u {address} hdr mailbox INBOX HEADER X-Vmail-Lifecycle {kind}").stdout
    subjects = []
    # Pager format: one record per message, separated by form feeds; "hdr:" then the header block.
    for record in out.split("\f"):
        if "hdr:" in record:
            block = record.split("hdr:", 1)[1].lstrip("\n")
            subjects.append(str(Parser(policy=policy.default).parsestr(block, headersonly=True)["Subject"]))
    return "\n".join(subjects)


def test_imap_and_pop3_logins_are_recorded(client):
    (person,) = fresh_people(1)
    address = person["address"]
    on_server(f"sqlite3 {LASTLOGIN} \"DELETE FROM last_login WHERE userid = '{address}'\"")
    start = int(on_server("date +%s").stdout)
    result = client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{address}", "{PASSWORD}")
    p = poplib.POP3_SSL(HOST, 995, context=tls_context())
    p.user("{address}"); p.pass_("{PASSWORD}"); p.quit()
    out(True)
    ''')
    assert result is True
    rows = sql(f"SELECT service, last_access FROM last_login WHERE userid = '{address}' ORDER BY service",
               db=LASTLOGIN)
    assert [r["service"] for r in rows] == ["imap", "pop3"], rows
    assert all(r["last_access"] >= start for r in rows), (start, rows)


def test_smtp_submission_counts_as_use(client):
    used, unused = fresh_people(2)
    for person in (used, unused):
        age(person["address"], 7)
    start = int(on_server("date +%s").stdout)
    token = uuid.uuid4().hex
    sent = smtp_send(client, used["address"], token, port=587, login=used["address"])
    assert sent == QUEUED, sent
    result = run_job(today())
    assert used["address"] not in result["locked"], result
    assert unused["address"] in result["locked"], result
    rows = sql(f"SELECT last_access FROM last_login WHERE userid = '{used['address']}' AND service = 'smtp'",
               db=LASTLOGIN)
    assert rows and rows[0]["last_access"] >= start, rows
    assert imap_login(client, used["address"])["ok"] is True


def test_time_shifted_notice_lock_and_archived_delete(client):
    five, six, twelve = fresh_people(3)
    # Mail in the 12-month mailbox, to find it in the archive.
    keep = uuid.uuid4().hex
    assert smtp_send(client, twelve["address"], keep) == QUEUED
    wait_delivered(twelve["address"], keep)
    for person, months in ((five, 5), (six, 6), (twelve, 12)):
        age(person["address"], months)
    day = today()
    # The platform's backup role is deployed in this scenario, so the job would archive to
    # its borg repository (that path: test_archive_goes_to_the_borg_repository...). Here the
    # job runs with its configuration minus the backup, to check the local archive.
    conf = json.loads(on_server("cat /etc/vmail/lifecycle.json").stdout)
    conf["backup_env"] = "/nonexistent/backup.env"
    on_server("mkdir -p /var/tmp/lifecycle-local && cat > /var/tmp/lifecycle-local/lifecycle.json",
              stdin=json.dumps(conf))

    result = run_job(day, "/var/tmp/lifecycle-local/lifecycle.json")
    assert five["address"] in result["noticed"], result
    assert six["address"] in result["locked"], result
    assert twelve["address"] in [d["address"] for d in result["deleted"]], result
    for person in (five, six, twelve):
        others = {k: v for k, v in result.items() if isinstance(v, list) and k != "errors"}
        hits = [k for k, v in others.items() if person["address"] in json.dumps(v)]
        assert len(hits) == 1, (person["address"], hits)

    # 5 months: a Vietnamese notice to the user and to the unit mailbox; not locked.
    for mailbox in (five["address"], five["unit_address"]):
        subjects = lifecycle_header(mailbox, "notice-lock")
        assert f"Thông báo: hộp thư {five['address']} sẽ bị tạm khóa" in subjects, (mailbox, subjects)
    assert imap_login(client, five["address"])["ok"] is True

    # 6 months: locked, refused with the Vietnamese reason, told so, still receives mail.
    refused = imap_login(client, six["address"])
    assert refused["ok"] is False and "Tai khoan da bi tam khoa" in refused["error"], refused
    assert sql(f"SELECT l.kind FROM account_locks l JOIN accounts a ON a.id = l.id"
               f" WHERE a.address = '{six['address']}'") == [{"kind": "inactive"}]
    assert f"hộp thư {six['address']} đã bị tạm khóa" in lifecycle_header(six["unit_address"], "locked")
    token = uuid.uuid4().hex
    assert smtp_send(client, six["address"], token) == QUEUED
    assert wait_delivered(six["address"], token).strip()

    # 12 months: archived (with its mail), mailbox gone, tombstone, address reserved.
    (deleted,) = [d for d in result["deleted"] if d["address"] == twelve["address"]]
    archive = deleted["archive"]
    listing = on_server(f"tar -tzf {archive}").stdout.split()
    assert "account.json" in listing
    assert on_server(f"tar -xzOf {archive} --wildcards '*/Maildir/*' | grep -c {keep}").stdout.strip() != "0"
    assert on_server(f"stat -c %a {archive}").stdout.strip() == "600"
    localpart, domain = twelve["address"].split("@")
    assert on_server(f"test -e /var/vmail/{domain}/{localpart}", check=False).returncode == 1
    assert sql(f"SELECT status, password FROM accounts WHERE address = '{twelve['address']}'") == [
        {"status": "left", "password": None}]
    assert imap_login(client, twelve["address"])["ok"] is False
    rejected = smtp_send(client, twelve["address"], uuid.uuid4().hex)
    assert rejected["code"] == 550 and rejected["refused"].get(twelve["address"], [0])[0] == 550, rejected
    assert f"hộp thư {twelve['address']} đã bị xóa" in lifecycle_header(twelve["unit_address"], "deleted")
    # The next site.yml run neither revives it nor frees the address.
    on_server(SITE_SYNC)
    assert sql(f"SELECT status FROM accounts WHERE address = '{twelve['address']}'") == [{"status": "left"}]
    assert twelve["address"] in json.loads(on_server(f"{ACCOUNTS} list-addresses").stdout).values()

    # The next day's run repeats nothing.
    again = run_job(day, "/var/tmp/lifecycle-local/lifecycle.json")
    mine = json.dumps({k: v for k, v in again.items() if isinstance(v, list)})
    assert all(p["address"] not in mine for p in (five, six, twelve)), again


def test_archive_goes_to_the_borg_repository_when_backups_are_configured(client):
    """With the backup role's environment file present (here a test repository and
    env file, same format as roles/backup writes), the final archive is a borg archive."""
    (person,) = fresh_people(1)
    keep = uuid.uuid4().hex
    assert smtp_send(client, person["address"], keep) == QUEUED
    wait_delivered(person["address"], keep)
    repo, env, config = ("/var/tmp/lifecycle-test/borg", "/var/tmp/lifecycle-test/backup.env",
                         "/var/tmp/lifecycle-test/lifecycle.json")
    on_server("rm -rf /var/tmp/lifecycle-test && mkdir -m 700 /var/tmp/lifecycle-test"
              " && printf %s test-passphrase > /var/tmp/lifecycle-test/pass")
    on_server(f"cat > {env}", stdin=f'BORG_REPO="{repo}"\nBORG_PASSCOMMAND="cat /var/tmp/lifecycle-test/pass"\n'
                                     'VMAIL_BACKUP_PREFIX="mail-"\n')
    on_server(f"set -a && . {env} && set +a && borg init --encryption=repokey-blake2")
    conf = json.loads(on_server("cat /etc/vmail/lifecycle.json").stdout)
    conf["backup_env"] = env
    on_server(f"cat > {config}", stdin=json.dumps(conf))
    age(person["address"], 12)
    proc = on_server(f"/usr/local/sbin/vmail-lifecycle --config {config} --now {today()} run")
    result = json.loads(proc.stdout)
    localpart = person["address"].split("@")[0]
    (deleted,) = [d for d in result["deleted"] if d["address"] == person["address"]]
    name = f"deleted-mail-{localpart}-{today().replace('-', '')}"
    assert deleted["archive"] == f"borg:{repo}::{name}", deleted
    listing = on_server(f"set -a && . {env} && set +a && borg list --short ::{name}").stdout.split()
    assert f"var/backups/vmail/deleted/{person['address']}.json" in listing
    mails = [p for p in listing if f"/{localpart}/Maildir/" in p and ("/new/" in p or "/cur/" in p)]
    assert mails, listing
    content = on_server(f"set -a && . {env} && set +a && borg extract --stdout ::{name} {' '.join(mails)}").stdout
    assert keep in content
    assert on_server(f"test -e /var/vmail/{person['address'].split('@')[1]}/{localpart}",
                     check=False).returncode == 1


def test_emergency_lock_kicks_open_session_and_survives_sync(client):
    (person,) = fresh_people(1)
    address = person["address"]
    # An IMAP session held open in the client while the lock is applied on the server.
    ca = on_server("cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout
    code = f'''
import imaplib, json, ssl, sys
ctx = ssl.create_default_context(cadata={ca!r})
m = imaplib.IMAP4_SSL({MAILHOST!r}, 993, ssl_context=ctx)
m.login({address!r}, {PASSWORD!r})
m.select("INBOX")
print("ready", flush=True)
sys.stdin.readline()
# Wait for what the server says next: a kicked session gets BYE and EOF; a live
# one says nothing (and the read gives up after 30 s).
m.sock.settimeout(30)
lines = []
try:
    while True:
        line = m.readline()
        if not line:
            raise EOFError("connection closed by the server")
        lines.append(line.decode(errors="replace").strip())
except TimeoutError:
    print(json.dumps({{"alive": True, "lines": lines}}))
except (EOFError, imaplib.IMAP4.abort, OSError) as exc:
    print(json.dumps({{"alive": False, "lines": lines, "error": str(exc)}}))
'''
    # The script is an argument: stdin stays free for the "go" after the lock.
    session = subprocess.Popen(["podman", "exec", "-i", CLIENT, "python3", "-u", "-c", code],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert session.stdout.readline().strip() == "ready", session.stderr.read()
        locked = json.loads(on_server(f"{ACCOUNTS} lock {address} --reason 'Lo mat khau, su co 42'"
                                      f" --by 'Giam doc So TTTT'").stdout)
        assert locked["changed"] is True and locked["kicked"] is True, locked
        rest, err = session.communicate("go\n", timeout=120)
        assert rest.strip(), err
        outcome = json.loads(rest.strip().splitlines()[-1])
    finally:
        session.kill()
    assert outcome["alive"] is False, outcome
    assert any(line.startswith("* BYE") for line in outcome["lines"]), outcome

    refused = imap_login(client, address)
    assert refused["ok"] is False and "khoa khan cap" in refused["error"], refused
    # site.yml's accounts sync does not lift it.
    on_server(SITE_SYNC)
    assert imap_login(client, address)["ok"] is False
    # SMTP AUTH is refused too.
    smtp = client(f'''
    try:
        with smtplib.SMTP(HOST, 587, timeout=60) as s:
            s.starttls(context=tls_context())
            s.login("{address}", "{PASSWORD}")
        out("accepted")
    except smtplib.SMTPAuthenticationError as exc:
        out(exc.smtp_code)
    ''')
    assert smtp == 535
    # Who and why, in the database and in the journal.
    log = json.loads(on_server(f"{ACCOUNTS} lock-log {address}").stdout)
    assert [(e["action"], e["kind"], e["by"], e["reason"]) for e in log] == [
        ("lock", "emergency", "Giam doc So TTTT", "Lo mat khau, su co 42")]
    journal = on_server(f"journalctl -t vmail-accounts --no-pager -o cat | grep 'lock {address} '").stdout
    assert "by=Giam doc So TTTT" in journal

    unlocked = json.loads(on_server(f"{ACCOUNTS} unlock {address} --reason 'Da doi mat khau'"
                                    f" --by 'Giam doc So TTTT'").stdout)
    assert unlocked["changed"] is True
    assert imap_login(client, address)["ok"] is True
    log = json.loads(on_server(f"{ACCOUNTS} lock-log {address}").stdout)
    assert [e["action"] for e in log] == ["lock", "unlock"]


def test_left_disables_at_once_and_is_deleted_by_the_same_rule(client):
    (person,) = fresh_people(1)
    address = person["address"]
    assert imap_login(client, address)["ok"] is True
    # HR marks the person as left: what the accounts play writes, then the same sync command.
    on_server(
        "python3 -c \"import json,sys; d=json.load(open('/etc/vmail/accounts.json'));"
        f" [a.update(status='left') for a in d['accounts'] if a['address']=='{address}'];"
        " json.dump(d, open('/root/accounts-left.json','w'))\"")
    out = json.loads(on_server(f"{ACCOUNTS} --db {DB} sync --json /root/accounts-left.json").stdout)
    assert out["disabled"] == [person["id"]], out
    assert imap_login(client, address)["ok"] is False
    assert [e["action"] for e in json.loads(on_server(f"{ACCOUNTS} lock-log {address}").stdout)] == ["left"]
    # Deleted 12 months after the last use, like everyone.
    age(address, 12)
    result = run_job(today())
    assert address in [d["address"] for d in result["deleted"]], result
    # Back to the real file: the tombstone keeps it left.
    on_server(SITE_SYNC)
    assert sql(f"SELECT status FROM accounts WHERE address = '{address}'") == [{"status": "left"}]


def test_exemption_from_the_personnel_file_holds_the_account():
    """exempt_until (personnel file: secondment, long leave) reaches the database and the job."""
    rows = sql("SELECT address, exempt_until FROM accounts WHERE kind = 'person' AND status = 'active'"
               " AND exempt_until > date('now', 'localtime') AND id NOT IN (SELECT id FROM account_locks)"
               " ORDER BY id LIMIT 1")
    assert rows, "the lab personnel file has no exemption running today"
    address = rows[0]["address"]
    age(address, 13)
    result = run_job(today())
    assert address not in json.dumps(result), result
    status = {a["address"]: a for a in json.loads(on_server(f"/usr/local/sbin/vmail-lifecycle --now {today()} status").stdout)}
    assert status[address]["next"] == "exempt", status[address]


def test_timer_is_scheduled_daily_and_its_service_runs():
    assert on_server("systemctl is-enabled vmail-lifecycle.timer").stdout.strip() == "enabled"
    assert on_server("systemctl is-active vmail-lifecycle.timer").stdout.strip() == "active"
    assert "OnCalendar=*-*-* 03:15:00" in on_server("systemctl cat vmail-lifecycle.timer").stdout
    # What the timer starts, started by hand (oneshot: returns when the job is done).
    on_server("systemctl start vmail-lifecycle.service")
    assert on_server("systemctl show -P Result vmail-lifecycle.service").stdout.strip() == "success"
    invocation = on_server("systemctl show -P InvocationID vmail-lifecycle.service").stdout.strip()
    report = on_server(f"journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID={invocation}"
                       " -u vmail-lifecycle.service | grep '^{'").stdout
    assert json.loads(report.splitlines()[-1])["errors"] == []
