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
# What the accounts database's lock log records (its action column).
LogAction = Literal["lock", "unlock", "left", "delete"]

PERSON_STATUSES: tuple[Status, ...] = get_args(Status)
ACCOUNT_KINDS: tuple[AccountKind, ...] = get_args(AccountKind)
LOCK_KINDS: tuple[LockKind, ...] = get_args(LockKind)
LOG_ACTIONS: tuple[LogAction, ...] = get_args(LogAction)


ReportState = Literal["active", "suspended", "locked", "deleted", "left"]


def report_state(status: str, locked: bool, deleted: bool) -> ReportState:
    """What the yearly report calls an account: its status, unless the lock log says it was
    deleted (the row stays, status ``left``) or a lock stands."""
    if deleted:
        return "deleted"
    if status not in PERSON_STATUSES:
        raise ValueError(f"unknown account status {status!r} (want one of {', '.join(PERSON_STATUSES)})")
    if locked and status != "left":
        return "locked"
    return status
