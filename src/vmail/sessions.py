"""Ending an account's open Dovecot sessions on this host: `doveadm kick`, and the sessions it misses.

Used wherever an account loses access at once (a lock, a deletion, a delegate leaving a unit
mailbox, Art. 9.2 and 12.5): an open IMAP session keeps what its login gave it, so it must end.
Dovecot 2.4.1's kick reports a session that has a shared mailbox (a unit's INBOX) open as
kicked and leaves it running; such a session's process is then ended the way kick ends one
(SIGTERM: the client sees the server close the connection). Mail processes serve one user
each (Dovecot's default client_limit of 1), so no one else's session goes with it.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time


def session_pids(who_tab: str, address: str) -> list[int]:
    """The process IDs of `address`'s connections in `doveadm -f tab who -1` output."""
    lines = who_tab.splitlines()
    if not lines:
        return []
    header = lines[0].split("\t")
    if "username" not in header or "pid" not in header:
        return []
    user_at, pid_at = header.index("username"), header.index("pid")
    pids = set()
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) > max(user_at, pid_at) and fields[user_at] == address and fields[pid_at].isdigit():
            pids.add(int(fields[pid_at]))
    return sorted(pids)


def end_sessions(address: str, settle_seconds: float = 1.0) -> bool:
    """Kick `address`'s sessions on this host; end the processes of those still open after
    `settle_seconds`. True when doveadm kick succeeded or a process had to be ended (False
    when Dovecot is not here)."""
    doveadm = shutil.which("doveadm")
    if not doveadm:
        return False

    def open_sessions() -> list[int]:
        who = subprocess.run([doveadm, "-f", "tab", "who", "-1", address],
                             capture_output=True, text=True, check=False)
        return session_pids(who.stdout, address)

    # doveadm kick exits 68 (EX_NOUSER) when the user has no session: not an error.
    kicked = subprocess.run([doveadm, "kick", address], capture_output=True, text=True, check=False)
    pids = open_sessions()
    deadline = time.monotonic() + settle_seconds
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = open_sessions()
    ended = False
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        ended = True
    return kicked.returncode == 0 or ended
