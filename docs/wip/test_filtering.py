"""Filtering (issue #5) with real exchanges from the client container: Rspamd as
Postfix's milter, ClamAV through Rspamd, GTUBE, DKIM signing, and tempfail when
Rspamd is down."""
import base64
import os
import re
import time
import uuid
from pathlib import Path

import dkim
import pytest

from conftest import on_server

EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def _send_25(client, to, body_script, token):
    """Send on port 25 (STARTTLS); return the SMTP code and text of the outcome."""
    return client(f'''
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "Người Ngoài <nguoingoai@example.net>"
    msg["To"] = "{to}"
    msg["Subject"] = "Lọc thư {token}"
{body_script}
    try:
        with smtplib.SMTP(HOST, 25, timeout=300) as s:
            s.starttls(context=tls_context())
            s.send_message(msg)
        out({{"code": 250, "text": "queued"}})
    except smtplib.SMTPResponseException as e:
        out({{"code": e.smtp_code, "text": e.smtp_error.decode(errors="replace")}})
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        out({{"code": code, "text": text.decode(errors="replace")}})
    ''', timeout=900)


def _count_in(client, address, password, token, folder="INBOX"):
    return client(f'''
    import time
    n = 0
    for _ in range(30):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{address}", "{password}")
            m.select('"{folder}"', readonly=True)
            n = len(m.search(None, "SUBJECT", "{token}")[1][0].split())
        if n:
            break
        time.sleep(1)
    out(n)
    ''')


def test_gtube_refused(client, users):
    to, _ = users["thu"]
    result = _send_25(client, to, f'    msg.set_content("{GTUBE}")', uuid.uuid4().hex)
    assert result["code"] == 554, result
    assert "gtube" in result["text"].lower()


def test_eicar_attachment_refused(client, users):
    to, _ = users["thu"]
    body = f'''    msg.set_content("Tệp đính kèm.")
    msg.add_attachment({EICAR!r}.encode(), maintype="application", subtype="octet-stream", filename="eicar.com")'''
    result = _send_25(client, to, body, uuid.uuid4().hex)
    assert result["code"] == 554, result
    assert "virus" in result["text"].lower()


def test_eicar_at_end_of_40mb_message_refused(client, users):
    """A large message is still scanned whole: the limits follow the size variable."""
    to, _ = users["thu"]
    body = f'''    msg.set_content("Tệp lớn.")
    msg.add_attachment(b"A" * (40 * 1024 * 1024) + {EICAR!r}.encode(), maintype="application",
                       subtype="octet-stream", filename="big.bin")'''
    result = _send_25(client, to, body, uuid.uuid4().hex)
    assert result["code"] == 554, result
    assert "virus" in result["text"].lower()


def _dkim_record() -> bytes:
    """The TXT value of the DKIM record the run printed for DNS."""
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "dkim-record.txt"
    line = path.read_text().strip().splitlines()[0]
    return "".join(re.findall(r'"([^"]*)"', line)).encode()


def test_outbound_mail_dkim_signed_and_verifies_against_printed_record(client, users):
    sender, sender_password = users["thu"]
    to, to_password = users["kiem"]
    token = uuid.uuid4().hex
    client(f'''
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "Nguyễn Văn Thử <{sender}>"
    msg["To"] = "{to}"
    msg["Subject"] = "Thư có chữ ký DKIM {token}"
    msg.set_content("Nội dung được ký.")
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.starttls(context=tls_context())
        s.login("{sender}", "{sender_password}")
        s.send_message(msg)
    out(True)
    ''')
    raw = client(f'''
    import base64, time
    raw = None
    for _ in range(30):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{to}", "{to_password}")
            m.select("INBOX", readonly=True)
            ids = m.search(None, "SUBJECT", "{token}")[1][0].split()
            if ids:
                raw = base64.b64encode(m.fetch(ids[0], "(RFC822)")[1][0][1]).decode()
                break
        time.sleep(1)
    out(raw)
    ''')
    assert raw, "the signed message did not arrive"
    message = base64.b64decode(raw)
    assert b"DKIM-Signature:" in message
    record = _dkim_record()
    assert record.startswith(b"v=DKIM1; k=rsa; p=")
    assert dkim.verify(message, dnsfunc=lambda name, timeout=5: record)
    # The same message with its body altered no longer verifies: the check is real.
    assert not dkim.verify(message + b"tampered\r\n", dnsfunc=lambda name, timeout=5: record)


def test_rspamd_down_means_tempfail_then_delivery(client, users):
    """Never accepted unscanned: with Rspamd stopped Postfix answers 4xx; once it is
    back, the sender's retry is delivered."""
    to, password = users["thu"]
    token = uuid.uuid4().hex
    body = '    msg.set_content("Thư gửi khi bộ lọc tạm dừng.")'
    on_server("systemctl stop rspamd")
    try:
        result = _send_25(client, to, body, token)
        assert 400 <= result["code"] < 500, result
    finally:
        on_server("systemctl start rspamd")
        for _ in range(60):
            if on_server("nc -z 127.0.0.1 11332", check=False).returncode == 0:
                break
            time.sleep(1)
    assert _count_in(client, to, password, token) == 0, "nothing was accepted while Rspamd was down"
    retry = _send_25(client, to, body, token)
    assert retry["code"] == 250, retry
    assert _count_in(client, to, password, token) == 1
