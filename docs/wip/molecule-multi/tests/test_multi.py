"""WIP (issue 9): what the multi-host scenario must prove, end to end, across containers.

- mail into the MX is read on the mail store over IMAP;
- submission on the MX authenticates against the mail store (Dovecot auth over TCP);
- LMTP, auth and quota-status listen on the store's private address only, and
  only the private network reaches them;
- the accounts live in PostgreSQL on the accounts host.
"""

import os
import subprocess

MX = os.environ.get("VMAIL_TEST_MX", "vmail-multi-mx")
STORE = os.environ.get("VMAIL_TEST_STORE", "vmail-multi-store")
PRIVATE_PORTS = {24: "lmtp", 12345: "auth", 12340: "quota-status"}


def sh(container: str, command: str) -> str:
    """Run a shell command in a container; its stdout."""
    return subprocess.run(["podman", "exec", container, "sh", "-c", command], capture_output=True, text=True,
                          check=True).stdout


def test_private_listeners_bind_the_private_address_only():
    listening = sh(STORE, "ss -Htln")
    for port, name in PRIVATE_PORTS.items():
        binds = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")]
        assert binds, f"{name} does not listen"
        assert all(not b.startswith(("0.0.0.0", "*", "[::]")) for b in binds), f"{name} listens on {binds}"


def test_postfix_reads_recipients_from_postgresql():
    assert "pgsql:" in sh(MX, "postconf -h virtual_mailbox_maps")


def test_dovecot_reads_accounts_from_postgresql():
    assert "driver = pgsql" in sh(STORE, "cat /etc/dovecot/dovecot-sql.conf.ext")

# Still to write (needs the converge to pass first): SMTP from the client to
# the MX, then IMAP LOGIN + FETCH on the store; AUTH PLAIN on MX:587 with a
# store-side password change in between (proves SASL goes to the store).
