"""Statuses of a person or account and what each means, defined once (Art. 5).

``active``: mail flows, logins allowed. ``suspended``: HR has suspended the person (leave,
discipline): logins refused, mail still accepted and kept. ``left``: the person has left
the unit: logins refused; the lifecycle job deletes the mailbox after the retention period.
The accounts database (``vmail.accountsdb``) restricts its status column to these.
"""

from __future__ import annotations

PERSON_STATUSES = ("active", "suspended", "left")
ACCOUNT_KINDS = ("person", "unit")


def state_of(status: str) -> str:
    """A database status -> active | suspended | locked | deleted | left (for the report).

    The lifecycle job writes locks and deletions as statuses such as ``locked``,
    ``locked_emergency`` or ``deleted``; anything unknown counts as active.
    """
    s = status.strip().lower()
    if "delet" in s:
        return "deleted"
    if "lock" in s and "unlock" not in s:
        return "locked"
    return s if s in PERSON_STATUSES else "active"
