"""Statuses of a person or account and what each means, defined once (Art. 5).

``active``: mail flows, logins allowed. ``suspended``: HR has suspended the person (leave,
discipline): logins refused, mail still accepted and kept. ``left``: the person has left
the unit: logins refused; the lifecycle job deletes the mailbox after the retention period.
The accounts database (``vmail.accountsdb``) restricts its status column to these.
Locks (Art. 12.5, 12.7) are not statuses: an account keeps its status while a lock of one
of ``LOCK_KINDS`` stands (``inactive``: set by the lifecycle job; ``emergency``: by an operator).

The ``Literal`` types let mypy check every status a program compares or writes against this
definition; the tuples are derived from them.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["active", "suspended", "left"]
AccountKind = Literal["person", "unit"]
LockKind = Literal["emergency", "inactive"]

PERSON_STATUSES: tuple[Status, ...] = get_args(Status)
ACCOUNT_KINDS: tuple[AccountKind, ...] = get_args(AccountKind)
LOCK_KINDS: tuple[LockKind, ...] = get_args(LockKind)


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
