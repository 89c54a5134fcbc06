"""Art. 12 (security): password guessing is banned, not only counted. The client container
(NET_ADMIN in its own namespace) takes a second address and guesses passwords on IMAP from
it: fail2ban bans that address on 25, 587 and 993 (nftables in the server's namespace), the
client's own address keeps working, and the ban ends after fail2ban_bantime (30 s here)."""
import os
import subprocess
import time

import pytest

from conftest import CLIENT, container_address, on_server

# A second address of the client container, on the scenario network.
ATTACKER = os.environ.get("VMAIL_TEST_ATTACKER", "10.89.70.21")

OPEN = {"25": True, "587": True, "993": True}


def reachable(client, source):
    """Which of 25, 587, 993 greet a client connecting from `source`."""
    return client(f'''
    import socket
    result = {{}}
    for port in (25, 587, 993):
        try:
            with socket.create_connection((HOST, port), timeout=5, source_address=({source!r}, 0)) as s:
                s.settimeout(5)
                if port == 993:
                    s = tls_context().wrap_socket(s, server_hostname=HOST)
                result[port] = bool(s.recv(64))
        except OSError:
            result[port] = False
    out(result)
    ''')


def on_client(command):
    return subprocess.run(["podman", "exec", CLIENT, "sh", "-c", command],
                          capture_output=True, text=True, check=True, timeout=60)


@pytest.fixture
def attacker_address():
    on_client(f"ip addr add {ATTACKER}/32 dev eth0")
    yield ATTACKER
    on_client(f"ip addr del {ATTACKER}/32 dev eth0")
    on_server(f"fail2ban-client unban {ATTACKER}", check=False)


def test_password_guessing_is_banned_and_the_ban_expires(client, users, attacker_address):
    user, password = users["thu"]
    own = container_address(CLIENT)
    assert own != attacker_address
    assert reachable(client, attacker_address) == OPEN

    # Wrong passwords over IMAPS from the second address until fail2ban reacts.
    guesses = client(f'''
    import socket, time
    guesses = 0
    for _ in range(20):
        try:
            raw = socket.create_connection((HOST, 993), timeout=5, source_address=({attacker_address!r}, 0))
        except OSError:
            break  # banned: the connection is refused
        sock = tls_context().wrap_socket(raw, server_hostname=HOST)
        class Conn(imaplib.IMAP4):
            def open(self, host="", port=993, timeout=None):
                self.host, self.port, self.sock = host, port, sock
                self.file = sock.makefile("rb")
        try:
            Conn(HOST, 993).login("{user}", "sai-mat-khau")
        except (imaplib.IMAP4.error, OSError):
            pass
        guesses += 1
        time.sleep(1)
    out(guesses)
    ''')
    banned = {}
    for _ in range(30):
        banned = reachable(client, attacker_address)
        if not any(banned.values()):
            break
        time.sleep(1)
    assert banned == {"25": False, "587": False, "993": False}, (guesses, banned)
    assert attacker_address in on_server("fail2ban-client status dovecot").stdout

    # The real user, from the client's own address, is not affected.
    assert reachable(client, own) == OPEN
    assert client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        out(m.login("{user}", "{password}")[0])
    ''') == "OK"

    # The ban ends by itself (bantime 30 s in this scenario).
    after = {}
    for _ in range(90):
        after = reachable(client, attacker_address)
        if all(after.values()):
            break
        time.sleep(1)
    assert after == OPEN, after
