"""The tiers on separate hosts (issue 9), end to end across containers:

- the store's LMTP, auth and quota-status, and PostgreSQL, listen on the
  private address only; Postfix and Dovecot read the accounts from PostgreSQL;
- mail into the MX is read on the mail store over IMAP;
- submission on the MX authenticates against the mail store (Dovecot auth over
  TCP): a password changed on the accounts host works on the MX at once, the
  old one is refused; a lock written there refuses logins on the store;
- a message moved into Junk on the store trains Rspamd's Bayes on the MX;
- monitoring scrapes every host; each mail host backs up to the ops host.
The webmail through both tiers: test_multi_webmail.py.
"""
import json
import time
import uuid

import pytest

from conftest import MX, MX_NAME, OPS, STORE, STORE_NAME, mail, on, set_password

PRIVATE_PORTS = {24: "lmtp", 12345: "auth", 12340: "quota-status", 5432: "postgresql"}

# Client scripts (run in the ops container; prelude: tls_context, out, new_message, send).
SEND = '''
P = json.loads(%r)
HOST = P["host"]  # send() of the prelude talks to HOST
msg = new_message()
msg["From"], msg["To"], msg["Subject"] = P["sender"], P["to"], P["subject"]
msg.set_content("Thư thử nghiệm giữa các máy chủ.\\n")
out(send(msg, port=P["port"], login=P.get("login"), password=P.get("password")))
'''
FIND = '''
import time
P = json.loads(%r)
found = []
for _ in range(60):
    imap = imaplib.IMAP4_SSL(P["host"], 993, ssl_context=tls_context())
    imap.login(P["user"], P["password"])
    imap.select("INBOX")
    # The subject's last word is an ASCII token: no charset needed.
    typ, data = imap.search(None, "SUBJECT", P["subject"].split()[-1])
    found = data[0].split()
    if found:
        typ, parts = imap.fetch(found[0], "(BODY.PEEK[HEADER])")
        header = parts[0][1].decode(errors="replace")
        imap.logout()
        out({"count": len(found), "header": header})
        break
    imap.logout()
    time.sleep(2)
else:
    out({"count": 0, "header": ""})
'''
LOGIN = '''
P = json.loads(%r)
imap = imaplib.IMAP4_SSL(P["host"], 993, ssl_context=tls_context())
try:
    imap.login(P["user"], P["password"])
    imap.logout()
    out({"result": "OK"})
except imaplib.IMAP4.error as exc:
    out({"result": str(exc)})
'''


def send(client, **params):
    return client(SEND % json.dumps(params))


def find(client, **params):
    return client(FIND % json.dumps(params))

# A message a user files as spam: appended to INBOX, then moved into Junk
# (IMAPSieve on the store pipes it to the MX's Rspamd controller).
FILE_AS_SPAM = '''
P = json.loads(%r)
raw = ("From: Quang Cao <quangcao@example.net>\\r\\nTo: " + P["user"] + "\\r\\nSubject: Uu dai " + P["token"]
       + "\\r\\nX-Token: " + P["token"] + "\\r\\nMIME-Version: 1.0\\r\\n"
       "Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\n"
       + P["body"] + "\\r\\n").encode()
with imaplib.IMAP4_SSL(P["host"], 993, ssl_context=tls_context()) as m:
    m.login(P["user"], P["password"])
    m.append("INBOX", None, None, raw)
    m.select("INBOX")
    uids = m.uid("SEARCH", None, "HEADER", "X-Token", P["token"])[1][0].split()
    typ, _ = m.uid("MOVE", uids[0].decode(), "Junk")
out(typ)
'''


def imap_login(client, user, password):
    return client(LOGIN % json.dumps({"host": STORE_NAME, "user": user, "password": password}))["result"]


def private_address(host):
    return on(host, "hostname -I").stdout.split()[0]


def test_store_listens_on_the_private_address_only():
    address = private_address(STORE)
    listening = [line.split()[3] for line in on(STORE, "ss -Htln").stdout.splitlines()]
    for port, name in PRIVATE_PORTS.items():
        binds = [b for b in listening if b.endswith(f":{port}")]
        assert binds, f"{name} does not listen"
        assert all(b.rsplit(":", 1)[0] in (address, "127.0.0.1", "[::1]") for b in binds), f"{name}: {binds}"
    assert f"{address}:24" in listening and f"{address}:12345" in listening


def test_tiers_read_the_accounts_from_postgresql(addresses):
    thu = addresses["9001"]
    maps = on(MX, "postconf -h virtual_mailbox_maps").stdout
    assert maps.strip().startswith("pgsql:"), maps
    # Postfix on the MX finds the mailbox in PostgreSQL on the store...
    assert on(MX, f"postmap -q {thu} {maps.strip()}").stdout.strip()
    assert not on(MX, f"postmap -q nobody-{uuid.uuid4().hex[:6]}@tiengiang.gov.vn {maps.strip()}",
                  check=False).stdout.strip()
    # ...and Dovecot does too (its SQLite copy is not what it reads).
    assert "driver = pgsql" in on(STORE, "cat /etc/dovecot/dovecot-sql.conf.ext").stdout
    assert f"home\t/var/vmail/tiengiang.gov.vn/{thu.split('@')[0]}\n" in on(STORE, f"doveadm user {thu}").stdout
    count = on(STORE, "su postgres -c \"psql -XAt -d vmail -c 'SELECT count(*) FROM accounts'\"").stdout
    assert int(count) == len(addresses)


def test_mail_into_the_mx_is_read_on_the_store(client, users):
    thu, password = users["thu"]
    subject = f"Liên máy chủ {uuid.uuid4().hex[:8]}"
    assert send(client, host=MX_NAME, port=25, sender="dong.nghiep@example.net", to=thu,
                subject=subject)["code"] == 250
    got = find(client, host=STORE_NAME, user=thu, password=password, subject=subject)
    assert got["count"] == 1
    # Accepted by the MX, handed to the store over LMTP.
    assert f"by {MX_NAME} (Postfix)" in got["header"], got["header"]
    assert f"by {STORE_NAME}" in got["header"] and "LMTP" in got["header"], got["header"]


def test_submission_on_the_mx_authenticates_against_the_store(client, users):
    thu, password = users["thu"]
    kiem, kiem_password = users["kiem"]
    subject = f"Gửi qua MX {uuid.uuid4().hex[:8]}"
    assert send(client, host=MX_NAME, port=587, login=thu, password=password, sender=thu, to=kiem,
                subject=subject)["code"] == 250
    assert find(client, host=STORE_NAME, user=kiem, password=kiem_password, subject=subject)["count"] == 1
    # A password changed on the accounts host is what the MX checks from now on.
    new_password = "Thu#Moi2026multi"
    set_password(thu, new_password)
    try:
        refused = send(client, host=MX_NAME, port=587, login=thu, password=password, sender=thu, to=kiem,
                       subject=subject + " cũ")
        assert refused["code"] == 535, refused
        assert send(client, host=MX_NAME, port=587, login=thu, password=new_password, sender=thu, to=kiem,
                    subject=subject + " mới")["code"] == 250
    finally:
        set_password(thu, password)


def test_a_lock_on_the_accounts_host_refuses_logins_on_the_store(client, users):
    thu, password = users["thu"]
    assert imap_login(client, thu, password) == "OK"
    on(STORE, f"/usr/local/sbin/vmail-accounts lock {thu} --reason 'kiem thu nhieu may' --by molecule")
    try:
        refused = imap_login(client, thu, password)
        assert refused != "OK" and "khoa" in refused, refused
    finally:
        on(STORE, f"/usr/local/sbin/vmail-accounts unlock {thu} --reason 'het kiem thu' --by molecule")
    assert imap_login(client, thu, password) == "OK"


def on_mx(command):
    """Rspamd's statistics live in Redis on the MX."""
    return on(MX, command)


def test_moving_mail_into_junk_on_the_store_trains_rspamd_on_the_mx(client, users):
    thu, password = users["thu"]
    token = uuid.uuid4().hex
    before = mail.bayes_learned(on_mx)["spam"]
    assert client(FILE_AS_SPAM % json.dumps({"host": STORE_NAME, "user": thu, "password": password,
                                             "token": token, "body": f"{mail.ADVERT} Mã {token}."})) == "OK"
    assert mail.wait_learned("spam", before, run=on_mx), "moving into Junk on the store did not train the MX"


def test_monitoring_scrapes_every_host():
    expected = {("node", h) for h in (MX, STORE, "vmail-multi-web", OPS)} | {
        ("postfix", MX), ("rspamd", MX), ("dovecot", STORE)}
    seen = {}
    for _ in range(40):
        targets = json.loads(on(OPS, "python3 -c 'import urllib.request; print(urllib.request.urlopen("
                                     "\"http://127.0.0.1:9090/api/v1/targets\").read().decode())'").stdout)["data"]
        seen = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets["activeTargets"]}
        if all(seen.get(key) == "up" for key in expected):
            break
        time.sleep(3)
    assert {key: seen.get(key) for key in expected} == {key: "up" for key in expected}
    # The probes from the ops host reach the services on their own hosts.
    probes = {key: health for key, health in seen.items() if key[0].startswith("probe_")}
    assert probes and all(health == "up" for health in probes.values()), probes


@pytest.mark.parametrize("host", [MX, STORE])
def test_each_mail_host_backs_up_to_the_ops_host(host):
    on(host, "systemctl start vmail-backup.service")
    archives = json.loads(on(host, "set -a; . /etc/vmail/backup.env; set +a; borg list --json").stdout)["archives"]
    assert archives, f"no archive from {host}"
    # The repository is on the ops host, in the host's own directory.
    assert on(OPS, f"test -f /srv/borg/{host}/config", check=False).returncode == 0
