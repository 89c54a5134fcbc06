"""The mail log as the host programs read it: journal entries and what a submission line is.

``vmail-stats`` counts messages sent from it (Art. 12.6); ``vmail-lifecycle`` takes a
submission as use of the account (Art. 5.3). Both read the journal of the mail facility
(``journalctl -o json``) and must agree on which line says "this user submitted a message".
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

# Postfix smtpd logs one line per message an authenticated client submits:
# "QUEUEID: client=HOST[IP], sasl_method=PLAIN, sasl_username=USER". Only that line: other
# smtpd lines may carry the same words in text the client chose (helo=<...>).
SUBMISSION_RE = re.compile(r"^[0-9A-Za-z]+: client=.*\bsasl_username=(\S+?)\s*$")


class JournalEntry(NamedTuple):
    identifier: str       # SYSLOG_IDENTIFIER: postfix/submission/smtpd, dovecot...
    message: str
    realtime_usec: int    # __REALTIME_TIMESTAMP: microseconds since the epoch


def journal_command(*options: str) -> list[str]:
    """journalctl reading the mail facility (LOG_MAIL, 2) as one JSON object a line."""
    return ["journalctl", *options, "--quiet", "--no-pager", "-o", "json", "SYSLOG_FACILITY=2"]


def journal_entry(raw: str) -> JournalEntry | None:
    """One line of ``journalctl -o json``; None when it is not an entry with a message."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    message = entry.get("MESSAGE")
    if isinstance(message, list):  # journald writes a message that is not UTF-8 as its bytes
        message = bytes(message).decode("utf-8", "replace")
    if not isinstance(message, str):
        return None
    realtime = entry.get("__REALTIME_TIMESTAMP")
    return JournalEntry(str(entry.get("SYSLOG_IDENTIFIER", "")), message,
                        int(realtime) if isinstance(realtime, str) and realtime.isdigit() else 0)


def submitter(identifier: str, message: str) -> str | None:
    """The user (lower case) who submitted a message, when the line is Postfix smtpd's record of it."""
    if not identifier.startswith("postfix") or identifier.rsplit("/", 1)[-1] != "smtpd":
        return None
    match = SUBMISSION_RE.match(message)
    return match.group(1).lower() if match else None
