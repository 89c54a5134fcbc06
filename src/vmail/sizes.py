"""Sizes of Art. 7: quotas, the quota ceiling and the message size limit, defined once.

The inventory holds the attachment size (``vmail_attachment_size``, 50 MB) and the quota;
every layer (Postfix, Dovecot, Rspamd, ClamAV, Roundcube) takes its byte figure from the
``vmail_message_size_limit`` filter, which is ``message_size_limit`` here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from vmail.errors import InvalidInput

QUOTA_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
QUOTA_MULTIPLIERS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
# Art. 7: 500 MB a mailbox.
DEFAULT_QUOTA_BYTES = 524288000
# Art. 7: no mailbox above 500 MB unless the entry says why (quota_exception); vmail_quota_max.
DEFAULT_QUOTA_MAX = "500MB"
# Base64 makes an attachment 4/3 larger plus CRLF every 76 characters (x1.37), and the
# headers and the text part need room too (1 MiB).
BASE64_GROWTH = 1.37
HEADER_ROOM_BYTES = 1048576


def parse_quota(value: Any) -> int:
    """'1GB', '500 MiB', '1.5G' or a positive int -> bytes (K/M/G/T are powers of 1024)."""
    if isinstance(value, bool):
        raise ValueError("must be a size such as 1GB or a number of bytes, not a boolean")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := QUOTA_RE.match(value)):
        size = int(float(match.group(1)) * QUOTA_MULTIPLIERS[match.group(2).lower()])
    else:
        raise ValueError(f"must be a size such as 1GB, 500MB or a number of bytes, got {value!r}")
    if size <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    return size


@dataclasses.dataclass(frozen=True)
class QuotaCeiling:
    """The largest quota without an exception (Art. 7, vmail_quota_max), as given and in bytes."""

    label: str
    size_bytes: int


def quota_ceiling(value: Any) -> QuotaCeiling:
    """vmail_quota_max ('500MB' or bytes) -> QuotaCeiling; InvalidInput if it is no size."""
    try:
        size = parse_quota(value)
    except ValueError as exc:
        raise InvalidInput(f"quota_max (vmail_quota_max, the quota ceiling of Art. 7) {exc}") from exc
    label = f"{value} bytes" if isinstance(value, int) else str(value).strip()
    return QuotaCeiling(label=label, size_bytes=size)



def message_size_limit(attachment_size: Any) -> int:
    """The largest message (bytes) that carries an attachment of ``attachment_size``.

    '50MB' (or 52428800) -> 72876851: every layer's limit (Postfix message_size_limit, Dovecot's
    LMTP and IMAP APPEND, Rspamd's max_message, ClamAV's StreamMaxLength, Roundcube's upload).
    """
    try:
        attachment_bytes = parse_quota(attachment_size)
    except ValueError as exc:
        raise InvalidInput(f"message_size_limit: the attachment size (vmail_attachment_size) {exc}") from exc
    return int(attachment_bytes * BASE64_GROWTH) + HEADER_ROOM_BYTES
