"""Helpers for the multi-host scenario. The mail scenario's helpers are reused
as they are (loaded from molecule/mail/tests/conftest.py): its "server" is the
webmail host users open, its client is the ops container (in no mail tier).
Commands on a given tier's host go through `on(host, command)`.
"""
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

MX = os.environ.setdefault("VMAIL_TEST_MX", "vmail-multi-mx")
STORE = os.environ.setdefault("VMAIL_TEST_STORE", "vmail-multi-store")
WEB = os.environ.setdefault("VMAIL_TEST_SERVER", "vmail-multi-web")
OPS = os.environ.setdefault("VMAIL_TEST_CLIENT", "vmail-multi-ops")
MX_NAME, STORE_NAME = "mx1.tiengiang.gov.vn", "store1.tiengiang.gov.vn"

_spec = importlib.util.spec_from_file_location(
    "vmail_mail_helpers", Path(__file__).resolve().parents[2] / "mail" / "tests" / "conftest.py")
mail = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mail)

# Fixtures shared with the mail scenario (pytest finds them by name here).
lab_ca = mail.lab_ca
client = mail.client
tls_context = mail.tls_context
initial_accounts = mail.initial_accounts
new_browser = mail.new_browser
server_ip = mail.server_ip
screenshot = mail.screenshot


def on(host, command, stdin=None, check=True):
    """Run a shell command in one of the scenario's containers."""
    proc = subprocess.run(["podman", "exec", "-i", host, "sh", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{host}: {command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def set_password(address, password):
    """As a user changing theirs: written on the accounts host (the mail store)."""
    on(STORE, f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {address}", stdin=password)


@pytest.fixture(scope="session")
def addresses():
    """id -> address, as the accounts database holds them."""
    return json.loads(on(STORE, "/usr/local/sbin/vmail-accounts list-addresses").stdout)


@pytest.fixture(scope="session")
def users(addresses):
    """Two active colleagues with known passwords (9003 is suspended)."""
    passwords = {"9001": mail.PASSWORDS["9001"], "9002": mail.CHANGED_PASSWORD_9002}
    for acc_id, password in passwords.items():
        set_password(addresses[acc_id], password)
    return {"thu": (addresses["9001"], passwords["9001"]), "kiem": (addresses["9002"], passwords["9002"])}
