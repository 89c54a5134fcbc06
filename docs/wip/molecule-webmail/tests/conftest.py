"""Helpers for the webmail scenario: the server container, the lab CA, initial
passwords from the vault files, and a headless Chromium driven by Selenium.

The browser runs on the control node and reaches the container's address on
the podman network; --host-resolver-rules maps the published name to it, so
the URL is exactly what users open: https://mail.tiengiang.gov.vn/.
"""
import json
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import imaplib

import pytest
import yaml

SERVER = os.environ.get("VMAIL_TEST_SERVER", "vmail-webmail")
MAILHOST = os.environ.get("VMAIL_TEST_MAILHOST", "mail.tiengiang.gov.vn")
PROJECT = pathlib.Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", pathlib.Path(__file__).resolve().parents[3]))
CREDENTIALS = pathlib.Path(os.environ.get(
    "VMAIL_TEST_CREDENTIALS_DIR",
    pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "credentials"))
SCREENSHOTS = PROJECT / "reports" / "screenshots" / "webmail"
UNIT = "stttt-ttcntttt"


def on_server(command, stdin=None, check=True):
    """Run a shell command in the server container."""
    proc = subprocess.run(["podman", "exec", "-i", SERVER, "sh", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def server_ip():
    out = subprocess.run(["podman", "inspect", SERVER, "--format",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out, f"no address for container {SERVER}"
    return out[0]


@pytest.fixture(scope="session")
def lab_ca():
    return on_server("cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout


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


@pytest.fixture(scope="session")
def addresses():
    return json.loads(on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout)
