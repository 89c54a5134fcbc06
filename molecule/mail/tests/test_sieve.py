"""Filters and out-of-office replies (issue 21, item 2), as any ManageSieve client sees them.

Scripts are uploaded over ManageSieve (port 4190, STARTTLS, AUTHENTICATE PLAIN) from the
client container, the way Thunderbird's Sieve add-on or a phone app does it: the server's
refusals hold for every client, not only for the webmail's forms. Mail is sent through
Postfix from the client container and read back over IMAP; the automatic replies are
followed in Postfix's log (the one on their way to an outside sender cannot be delivered
in the lab, which has no outside DNS, so the queue entry is removed at the end).
The webmail side (vacation set in the browser, a broken script in the raw editor) is
test_webmail_sieve.py.
"""
import re
import textwrap
import time
import uuid

import pytest

from conftest import DOMAIN, QUEUED, on_server, set_password

# A ManageSieve client (RFC 5804), run in the client container after the prelude.
MANAGESIEVE = r'''
import base64, re, socket

class Sieve:
    def __init__(self, user, password):
        self.sock = socket.create_connection((HOST, 4190), timeout=60)
        self.file = self.sock.makefile("rb")
        self.response()
        assert self.command("STARTTLS")[0] == "OK"
        self.sock = tls_context().wrap_socket(self.sock, server_hostname=HOST)
        self.file = self.sock.makefile("rb")
        self.response()
        plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        status, text, _ = self.command('AUTHENTICATE "PLAIN" "%s"' % plain)
        assert status == "OK", text

    def response(self):
        """(OK|NO|BYE, the status line with any literal inlined, the lines before it)."""
        lines = []
        while True:
            line = self.file.readline().decode()
            if not line:
                raise EOFError("the server closed the connection")
            line = line.rstrip("\r\n")
            literal = re.search(r"\{(\d+)\+?\}$", line)
            if literal:
                data = self.file.read(int(literal.group(1))).decode()
                line = line[:literal.start()] + data + self.file.readline().decode().rstrip("\r\n")
            word = line.split(" ", 1)[0].upper()
            if word in ("OK", "NO", "BYE"):
                return word, line, lines
            lines.append(line)

    def command(self, line, literal=None):
        data = line.encode()
        if literal is not None:
            body = literal.encode()
            data += b" {%d+}\r\n" % len(body) + body
        self.sock.sendall(data + b"\r\n")
        return self.response()

    def put(self, name, script):
        return self.command('PUTSCRIPT "%s"' % name, script)[:2]


    def get(self, name):
        status, text, lines = self.command('GETSCRIPT "%s"' % name)
        assert status == "OK", text
        return "\n".join(lines).strip()

    def active(self):
        status, text, lines = self.command("LISTSCRIPTS")
        assert status == "OK", text
        return [l.split('"')[1] for l in lines if l.upper().endswith("ACTIVE")]
'''

OUTSIDE = "nguoingoai@example.net"
ACCOUNT_PASSWORD = "Loc#Thu2026s"


def untouched_person(offset):
    """An active person no other test touches: not a delegate, not one the lifecycle tests
    lock (highest ids), not test_webmail_browser's 0175, and not the lowest untouched one
    (test_webmail_vietnamese's newcomer). Given a known password, as a user changing theirs."""
    address = on_server(
        "sqlite3 /var/lib/vmail/accounts.sqlite \"SELECT address FROM accounts WHERE kind = 'person'"
        " AND status = 'active' AND id NOT LIKE '9%' AND id <> '0175'"
        " AND id NOT IN (SELECT id FROM account_locks) AND id NOT IN (SELECT id FROM lock_log)"
        " AND id NOT IN (SELECT id FROM lifecycle_notices) AND address NOT IN (SELECT address FROM delegates)"
        f" ORDER BY id LIMIT 1 OFFSET {offset}\"").stdout.strip()
    assert address, "no untouched active person left in the lab"
    set_password(address, ACCOUNT_PASSWORD)
    return address


def sieve_session(client, user, script):
    """Run `script` in the client container with `s`, a logged-in ManageSieve session."""
    return client(MANAGESIEVE + f"s = Sieve({user!r}, {ACCOUNT_PASSWORD!r})\n" + textwrap.dedent(script))


@pytest.fixture(scope="module")
def owner():
    return untouched_person(3)


def test_managesieve_refuses_redirects_and_broken_scripts_keeping_the_old_one(client, owner):
    token = uuid.uuid4().hex[:8]
    kept = f'require ["fileinto"];\nif header :contains "subject" "{token}" {{ fileinto "INBOX"; }}\n'
    result = sieve_session(client, owner, f'''
        results = {{"first": s.put("vmail-test", {kept!r})}}
        results["activate"] = s.command('SETACTIVE "vmail-test"')[:2]
        results["outside"] = s.put("vmail-test", 'redirect "{OUTSIDE}";\\n')
        results["copy_outside"] = s.put("vmail-test", 'require ["copy"];\\nkeep;\\nredirect :copy "{OUTSIDE}";\\n')
        results["variable"] = s.put("vmail-test", 'require ["variables"];\\nset "to" "{OUTSIDE}";\\nredirect "${{to}}";\\n')
        results["check_outside"] = s.command('CHECKSCRIPT "redirect \\\\"{OUTSIDE}\\\\";"')[:2]
        results["notify"] = s.put("vmail-test", 'require ["enotify"];\\nnotify "mailto:{OUTSIDE}";\\n')
        results["inside"] = s.command('CHECKSCRIPT', 'redirect "vanthu@{DOMAIN.upper()}";\\n')[:2]
        results["broken"] = s.put("vmail-test", 'if header :contains "subject" {{ fileinto }}\\n')
        results["after"] = s.get("vmail-test")
        results["active"] = s.active()
        out(results)
    ''')
    assert result["first"][0] == "OK", result
    assert result["activate"][0] == "OK", result
    # Art. 17.1: a redirect outside the province's domains is refused at upload, also with
    # :copy, on a later line, built from a variable, or only checked (CHECKSCRIPT)...
    for case, line in (("outside", 1), ("copy_outside", 3), ("variable", 3), ("check_outside", 1)):
        status, text = result[case]
        assert status == "NO" and "Art.17.1-redirect-outside" in text and f"line {line}:" in text, \
            (case, result[case])
    # ...notifications could carry a message's text outside: the extension is off...
    assert result["notify"][0] == "NO" and "enotify" in result["notify"][1], result["notify"]
    # ...and a redirect to a colleague is accepted.
    assert result["inside"][0] == "OK", result["inside"]
    # A script that does not compile: the server's error names the line; nothing changed.
    status, text = result["broken"]
    assert status == "NO" and re.search(r"line \d+: ", text), result["broken"]
    assert result["after"] == kept.strip()
    assert result["active"] == ["vmail-test"]


# Postfix's Sieve listener (127.0.0.1:10027): what Dovecot hands it when a redirect or
# an automatic reply leaves, checked up to RCPT (nothing is queued: RSET).
LISTENER_CHECK = r'''
import json, smtplib
def rcpt(sender, recipient):
    with smtplib.SMTP("127.0.0.1", 10027, timeout=30) as s:
        s.ehlo("mail")
        s.mail(sender)
        code, text = s.rcpt(recipient)
        s.rset()
        return [code, text.decode()]
print(json.dumps({
    "redirect_outside": rcpt("%(owner)s", "%(outside)s"),
    "redirect_inside": rcpt("%(owner)s", "postmaster@%(domain)s"),
    "reply_outside": rcpt("", "%(outside)s"),
}))
'''


def test_postfix_keeps_redirects_inside_the_province():
    """Even a script that slipped through (dovecot_sieve_redirect: province, or a script
    that builds the address at run time) cannot send a message outside: Postfix refuses a
    message with a sender to another domain; automatic replies (null sender) pass."""
    import json
    owner = f"vmail-sieve-check@{DOMAIN}"
    proc = on_server("python3 -", stdin=LISTENER_CHECK % {"owner": owner, "outside": OUTSIDE, "domain": DOMAIN})
    result = json.loads(proc.stdout)
    assert result["redirect_outside"][0] == 554, result
    assert result["redirect_inside"][0] == 250, result
    assert result["reply_outside"][0] == 250, result


def _queue_ids_to(address, since):
    """Postfix queue ids of messages handed to the Sieve listener and sent to `address`."""
    log = on_server(f"journalctl --no-pager -o cat --since '{since}' -t postfix/sieve/smtpd -t postfix/qmgr"
                    " -t postfix/smtp -t postfix/error -t postfix/bounce", check=False).stdout
    from_sieve = set(re.findall(r"^([0-9A-F]{6,}): client=\S*\[127\.0\.0\.1\]", log, re.M))
    return {qid for qid in re.findall(rf"^([0-9A-F]{{6,}}): to=<{re.escape(address)}>", log, re.M)
            if qid in from_sieve}


def _inbox_count(client, user, password, token):
    return client(f'''
        import time
        for _ in range(60):
            with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
                m.login({user!r}, {password!r})
                m.select("INBOX")
                found = m.search(None, "SUBJECT", {token!r})[1][0].split()
            if len(found) >= 5:
                break
            time.sleep(1)
        out(len(found))
    ''')


def test_vacation_answers_once_per_sender_never_lists_or_bulk(client, owner):
    token = uuid.uuid4().hex[:8]
    since = on_server("date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
    vacation = (f'require ["vacation"];\nvacation :days 1 :subject "Vắng mặt {token}"\n'
                '"Tôi đi công tác đến hết tuần, xin liên hệ văn phòng.";\n')
    result = sieve_session(client, owner, f'''
        results = {{"put": s.put("vmail-vacation", {vacation!r})}}
        results["activate"] = s.command('SETACTIVE "vmail-vacation"')[:2]
        out(results)
    ''')
    assert result["put"][0] == "OK" and result["activate"][0] == "OK", result
    person, lst, bulk, robot = (f"{who}-{token}@example.net" for who in ("nguoigui", "danhsach", "hangloat", "may"))
    # Two from one person, then one from a list, one bulk, one automatic: one reply only.
    extra = {lst: {"List-Id": f"<tin-tuc-{token}.example.net>"}, bulk: {"Precedence": "bulk"},
             robot: {"Auto-Submitted": "auto-generated"}}
    for sender in (person, person, lst, bulk, robot):
        sent = client(f'''
            msg = new_message()
            msg["From"] = {sender!r}
            msg["To"] = {owner!r}
            msg["Subject"] = "Công văn {token}"
            for name, value in {extra.get(sender, {})!r}.items():
                msg[name] = value
            msg.set_content("Kính gửi anh, xin xem công văn đính kèm.")
            out(send(msg, 25, sender={sender!r}, recipients=[{owner!r}]))
        ''')
        assert sent == QUEUED, sent
    assert _inbox_count(client, owner, ACCOUNT_PASSWORD, token) == 5
    replies = set()
    for _ in range(30):
        replies = _queue_ids_to(person, since)
        if replies:
            break
        time.sleep(1)
    time.sleep(2)
    replies = _queue_ids_to(person, since)
    try:
        assert len(replies) == 1, replies
        qid = next(iter(replies))
        queued = on_server(f"postcat -hq {qid}", check=False).stdout
        if queued:  # still deferred in the lab (no outside DNS): its headers
            assert "Auto-Submitted: auto-replied" in queued
        for other in (lst, bulk, robot):
            assert not _queue_ids_to(other, since), other
    finally:
        for qid in replies:
            on_server(f"postsuper -d {qid}", check=False)
        sieve_session(client, owner, 'out(s.command("SETACTIVE \\"\\"")[:2])')
