"""Helpers for the mail scenario: run Python in the client container, commands on the server.

Every protocol exchange runs INSIDE the client container (podman exec), over
the scenario network, never over the server's loopback.
"""
import functools
import imaplib
import json
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from vmail import releases

SERVER = os.environ.get("VMAIL_TEST_SERVER", "vmail-mail")
CLIENT = os.environ.get("VMAIL_TEST_CLIENT", "vmail-client")
MAILHOST = os.environ.get("VMAIL_TEST_MAILHOST", "mail.tiengiang.gov.vn")
DOMAIN = "tiengiang.gov.vn"
PROJECT = pathlib.Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", pathlib.Path(__file__).resolve().parents[3]))
CREDENTIALS = pathlib.Path(os.environ.get(
    "VMAIL_TEST_CREDENTIALS_DIR",
    pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "credentials"))
SCREENSHOTS = PROJECT / "reports" / "screenshots" / "webmail"
UNIT = "stttt-ttcntttt"
# The test passwords obey the policy of Art. 8.1.
PASSWORDS = {"9001": "Thu#Kiem2026a", "9003": "Khoa#Bi2026b"}
# Set during converge.yml (the "user changed their password" simulation).
CHANGED_PASSWORD_9002 = "Kiem#Doi2026"
# Advertising text Rspamd's Bayes will learn from (the spam-learning tests).
ADVERT = ("Khuyến mãi đặc biệt dành cho quý khách hàng thân thiết trong tháng này, nhận ngay "
          "quà tặng giá trị khi đăng ký tài khoản mới, ưu đãi chỉ có hôm nay, liên hệ ngay để "
          "được tư vấn miễn phí về sản phẩm bảo hiểm và đầu tư sinh lời cao.")

# Prepended to every client script: TLS context trusting the lab CA only.
CLIENT_PRELUDE = '''
import json, ssl, smtplib, imaplib, poplib, socket, sys, uuid
HOST = %(host)r
CA = %(ca)r
def tls_context():
    ctx = ssl.create_default_context(cadata=CA)
    return ctx
def out(obj):
    print(json.dumps(obj, ensure_ascii=False))
def new_message():
    """A message with the Date and Message-ID every real client adds."""
    import email.utils
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="client.example.net")
    return msg
def send(msg, port=25, login=None, password=None, sender=None, recipients=None, timeout=120, **options):
    """Send `msg` (an EmailMessage, or raw text/bytes with `sender` and `recipients`) on
    `port`, over TLS (implicit on 465, STARTTLS elsewhere) and, with `login`, AUTH.
    Return {"code", "text", "refused"}:
    250 once the message is queued ("refused": the recipients the server refused,
    {} if none), or the server's refusal (its code and text; "refused" names the
    recipients when all of them were refused at RCPT)."""
    def decoded(recipients):
        return {k: [code, text.decode(errors="replace")] for k, (code, text) in recipients.items()}
    try:
        # 465 speaks TLS from the first byte (RFC 8314); every other port upgrades with STARTTLS.
        if port == 465:
            session = smtplib.SMTP_SSL(HOST, port, timeout=timeout, context=tls_context())
        else:
            session = smtplib.SMTP(HOST, port, timeout=timeout)
        with session as s:
            if port != 465:
                s.starttls(context=tls_context())
            if login:
                s.login(login, password)
            if isinstance(msg, (str, bytes)):
                refused = s.sendmail(sender, recipients, msg, **options)
            else:
                refused = s.send_message(msg, from_addr=sender, to_addrs=recipients, **options)
        return {"code": 250, "text": "queued", "refused": decoded(refused)}
    except smtplib.SMTPRecipientsRefused as e:
        refused = decoded(e.recipients)
        code, text = next(iter(refused.values()))
        return {"code": code, "text": text, "refused": refused}
    except smtplib.SMTPResponseException as e:
        return {"code": e.smtp_code, "text": e.smtp_error.decode(errors="replace"), "refused": {}}
'''

# The standard test virus and test spam: ClamAV and Rspamd refuse them.
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# What the client's send() returns for a message queued for every recipient.
QUEUED = {"code": 250, "text": "queued", "refused": {}}


def on_server(command, stdin=None, check=True):
    """Run a shell command in the server container."""
    proc = subprocess.run(["podman", "exec", "-i", SERVER, "sh", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


@functools.cache
def server_release():
    """What the server's Debian release names differently (vmail.releases.DEBIAN: Postfix's
    unit, the Dovecot series, PHP's version), read from its /etc/os-release."""
    return releases.debian_release(on_server(". /etc/os-release && echo $VERSION_ID").stdout.strip())


def bayes_learned(run=on_server):
    """Messages Bayes learned per class, from Rspamd's statistics in Redis on the
    host `run` reaches (default: the mail server)."""
    fields = run("redis-cli hgetall RS").stdout.split()
    stats = dict(zip(fields[::2], fields[1::2]))
    return {"spam": int(stats.get("learns_spam", 0)), "ham": int(stats.get("learns_ham", 0))}


def wait_learned(cls, above, run=on_server):
    """Whether Bayes learned more than `above` messages of `cls` within a minute."""
    for _ in range(60):
        if bayes_learned(run)[cls] > above:
            return True
        time.sleep(1)
    return False


@pytest.fixture(scope="session")
def lab_ca():
    return on_server("cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout


def container_address(name):
    """The address podman gave a container (molecule.yml fixes it), read from podman itself:
    the scenario network need not have a DNS plugin."""
    out = subprocess.run(["podman", "inspect", name, "--format",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out, f"no address for container {name}"
    return out[0]


def _client_resolves_mailhost():
    """Map the FQDN to the server's address in the client's /etc/hosts (as public DNS
    would), so certificates are checked against the real name."""
    def client_sh(command):
        return subprocess.run(["podman", "exec", CLIENT, "sh", "-c", command],
                              capture_output=True, text=True, check=False, timeout=60)
    if client_sh(f"getent hosts {MAILHOST}").returncode == 0:
        return
    client_sh(f"echo '{container_address(SERVER)} {MAILHOST}' >> /etc/hosts")


class ClientSession:
    """A client script left running (an IMAP session held open during a change)."""

    def __init__(self, proc):
        self.proc = proc

    def wait_for(self, marker, timeout=120):
        """Block until the script prints `marker` (its session is established)."""
        import select
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            if ready:
                line = self.proc.stdout.readline()
                if line.strip() == marker:
                    return
                if not line and self.proc.poll() is not None:
                    break
        raise AssertionError(f"client script never printed {marker!r}: {self.proc.stderr.read()}")

    def result(self, timeout):
        self.proc.wait(timeout=timeout)
        stdout, stderr = self.proc.stdout.read(), self.proc.stderr.read()
        assert self.proc.returncode == 0, f"client script failed:\n{stdout}\n{stderr}"
        return json.loads(stdout.strip().splitlines()[-1])


class Client:
    """Run Python scripts in the client container (prelude: HOST, CA, tls_context, out,
    new_message, send)."""

    def __init__(self, ca):
        self.ca = ca

    def _code(self, script):
        return CLIENT_PRELUDE % {"host": MAILHOST, "ca": self.ca} + textwrap.dedent(script)

    def __call__(self, script, timeout=600):
        """Run to the end; return the script's last JSON line."""
        proc = subprocess.run(["podman", "exec", "-i", CLIENT, "python3", "-"], input=self._code(script),
                              capture_output=True, text=True, check=False, timeout=timeout)
        assert proc.returncode == 0, f"client script failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def background(self, script):
        """Start the script and return at once (ClientSession)."""
        proc = subprocess.Popen(["podman", "exec", "-i", CLIENT, "python3", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdin.write(self._code(script))
        proc.stdin.close()
        return ClientSession(proc)


@pytest.fixture(scope="session")
def client(lab_ca):
    """Run a Python script in the client container; return its last JSON line."""
    _client_resolves_mailhost()
    return Client(lab_ca)


@pytest.fixture(scope="session")
def lab_personnel():
    """The personnel file the scenario converged with."""
    return Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "inventories/lab/personnel.yml"


@pytest.fixture(scope="session")
def addresses():
    """id -> address, as the accounts database holds them."""
    return json.loads(on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout)


@pytest.fixture(scope="session")
def users(addresses):
    """Give the test people a known password (as a user changing theirs would)."""
    for acc_id, password in PASSWORDS.items():
        on_server(f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {addresses[acc_id]}", stdin=password)
    return {
        "thu": (addresses["9001"], PASSWORDS["9001"]),
        "kiem": (addresses["9002"], CHANGED_PASSWORD_9002),
        "khoa": (addresses["9003"], PASSWORDS["9003"]),
    }


def run_site(tmp_path, tags, personnel=None, registry=None):
    """Run site.yml (only `tags`) against this scenario as operators would, with an
    optional personnel file or registry in place of the scenario's; return the process."""
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    personnel = personnel or project / "inventories/lab/personnel.yml"
    registry = registry or ephemeral / "registry.yml"
    return subprocess.run(
        ["ansible-playbook", "-i", str(ephemeral / "inventory"), "site.yml", "--tags", ",".join(tags),
         "-e", f"vmail_personnel_file={personnel}",
         "-e", f"vmail_registry_file={registry}",
         "-e", f"vmail_credentials_dir={ephemeral / 'credentials'}",
         "-e", f"vmail_dns_records_file={tmp_path / 'dns-records.txt'}",
         "-e", f"vmail_secrets_dir={ephemeral / 'secrets'}"],
        cwd=project, capture_output=True, text=True, check=False, timeout=1200)


def set_password(address, password):
    """Give an account a known password, as the user would in webmail."""
    on_server(f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {address}", stdin=password)


# ------------------------------------------------ webmail: a real browser on the control node

@pytest.fixture(scope="session")
def server_ip():
    return container_address(SERVER)


@pytest.fixture(scope="session")
def tls_context(lab_ca):
    return ssl.create_default_context(cadata=lab_ca)


@pytest.fixture(scope="session")
def initial_accounts():
    """id -> {address, password, ...} of the test unit, from its vault file."""
    vault = CREDENTIALS / f"{UNIT}.vault.yml"
    proc = subprocess.run([shutil.which("ansible-vault") or "ansible-vault", "decrypt", "--output", "-", str(vault)],
                          cwd=PROJECT, capture_output=True, text=True, check=True)
    return {str(k): v for k, v in yaml.safe_load(proc.stdout)["accounts"].items()}


@pytest.fixture(scope="session")
def imap_login(server_ip, tls_context):
    """IMAP login from the control node (NOT the webmail host): 'OK' or the server's refusal."""
    def login(user, password):
        raw = socket.create_connection((server_ip, 993), timeout=30)
        sock = tls_context.wrap_socket(raw, server_hostname=MAILHOST)

        class Conn(imaplib.IMAP4):
            def _create_socket(self, timeout):
                return sock

            def open(self, host="", port=993, timeout=None):
                self.host, self.port = host, port
                self.sock = sock
                self.file = sock.makefile("rb")

        conn = Conn(MAILHOST, 993)
        try:
            typ, _ = conn.login(user, password)
            conn.logout()
            return typ
        except imaplib.IMAP4.error as exc:
            return str(exc)
    return login


@pytest.fixture(scope="session")
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(driver, name):
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    return shoot


@pytest.fixture(scope="session")
def new_browser(server_ip):
    """Factory: a fresh headless Chromium (own profile, own cookies)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers, profiles = [], []

    def make():
        profile = tempfile.mkdtemp(prefix="vmail-chromium-")
        profiles.append(profile)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--ignore-certificate-errors", "--window-size=1400,1000", "--lang=vi-VN",
                     f"--user-data-dir={profile}",
                     f"--host-resolver-rules=MAP {MAILHOST} {server_ip}"):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        driver.set_page_load_timeout(120)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


WEBMAIL_URL = f"https://{MAILHOST}/"


def webmail_wait(driver, seconds=120):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds, poll_frequency=0.2)


def webmail_login(driver, user, password):
    """Log in on Roundcube's form (as a user types it); return once the form's page is gone,
    so that the next page asked for is not racing the login."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    driver.get(WEBMAIL_URL)
    webmail_wait(driver).until(EC.presence_of_element_located((By.ID, "rcmloginuser"))).send_keys(user)
    driver.find_element(By.ID, "rcmloginpwd").send_keys(password)
    submit = driver.find_element(By.ID, "rcmloginsubmit")
    submit.click()
    webmail_wait(driver).until(EC.staleness_of(submit))


def webmail_submit_password(driver, current, new):
    """Fill in Roundcube's password form (current, new, confirmation) and submit it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    for field, value in (("curpasswd", current), ("newpasswd", new), ("confpasswd", new)):
        box = webmail_wait(driver).until(EC.presence_of_element_located((By.ID, field)))
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".formbuttons .submit, .formbuttons button.mainaction").click()
