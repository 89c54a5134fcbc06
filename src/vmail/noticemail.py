"""Messages of the platform's own notices to users (quota warnings, account lifecycle).

One way to build them, so the Vietnamese subject reads the same in every client: email.header
encodes each header (RFC 2047 words of at most 75 characters, folded where a client unfolds
them back exactly). Python 3.13's EmailMessage (Debian 13) folds a subject such as
"... 80% dung lượng" into words that decode with a doubled space.
"""
from __future__ import annotations

from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import cast

SENDER_NAME = "Quản trị thư điện tử"


def build(sender: str, recipient: str, subject: str, body: str, domain: str,
           marker: tuple[str, str]) -> bytes:
    """The notice from `sender` (shown as SENDER_NAME) to `recipient`, as bytes for an LDA.
    `marker` is one header (name, value) that lets filters and tests recognise the notice."""
    msg = MIMEText(body, "plain", "utf-8")
    msg["From"] = formataddr((SENDER_NAME, sender))
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    # A Header, not its encoded string: the message folds it after "Subject:" (typeshed types
    # header values as str only, where the compat32 Message takes a Header too).
    msg["Subject"] = cast(str, Header(subject, "utf-8"))
    msg[marker[0]] = marker[1]
    return msg.as_bytes()
