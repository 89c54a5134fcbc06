"""IMAP/POP3/ManageSieve and TLS policy, from the client container."""
import pytest

from conftest import on_server


def test_imap_login_before_starttls_refused(client, users):
    user, password = users["thu"]
    result = client(f'''
    m = imaplib.IMAP4(HOST, 143, timeout=60)
    caps = list(m.capabilities)
    try:
        m.login("{user}", "{password}")
        plain_login = "accepted"
    except imaplib.IMAP4.error as exc:
        plain_login = str(exc)
    m.starttls(ssl_context=tls_context())
    typ, _ = m.login("{user}", "{password}")
    m.logout()
    out({{"caps": caps, "plain_login": plain_login, "after_starttls": typ}})
    ''')
    assert "LOGINDISABLED" in result["caps"]
    assert result["plain_login"] != "accepted"
    assert result["after_starttls"] == "OK"


def test_special_use_folders_and_quota_extension(client, users):
    user, password = users["thu"]
    result = client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{user}", "{password}")
        typ, folders = m.list()
        typ, lsub = m.lsub()
        typ, quota = m.getquotaroot("INBOX")
        typ, caps = m.capability()
        caps = caps[0].decode().split()
    out({{"folders": [f.decode() for f in folders], "lsub": [f.decode() for f in lsub],
          "quota": [q.decode() for q in quota[1]], "caps": caps}})
    ''')
    for name, flag in [("Drafts", "\\\\Drafts"), ("Sent", "\\\\Sent"), ("Junk", "\\\\Junk"), ("Trash", "\\\\Trash")]:
        assert any(f.endswith(name) and flag.replace("\\\\", "\\") in f for f in result["folders"]), result
        assert any(f.endswith(name) for f in result["lsub"]), result
    assert "QUOTA" in result["caps"]
    # 500 MB = 512000 KiB.
    assert "STORAGE" in result["quota"][0] and "512000" in result["quota"][0], result


def test_pop3s_and_managesieve(client, users):
    user, password = users["thu"]
    result = client(f'''
    p = poplib.POP3_SSL(HOST, 995, context=tls_context(), timeout=60)
    p.user("{user}")
    pop = p.pass_("{password}").decode()
    p.quit()
    s = socket.create_connection((HOST, 4190), timeout=30)
    sieve = s.recv(4096).decode()
    s.close()
    try:
        socket.create_connection((HOST, 110), timeout=10).close()
        pop110 = "open"
    except OSError:
        pop110 = "closed"
    out({{"pop": pop, "sieve": sieve, "pop110": pop110}})
    ''')
    assert result["pop"].startswith("+OK")
    assert '"SIEVE"' in result["sieve"] and '"STARTTLS"' in result["sieve"]
    assert result["pop110"] == "closed"


def test_suspended_account_cannot_log_in(client, users):
    user, password = users["khoa"]
    result = client(f'''
    try:
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{user}", "{password}")
        imap = "accepted"
    except imaplib.IMAP4.error as exc:
        imap = str(exc)
    with smtplib.SMTP(HOST, 587, timeout=60) as s:
        s.starttls(context=tls_context())
        s.ehlo()
        try:
            s.login("{user}", "{password}")
            smtp = 235
        except smtplib.SMTPAuthenticationError as exc:
            smtp = exc.smtp_code
    # Suspended people still receive mail.
    with smtplib.SMTP(HOST, 25, timeout=60) as s:
        s.ehlo()
        s.mail("someone@example.net")
        rcpt = s.rcpt("{user}")[0]
    out({{"imap": imap, "smtp": smtp, "rcpt": rcpt}})
    ''')
    assert result["imap"] != "accepted"
    assert result["smtp"] == 535
    assert result["rcpt"] == 250


@pytest.mark.parametrize("port,starttls", [(25, "smtp"), (587, "smtp"), (465, None),
                                           (143, "imap"), (993, None), (995, None)])
def test_tls_1_1_refused_by_server(client, port, starttls):
    """TLS 1.1 fails; the client allows it (SECLEVEL=0) so the refusal is the server's."""
    result = client(f'''
    def attempt(maximum):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maximum
        sock = socket.create_connection((HOST, {port}), timeout=30)
        if {starttls!r} == "smtp":
            f = sock.makefile("rb")
            f.readline()
            sock.sendall(b"EHLO client.example.net\\r\\n")
            while f.readline()[3:4] == b"-":
                pass
            sock.sendall(b"STARTTLS\\r\\n")
            f.readline()
        elif {starttls!r} == "imap":
            f = sock.makefile("rb")
            f.readline()
            sock.sendall(b"a STARTTLS\\r\\n")
            f.readline()
        try:
            with ctx.wrap_socket(sock, server_hostname=HOST) as tls:
                return tls.version()
        except (ssl.SSLError, OSError) as exc:
            return "refused: " + str(exc)
    out({{"tls11": attempt(ssl.TLSVersion.TLSv1_1), "tls12": attempt(ssl.TLSVersion.TLSv1_2),
          "tls13": attempt(ssl.TLSVersion.TLSv1_3)}})
    ''')
    assert result["tls11"].startswith("refused"), result
    assert result["tls12"] == "TLSv1.2", result
    assert result["tls13"] == "TLSv1.3", result


def test_server_settings():
    conf = on_server("postconf -h smtpd_forbid_bare_newline disable_vrfy_command smtputf8_enable"
                     " smtpd_tls_mandatory_protocols mynetworks").stdout.split("\n")
    # smtputf8_enable: no, as delivery here is LMTP (test_smtp covers what that means for mail).
    assert conf[:5] == ["normalize", "yes", "no", ">=TLSv1.2", "127.0.0.0/8 [::1]/128"]
    limit = int(on_server("postconf -h message_size_limit").stdout)
    assert int(on_server("postconf -h queue_minfree").stdout) >= 2 * limit
    assert on_server("doveconf -h ssl_min_protocol").stdout.strip() == "TLSv1.2"
    assert on_server("systemctl is-active fail2ban").stdout.strip() == "active"
    jails = on_server("fail2ban-client status").stdout
    assert "dovecot" in jails and "postfix-sasl" in jails
