"""Helpers for the mail scenario: run Python in the client container, commands on the server.

Every protocol exchange runs INSIDE the client container (podman exec), over
the scenario network, never over the server's loopback.
"""
import json
import os
import subprocess
import textwrap

import pytest

SERVER = os.environ.get("VMAIL_TEST_SERVER", "vmail-mail")
CLIENT = os.environ.get("VMAIL_TEST_CLIENT", "vmail-client")
MAILHOST = os.environ.get("VMAIL_TEST_MAILHOST", "mail.tiengiang.gov.vn")
DOMAIN = "tiengiang.gov.vn"
# The test passwords obey the policy of Art. 8.1.
PASSWORDS = {"9001": "Thu#Kiem2026a", "9003": "Khoa#Bi2026b"}
# Set during converge.yml (the "user changed their password" simulation).
CHANGED_PASSWORD_9002 = "Kiem#Doi2026"

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
'''


def on_server(command, stdin=None, check=True):
    """Run a shell command in the server container."""
    proc = subprocess.run(["podman", "exec", "-i", SERVER, "sh", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def lab_ca():
    return on_server("cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout


def _client_resolves_mailhost():
    """Podman's DNS knows the container name, not the FQDN: map the FQDN in the client's
    /etc/hosts (as public DNS would), so certificates are checked against the real name."""
    def client_sh(command):
        return subprocess.run(["podman", "exec", CLIENT, "sh", "-c", command],
                              capture_output=True, text=True, check=False, timeout=60)
    if client_sh(f"getent hosts {MAILHOST}").returncode == 0:
        return
    address = client_sh(f"getent hosts {SERVER}").stdout.split()[0]
    client_sh(f"echo '{address} {MAILHOST}' >> /etc/hosts")


@pytest.fixture(scope="session")
def client(lab_ca):
    """Run a Python script in the client container; return its last JSON line."""
    _client_resolves_mailhost()
    def run(script, timeout=600):
        code = CLIENT_PRELUDE % {"host": MAILHOST, "ca": lab_ca} + textwrap.dedent(script)
        proc = subprocess.run(["podman", "exec", "-i", CLIENT, "python3", "-"], input=code,
                              capture_output=True, text=True, check=False, timeout=timeout)
        assert proc.returncode == 0, f"client script failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout.strip().splitlines()[-1])
    return run


@pytest.fixture(scope="session")
def addresses():
    """id -> address, as the accounts database holds them."""
    return json.loads(on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout)


@pytest.fixture(scope="session")
def users(addresses):
    """Give the test people a known password (as a user changing theirs would)."""
    for acc_id, password in PASSWORDS.items():
        on_server(f"/usr/local/sbin/vmail-accounts set-password {addresses[acc_id]}", stdin=password)
    return {
        "thu": (addresses["9001"], PASSWORDS["9001"]),
        "kiem": (addresses["9002"], CHANGED_PASSWORD_9002),
        "khoa": (addresses["9003"], PASSWORDS["9003"]),
    }
