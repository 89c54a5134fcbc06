"""Mail clients that configure themselves, and MTA-STS (issue 21 items 1 and 4).

Everything is fetched from the client container as a mail client would: the
names autoconfig./autodiscover./mta-sts.<domain> resolve (through the client's
/etc/hosts, standing in for DNS) as the CNAMEs of dns-records.txt say, HTTPS is
verified against the lab CA, and every server, port and TLS setting a
document names is then used for real: TLS handshake or STARTTLS, and a login
of a real user.
"""
import hashlib
import os
import pathlib
import plistlib
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from conftest import CLIENT, DOMAIN, MAILHOST, PROJECT, on_server

DNS_RECORDS = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "dns-records.txt"
FOREIGN = "nguyenvana@example.net"

# Client-side helpers, appended to the client prelude (HOST, CA, tls_context, out).
CLIENT_HELPERS = r'''
import base64, urllib.error, urllib.request

def fetch(url, data=None, content_type=None):
    """GET (or POST `data`) over HTTPS verified against the lab CA: status, type, body."""
    request = urllib.request.Request(url, data=data.encode() if data else None)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, context=tls_context(), timeout=60) as answer:
            return {"status": answer.status, "type": answer.headers.get("Content-Type", ""),
                    "disposition": answer.headers.get("Content-Disposition", ""),
                    "body": base64.b64encode(answer.read()).decode()}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "type": error.headers.get("Content-Type", ""), "disposition": "",
                "body": base64.b64encode(error.read()).decode()}

def probe(protocol, host, port, tls, login, password):
    """Connect as a mail client set up with these settings would; log in.
    tls: "implicit" (TLS from the first byte) or "starttls" (then the login
    must be refused or not offered before STARTTLS)."""
    ctx = tls_context()
    before = None
    if protocol == "imap":
        if tls == "implicit":
            conn = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=60)
        else:
            conn = imaplib.IMAP4(host, port, timeout=60)
            before = "LOGINDISABLED" in conn.capabilities
            conn.starttls(ssl_context=ctx)
        version = conn.sock.version()
        typ, _ = conn.login(login, password)
        conn.logout()
        ok = typ == "OK"
    elif protocol == "pop3":
        if tls == "implicit":
            conn = poplib.POP3_SSL(host, port, context=ctx, timeout=60)
        else:
            conn = poplib.POP3(host, port, timeout=60)
            before = "USER" not in conn.capa()
            conn.stls(context=ctx)
        version = conn.sock.version()
        conn.user(login)
        ok = conn.pass_(password).startswith(b"+OK")
        conn.quit()
    else:
        if tls == "implicit":
            conn = smtplib.SMTP_SSL(host, port, context=ctx, timeout=60)
            conn.ehlo()
        else:
            conn = smtplib.SMTP(host, port, timeout=60)
            conn.ehlo()
            before = not conn.has_extn("auth")
            conn.starttls(context=ctx)
            conn.ehlo()
        version = conn.sock.version()
        code, _ = conn.login(login, password)
        conn.quit()
        ok = code == 235
    return {"login": ok, "tls": version, "no_login_before_tls": before}
'''


def client_sh(command):
    return subprocess.run(["podman", "exec", CLIENT, "sh", "-c", command],
                          capture_output=True, text=True, check=False, timeout=60)


def records(kind):
    """(name, value) of each record of this type in the dns-records.txt the converge wrote."""
    found = []
    for line in DNS_RECORDS.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) == 5 and fields[3] == kind:
            found.append((fields[0], fields[4]))
    return found


@pytest.fixture(scope="session")
def mail_client(client):
    """The client, resolving every CNAME of dns-records.txt to its target's address
    (as DNS would), with fetch() and probe()."""
    for name, target in records("CNAME"):
        name, target = name.rstrip("."), target.rstrip(".")
        if client_sh(f"getent hosts {name}").returncode != 0:
            address = client_sh(f"getent hosts {target}").stdout.split()[0]
            client_sh(f"echo '{address} {name}' >> /etc/hosts")

    def run(script):
        return client(CLIENT_HELPERS + script)
    return run


def fetch(mail_client, url, data=None, content_type=None):
    import base64
    answer = mail_client(f"out(fetch({url!r}, {data!r}, {content_type!r}))")
    answer["body"] = base64.b64decode(answer["body"])
    return answer


def probe(mail_client, protocol, host, port, tls, login, password):
    return mail_client(f"out(probe({protocol!r}, {host!r}, {int(port)!r}, {tls!r}, {login!r}, {password!r}))")


def assert_answers(mail_client, protocol, host, port, tls, login, password):
    """The service named really answers with that TLS and takes the user's login."""
    result = probe(mail_client, protocol, host, port, tls, login, password)
    assert result["login"], f"{protocol} {host}:{port} ({tls}) refused {login}: {result}"
    assert result["tls"] in ("TLSv1.2", "TLSv1.3"), result
    if tls == "starttls":
        assert result["no_login_before_tls"], f"{protocol} {host}:{port} offers a login before STARTTLS"


# ----------------------------------------------------------------- Thunderbird

@pytest.mark.parametrize("url", [
    f"https://autoconfig.{DOMAIN}/mail/config-v1.1.xml?emailaddress={{address}}",
    f"https://{MAILHOST}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={{address}}",
])
def test_thunderbird_autoconfig_names_servers_that_answer(mail_client, users, url):
    address, password = users["thu"]
    answer = fetch(mail_client, url.format(address=address))
    assert answer["status"] == 200 and "xml" in answer["type"], answer
    provider = ET.fromstring(answer["body"]).find("emailProvider")
    assert DOMAIN in [d.text for d in provider.findall("domain")]
    servers = provider.findall("incomingServer") + provider.findall("outgoingServer")
    assert {s.get("type") for s in servers} >= {"imap", "smtp"}
    for server in servers:
        tls = {"SSL": "implicit", "STARTTLS": "starttls"}[server.findtext("socketType")]
        login = server.findtext("username").replace("%EMAILADDRESS%", address)
        assert login == address
        assert_answers(mail_client, server.get("type"), server.findtext("hostname"),
                       server.findtext("port"), tls, login, password)


# ----------------------------------------------------------------- Outlook

POX_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"""
POX = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


def autodiscover(mail_client, address, path="/autodiscover/autodiscover.xml"):
    return fetch(mail_client, f"https://autodiscover.{DOMAIN}{path}",
                 data=POX_REQUEST.format(address=address), content_type="text/xml")


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"])
def test_outlook_autodiscover_names_servers_that_answer(mail_client, users, path):
    address, password = users["thu"]
    answer = autodiscover(mail_client, address, path)
    assert answer["status"] == 200 and "xml" in answer["type"], answer
    account = ET.fromstring(answer["body"]).find(f"{POX}Response/{POX}Account")
    assert account.findtext(f"{POX}AccountType") == "email"
    assert account.findtext(f"{POX}Action") == "settings"
    protocols = account.findall(f"{POX}Protocol")
    types = [p.findtext(f"{POX}Type") for p in protocols]
    # One of each protocol the SRV records say is offered (Outlook takes one of each).
    offered = {SRV_PROTOCOL[service].upper() for service, value in srv_records().items() if value.split()[3] != "."}
    assert sorted(types) == sorted(offered)
    for protocol in protocols:
        assert protocol.findtext(f"{POX}SSL") == "on"
        assert protocol.findtext(f"{POX}AuthRequired") == "on"
        tls = {"SSL": "implicit", "TLS": "starttls"}[protocol.findtext(f"{POX}Encryption")]
        assert protocol.findtext(f"{POX}LoginName") == address
        assert_answers(mail_client, protocol.findtext(f"{POX}Type").lower(), protocol.findtext(f"{POX}Server"),
                       protocol.findtext(f"{POX}Port"), tls, address, password)


# ----------------------------------------------------------------- Apple

def mobileconfig(mail_client, address):
    return fetch(mail_client, f"https://{MAILHOST}/mail.mobileconfig?emailaddress={address}")


def test_apple_profile_names_servers_that_answer(mail_client, users):
    address, password = users["thu"]
    answer = mobileconfig(mail_client, address)
    assert answer["status"] == 200, answer
    assert answer["type"] == "application/x-apple-aspen-config"
    assert "attachment" in answer["disposition"] and ".mobileconfig" in answer["disposition"]
    profile = plistlib.loads(answer["body"])
    assert profile["PayloadType"] == "Configuration"
    (account,) = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.mail.managed"
    assert account["EmailAddress"] == address
    incoming = {"EmailTypeIMAP": "imap", "EmailTypePOP": "pop3"}[account["EmailAccountType"]]
    for protocol, side in ((incoming, "Incoming"), ("smtp", "Outgoing")):
        assert account[f"{side}MailServerUseSSL"] is True
        assert account[f"{side}MailServerUsername"] == address
        host, port = account[f"{side}MailServerHostName"], account[f"{side}MailServerPortNumber"]
        # Apple's UseSSL means TLS before the login; the device tries TLS from
        # the first byte, then STARTTLS: either must work as announced.
        result = probe(mail_client, protocol, host, port, "implicit", address, password) \
            if port_speaks_tls(mail_client, host, port) else None
        if result is None:
            assert_answers(mail_client, protocol, host, port, "starttls", address, password)
        else:
            assert result["login"] and result["tls"] in ("TLSv1.2", "TLSv1.3"), result


def port_speaks_tls(mail_client, host, port):
    return mail_client(f"""
import socket
raw = socket.create_connection(({host!r}, {int(port)}), timeout=30)
try:
    tls_context().wrap_socket(raw, server_hostname={host!r}).close()
    out(True)
except (ssl.SSLError, OSError):
    out(False)
""")


# ----------------------------------------------------------------- another domain

def test_another_domains_address_gets_404_everywhere(mail_client):
    answers = {
        "thunderbird": fetch(mail_client, f"https://autoconfig.{DOMAIN}/mail/config-v1.1.xml?emailaddress={FOREIGN}"),
        "thunderbird-well-known": fetch(
            mail_client, f"https://{MAILHOST}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={FOREIGN}"),
        "outlook": autodiscover(mail_client, FOREIGN),
        "apple": mobileconfig(mail_client, FOREIGN),
        # Our domain as a subdomain or a prefix of another is another domain.
        "apple-lookalike": mobileconfig(mail_client, f"someone@{DOMAIN}.example.net"),
        "outlook-no-address": autodiscover(mail_client, ""),
    }
    for what, answer in answers.items():
        assert answer["status"] == 404, f"{what}: {answer['status']} {answer['body'][:200]!r}"
        assert b"mail." not in answer["body"], f"{what} names a server: {answer['body'][:200]!r}"


# ----------------------------------------------------------------- DNS: SRV records

SRV_TLS = {"submissions": "implicit", "submission": "starttls", "imaps": "implicit", "imap": "starttls",
           "pop3s": "implicit", "pop3": "starttls"}
SRV_PROTOCOL = {"submissions": "smtp", "submission": "smtp", "imaps": "imap", "imap": "imap",
                "pop3s": "pop3", "pop3": "pop3"}
# The IANA ports, where a service announced "not offered" must not answer.
IANA_PORT = {"submissions": 465, "submission": 587, "imaps": 993, "imap": 143, "pop3s": 995, "pop3": 110}


def srv_records():
    """Mail service name (submissions, imaps...) -> "priority weight port target"."""
    return {name.split(".")[0].lstrip("_"): value for name, value in records("SRV")
            if name.split(".")[0].lstrip("_") in SRV_PROTOCOL}


def test_srv_records_name_services_that_answer(mail_client, users):
    address, password = users["thu"]
    srv = srv_records()
    assert set(srv) >= {"submissions", "submission", "imaps", "imap", "pop3s"}
    for service, value in srv.items():
        priority, weight, port, target = value.split()
        if target == ".":
            assert (priority, weight, port) == ("0", "0", "0")
            refused = mail_client(f"""
import socket
try:
    socket.create_connection(({MAILHOST!r}, {IANA_PORT[service]}), timeout=10).close()
    out(False)
except OSError:
    out(True)
""")
            assert refused, f"_{service}._tcp says not offered, but port {IANA_PORT[service]} answers"
            continue
        assert_answers(mail_client, SRV_PROTOCOL[service], target.rstrip("."), port, SRV_TLS[service],
                       address, password)
    # RFC 8314: implicit TLS preferred (lower priority) over STARTTLS.
    assert int(srv["submissions"].split()[0]) < int(srv["submission"].split()[0])
    assert int(srv["imaps"].split()[0]) < int(srv["imap"].split()[0])


def test_client_names_are_cnames_served_with_a_valid_certificate(mail_client):
    names = {name.rstrip(".") for name, _ in records("CNAME")}
    assert names == {f"autoconfig.{DOMAIN}", f"autodiscover.{DOMAIN}", f"mta-sts.{DOMAIN}"}
    (autodiscover_srv,) = [value for name, value in records("SRV") if name == f"_autodiscover._tcp.{DOMAIN}."]
    assert autodiscover_srv.split()[2] == "443"
    for name in names:
        # urllib verifies the certificate against the name: it must be in its SANs.
        answer = fetch(mail_client, f"https://{name}/")
        assert answer["status"] in (200, 301, 302), f"{name}: {answer['status']}"


# ----------------------------------------------------------------- MTA-STS

def mta_sts_policy(mail_client):
    answer = fetch(mail_client, f"https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt")
    assert answer["status"] == 200, answer
    assert answer["type"].startswith("text/plain"), answer["type"]
    return answer["body"]


def configured_mta_sts_mode():
    """The mode the scenario converged with: the lab inventory's, else the role default."""
    mode = yaml.safe_load((PROJECT / "roles/client_config/defaults/main.yml").read_text())["client_config_mta_sts_mode"]
    for path in (PROJECT / "inventories/lab/group_vars").glob("*/*.yml"):
        if path.name != "vault.yml":
            mode = (yaml.safe_load(path.read_text()) or {}).get("client_config_mta_sts_mode", mode)
    return mode


def test_mta_sts_policy_names_the_real_mx(mail_client):
    body = mta_sts_policy(mail_client)
    lines = [line.split(":", 1) for line in body.decode().splitlines()]
    policy = [(key.strip(), value.strip()) for key, value in lines]
    fields = dict(policy)
    assert fields["version"] == "STSv1"
    assert fields["mode"] == configured_mta_sts_mode()
    assert int(fields["max_age"]) > 0
    mx_names = sorted(value for key, value in policy if key == "mx")
    # The MX records published, and the name Postfix announces.
    assert mx_names == sorted(value.split()[1].rstrip(".") for _, value in records("MX"))
    assert mx_names == [on_server("postconf -h myhostname").stdout.strip()]
    for mx in mx_names:
        # What a sending MTA checks under MTA-STS: the MX answers on 25 under
        # that name and its certificate verifies for it after STARTTLS.
        answer = mail_client(f"""
raw = socket.create_connection(({mx!r}, 25), timeout=60)
banner = raw.recv(512)
raw.close()
conn = smtplib.SMTP({mx!r}, 25, timeout=60)
_, ehlo = conn.ehlo("sender.example.net")
conn.starttls(context=tls_context())
version = conn.sock.version()
conn.quit()
out({{"banner": banner.decode(), "ehlo": ehlo.decode(), "tls": version}})
""")
        assert answer["banner"].split()[:2] == ["220", mx], answer
        assert answer["ehlo"].splitlines()[0] == mx, answer
        assert answer["tls"] in ("TLSv1.2", "TLSv1.3")


def test_mta_sts_and_tls_reporting_records(mail_client):
    txt = dict(records("TXT"))
    (sts,) = [value for name, value in txt.items() if name == f"_mta-sts.{DOMAIN}."]
    match = re.fullmatch(r'"v=STSv1; id=([A-Za-z0-9]{1,32})"', sts)
    assert match, sts
    # The id is the served policy's digest: a changed policy is a changed id.
    assert match.group(1) == hashlib.sha256(mta_sts_policy(mail_client)).hexdigest()[:32]
    (tlsrpt,) = [value for name, value in txt.items() if name == f"_smtp._tls.{DOMAIN}."]
    match = re.fullmatch(r'"v=TLSRPTv1; rua=mailto:([^"]+)"', tlsrpt)
    assert match, tlsrpt
    # Reports must reach someone: the address is one our MX accepts mail for.
    accepted = mail_client(f"""
conn = smtplib.SMTP(HOST, 25, timeout=60)
conn.ehlo("reporter.example.net")
conn.starttls(context=tls_context())
conn.ehlo("reporter.example.net")
conn.mail("tlsrpt@reporter.example.net")
code, _ = conn.rcpt({match.group(1)!r})
conn.quit()
out(code)
""")
    assert accepted == 250
