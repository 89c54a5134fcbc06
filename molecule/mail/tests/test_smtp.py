"""SMTP from the client container: delivery, submission, relay, identities, sizes, quota."""
import re
import uuid

from conftest import QUEUED, on_server


def _read_back(client, to, password, token, count):
    return client(f'''
    import time
    from email import policy
    from email.parser import BytesParser
    found = []
    for _ in range(30):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{to}", "{password}")
            m.select("INBOX", readonly=True)
            typ, data = m.search(None, "SUBJECT", "{token}")
            ids = data[0].split()
            if len(ids) >= {count}:
                for i in ids:
                    typ, body = m.fetch(i, "(RFC822)")
                    msg = BytesParser(policy=policy.default).parsebytes(body[0][1])
                    found.append({{"subject": str(msg["Subject"]), "from": str(msg["From"])}})
                break
        time.sleep(1)
    out(found)
    ''')


def _vietnamese_message(to, token, smtputf8):
    return f'''
    from email.message import EmailMessage
    from email import policy
    import email.utils
    msg = EmailMessage(policy=policy.SMTPUTF8 if {smtputf8} else policy.SMTP)
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="example.net")
    msg["From"] = "Người Gửi Bên Ngoài <nguoigui@example.net>"
    msg["To"] = "Nguyễn Văn Thử <{to}>"
    msg["Subject"] = "Thư thử nghiệm tiếng Việt {token}"
    msg.set_content("Kính gửi anh Thử,\\nđây là thư thử nghiệm có dấu.\\n")
    '''


def test_delivery_vietnamese_to_imap(client, users):
    """Port 25 (STARTTLS) -> LMTP -> IMAP read-back: Vietnamese subject and display name."""
    to, password = users["thu"]
    token = uuid.uuid4().hex
    sent = client(_vietnamese_message(to, token, False) + '''
    out(send(msg, 25, timeout=60))
    ''')
    assert sent == QUEUED, sent
    found = _read_back(client, to, password, token, 1)
    assert len(found) == 1, found
    assert found[0]["subject"] == f"Thư thử nghiệm tiếng Việt {token}"
    assert "Người Gửi Bên Ngoài" in found[0]["from"]


def test_smtputf8_only_where_delivery_carries_it(client, users):
    """Never accepted, then bounced: over LMTP (Dovecot 2.3 has no SMTPUTF8) SMTPUTF8 is not
    offered and a MAIL FROM asking for it gets one 5xx before any data; over lda it is
    offered and the message is delivered."""
    to, password = users["thu"]
    token = uuid.uuid4().hex
    result = client(_vietnamese_message(to, token, True) + f'''
    with smtplib.SMTP(HOST, 25, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        offered = s.has_extn("smtputf8")
        code, text = s.docmd("MAIL", "FROM:<nguoigui@example.net> BODY=8BITMIME SMTPUTF8")
        if code == 250:
            code, text = s.docmd("RCPT", "TO:<{to}>")
        if code == 250:
            code, text = s.data(msg.as_bytes())
    out({{"offered": offered, "code": code, "text": text.decode(errors="replace")}})
    ''')
    transport = on_server("postconf -h virtual_transport").stdout.strip()
    if transport.startswith("lmtp:"):
        assert not result["offered"], result
        assert 500 <= result["code"] < 600, result
        assert _read_back(client, to, password, token, 1) == []
    else:
        assert result["offered"] and result["code"] == 250, result
        found = _read_back(client, to, password, token, 1)
        assert len(found) == 1 and found[0]["subject"] == f"Thư thử nghiệm tiếng Việt {token}", found


def test_raw_utf8_headers_without_smtputf8_delivered(client, users):
    """A client that writes raw UTF-8 headers without asking for SMTPUTF8 (as many do) is
    delivered intact: the Vietnamese subject and display name read back over IMAP."""
    to, password = users["thu"]
    token = uuid.uuid4().hex
    sent = client(_vietnamese_message(to, token, True) + f'''
    raw = msg.as_bytes()
    assert "Thư".encode() in raw.split(b"\\r\\n\\r\\n")[0]
    out(send(raw, 25, sender="nguoigui@example.net", recipients=["{to}"], timeout=60,
             mail_options=["BODY=8BITMIME"]))
    ''')
    assert sent == QUEUED, sent
    found = _read_back(client, to, password, token, 1)
    assert len(found) == 1, found
    assert found[0]["subject"] == f"Thư thử nghiệm tiếng Việt {token}"
    assert "Người Gửi Bên Ngoài" in found[0]["from"]


def test_submission_587_starttls_then_auth(client, users):
    sender, password = users["thu"]
    to, _ = users["kiem"]
    result = client(f'''
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.ehlo()
        auth_before = s.has_extn("auth")
        s.starttls(context=tls_context())
        s.ehlo()
        auth_after = s.has_extn("auth")
        s.login("{sender}", "{password}")
        refused = s.sendmail("{sender}", ["{to}"], "From: {sender}\\r\\nSubject: submission 587\\r\\n\\r\\nok\\r\\n")
    with smtplib.SMTP_SSL(HOST, 465, timeout=60, context=tls_context()) as s:
        s.login("{sender}", "{password}")
        refused465 = s.sendmail("{sender}", ["{to}"], "From: {sender}\\r\\nSubject: submissions 465\\r\\n\\r\\nok\\r\\n")
    out({{"auth_before": auth_before, "auth_after": auth_after, "refused": refused, "refused465": refused465}})
    ''')
    assert result == {"auth_before": False, "auth_after": True, "refused": {}, "refused465": {}}


def test_auth_before_starttls_refused(client, users):
    sender, password = users["thu"]
    result = client(f'''
    import base64
    out_codes = {{}}
    for port in (25, 587):
        with smtplib.SMTP(HOST, port, timeout=60) as s:
            s.ehlo()
            cred = base64.b64encode(b"\\0{sender}\\0{password}").decode()
            out_codes[port] = s.docmd("AUTH", "PLAIN " + cred)[0]
    out(out_codes)
    ''')
    # 530 (must issue STARTTLS first) or 503 (AUTH not offered): never 235.
    assert result["25"] in (503, 530), result
    assert result["587"] in (503, 530), result


def test_wrong_password_535(client, users):
    sender, _ = users["thu"]
    result = client(f'''
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        try:
            s.login("{sender}", "Sai#MatKhau1")
            code = 235
        except smtplib.SMTPAuthenticationError as exc:
            code = exc.smtp_code
    out({{"code": code}})
    ''')
    assert result["code"] == 535


def test_unauthenticated_relay_refused(client):
    result = client('''
    with smtplib.SMTP(HOST, 25, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        s.mail("spammer@example.net")
        code, text = s.rcpt("victim@example.org")
    out({"code": code, "text": text.decode()})
    ''')
    assert 500 <= result["code"] < 600, result
    assert "Relay access denied" in result["text"]


def test_relay_refused_on_submission_without_auth(client):
    result = client('''
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        s.mail("spammer@example.net")
        code, text = s.rcpt("victim@example.org")
    out({"code": code})
    ''')
    assert 500 <= result["code"] < 600, result


def test_sending_as_another_user_refused(client, users):
    sender, password = users["thu"]
    other, _ = users["kiem"]
    result = client(f'''
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        s.login("{sender}", "{password}")
        s.mail("{other}")
        code, text = s.rcpt("{sender}")
    out({{"code": code, "text": text.decode()}})
    ''')
    assert result["code"] == 553, result
    assert "not owned by user" in result["text"]


def _submit_with_from(client, login, password, header_from, to, token, port=587):
    """Log in as `login`, envelope sender `login`, header From `header_from` (None: no From)."""
    return client(f'''
    msg = new_message()
    if {header_from!r} is not None:
        msg["From"] = {header_from!r}
    msg["To"] = "{to}"
    msg["Subject"] = "Thư mạo danh {token}"
    msg.set_content("Đề nghị chuyển khoản gấp.")
    out(send(msg, {port}, login="{login}", password="{password}", sender="{login}", recipients=["{to}"]))
    ''')


def test_header_from_of_a_colleague_refused_on_submission(client, users):
    """Logged in as A, envelope A, From: B (a colleague): one clear 5xx on 587 and 465, nothing
    delivered; the display name stays free, and a message without From is refused too."""
    sender, password = users["thu"]
    colleague, colleague_password = users["kiem"]
    token = uuid.uuid4().hex
    for port in (587, 465):
        forged = _submit_with_from(client, sender, password, f"Giám đốc Sở <{colleague}>", colleague, token, port)
        assert forged["code"] == 554 and "From address must be your own" in forged["text"], (port, forged)
    missing = _submit_with_from(client, sender, password, None, colleague, token)
    assert missing["code"] == 554, missing
    own = _submit_with_from(client, sender, password, f"Tên hiển thị tùy ý <{sender.upper()}>", colleague,
                            token + "ok")
    assert own == QUEUED, own
    found = _read_back(client, colleague, colleague_password, token, 1)
    assert [m["subject"] for m in found] == [f"Thư mạo danh {token}ok"], found


def test_own_domain_sender_from_outside_refused(client, users):
    """An outside server on 25, no AUTH, claiming an official of our domain as envelope sender
    or as header From: refused with a 5xx (no DNS involved); outside mail still flows."""
    to, password = users["thu"]
    official, _ = users["kiem"]
    token = uuid.uuid4().hex
    result = client(f'''
    def message(header_from, tag):
        msg = new_message()
        msg["From"] = header_from
        msg["To"] = "{to}"
        msg["Subject"] = "Chỉ đạo khẩn {token} " + tag
        msg.set_content("Đề nghị chuyển khoản gấp.")
        return msg
    out({{
        "envelope": send(message("Giám đốc <{official}>", "envelope"), 25, sender="{official}",
                         recipients=["{to}"]),
        "header": send(message("Giám đốc <{official}>", "header"), 25, sender="nguoigui@example.net",
                       recipients=["{to}"]),
        "outside": send(message("Đối tác <doitac@example.net>", "outside"), 25,
                        sender="doitac@example.net", recipients=["{to}"]),
    }})
    ''')
    assert result["envelope"]["code"] == 554 and "587" in result["envelope"]["text"], result
    assert result["header"]["code"] == 554 and "587" in result["header"]["text"], result
    assert result["outside"] == QUEUED, result
    found = _read_back(client, to, password, token, 1)
    assert [m["subject"] for m in found] == [f"Chỉ đạo khẩn {token} outside"], found


def test_unit_delegates_may_send_as_the_unit():
    """The sender login map gives each unit address to its delegates, and nobody else."""
    rows = on_server(
        "sqlite3 /var/lib/vmail/accounts.sqlite \"SELECT u.address, group_concat(d.address) FROM accounts u"
        " JOIN delegates d ON d.unit_id = u.id WHERE u.kind = 'unit' AND u.status = 'active'"
        " GROUP BY u.id LIMIT 3\"").stdout.split()
    assert rows, "no unit mailbox with delegates in the lab personnel file"
    for row in rows:
        unit, delegates = row.split("|")
        got = on_server(f"postmap -q {unit} sqlite:/etc/postfix/sqlite-sender-login-maps.cf").stdout.strip()
        assert sorted(got.split(",")) == sorted(delegates.split(","))


def test_unknown_recipient_550_at_rcpt(client):
    result = client('''
    with smtplib.SMTP(HOST, 25, timeout=60) as s:
        s.ehlo()
        s.mail("someone@example.net")
        code, text = s.rcpt("khongtontai.xyz@tiengiang.gov.vn")
        vrfy = s.verify("nguyenvanthu")[0]
    out({"code": code, "text": text.decode(), "vrfy": vrfy})
    ''')
    assert result["code"] == 550, result
    assert "User unknown" in result["text"]
    assert result["vrfy"] == 502


def _send_attachment(client, sender, password, to, mib, token):
    return client(f'''
    import os
    msg = new_message()
    msg["From"] = "{sender}"
    msg["To"] = "{to}"
    msg["Subject"] = "Tệp đính kèm {mib} MB {token}"
    msg.set_content("Tệp đính kèm lớn.")
    msg.add_attachment(os.urandom({mib} * 1024 * 1024), maintype="application",
                       subtype="octet-stream", filename="baocao.bin")
    out(send(msg, 587, login="{sender}", password="{password}", timeout=300))
    ''', timeout=900)


def _imap_sizes(client, user, password, token):
    return client(f'''
    import time, re
    sizes = []
    for _ in range(60):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{user}", "{password}")
            m.select("INBOX", readonly=True)
            typ, data = m.search(None, "SUBJECT", "{token}")
            for i in data[0].split():
                typ, d = m.fetch(i, "(RFC822.SIZE)")
                sizes.append(int(re.search(rb"RFC822.SIZE (\\d+)", d[0]).group(1)))
        if sizes:
            break
        time.sleep(1)
    out(sizes)
    ''')


def test_50mb_attachment_delivered_51mb_refused(client, users):
    sender, password = users["thu"]
    to, to_password = users["kiem"]
    token = uuid.uuid4().hex
    ok = _send_attachment(client, sender, password, to, 50, token)
    assert ok == QUEUED, ok
    sizes = _imap_sizes(client, to, to_password, token)
    assert sizes and sizes[0] > 50 * 1024 * 1024, sizes
    big = _send_attachment(client, sender, password, to, 51, uuid.uuid4().hex)
    assert big["code"] == 552, big
    assert "size exceeds" in big["text"].lower()


def test_full_mailbox_refused_at_rcpt(client, users, addresses):
    """Fill the mailbox past its quota, then the next message is refused at RCPT (no bounce)."""
    to, to_password = users["kiem"]
    token = uuid.uuid4().hex
    sent = client(f'''
    import email.utils
    out(send("From: sender@example.net\\r\\nTo: {to}\\r\\nSubject: fill {token}\\r\\n"
             "Date: " + email.utils.formatdate() + "\\r\\n"
             "Message-ID: " + email.utils.make_msgid(domain="example.net") + "\\r\\n\\r\\n"
             + "x" * 200000 + "\\r\\n", 25, sender="sender@example.net", recipients=["{to}"], timeout=60))
    ''')
    assert sent == QUEUED, sent
    assert _imap_sizes(client, to, to_password, token)
    # The account's quota drops below what the mailbox holds (as with a small
    # per-account quota): the mailbox is now full.
    original = on_server("sqlite3 /var/lib/vmail/accounts.sqlite"
                         " \"SELECT quota_bytes FROM accounts WHERE id = '9002'\"").stdout.strip()
    on_server("sqlite3 /var/lib/vmail/accounts.sqlite \"UPDATE accounts SET quota_bytes = 100000 WHERE id = '9002'\"")
    try:
        result = client(f'''
        with smtplib.SMTP(HOST, 25, timeout=60) as s:
            s.ehlo()
            s.mail("sender@example.net")
            code, text = s.rcpt("{to}")
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{to}", "{to_password}")
            typ, quota = m.getquotaroot("INBOX")
        out({{"code": code, "text": text.decode(), "quota": [q.decode() for q in quota[1]]}})
        ''')
    finally:
        on_server("sqlite3 /var/lib/vmail/accounts.sqlite"
                  f" \"UPDATE accounts SET quota_bytes = {original} WHERE id = '9002'\"")
    assert result["code"] in (452, 552), result
    assert "Mailbox full" in result["text"]
    # IMAP QUOTA: the limit in KiB is the account's quota.
    assert re.search(r"STORAGE \d+ 9[78]\)", result["quota"][0]), result
