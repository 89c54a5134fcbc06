"""The accounts document the accounts database is synchronised from, built in Python.

``mail_accounts_document`` turns the accounts of the accounts play into the JSON text of
``/etc/vmail/accounts.json`` (role ``mail_accounts``): sorted by id, without the fields that
describe the run rather than the account, and with the aliases sorted by address. The same
pipeline written in Jinja (map dict2items / rejectattr / items2dict, then to_nice_json) took
over two minutes at 20,000 accounts (bench/provisioning.py); this takes well under a second.
The output is byte for byte what ``to_nice_json(indent=2, sort_keys=true)`` wrote.

``personnel_from_yaml`` reads HR's personnel file (or the address registry) with libyaml's safe
loader: Ansible's ``from_yaml`` tracks the origin of every value and took 27 s on a 20,000-person
file; this takes about a second and gives the same data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from vmail.errors import InvalidInput


def mail_accounts_document(accounts: Iterable[Mapping[str, Any]], domain: str,
                           aliases: Iterable[Mapping[str, Any]] = (),
                           volatile: Iterable[str] = ("source",)) -> str:
    """The accounts JSON text: accounts sorted by id minus ``volatile`` fields, aliases by address.

    ``accounts`` is a list of dicts or its JSON text (the accounts play's fact vmail_accounts_json:
    one string through Ansible instead of 20k dicts). Also the type check of the role's
    ``mail_accounts_list`` (``type: raw`` in its argument specs: Ansible's per-element validation of
    20k dicts took most of a minute).
    """
    if isinstance(accounts, (str, bytes)):
        try:
            accounts = json.loads(accounts)
        except ValueError as exc:
            raise InvalidInput(f"mail_accounts_document: the accounts (mail_accounts_list) are text but "
                                     f"not JSON: {exc}") from exc
    if isinstance(accounts, (str, bytes, Mapping)) or not isinstance(accounts, Iterable):
        raise InvalidInput(f"mail_accounts_document: the accounts (mail_accounts_list) must be a list of "
                                 f"dicts, got {type(accounts).__name__}")
    accounts = list(accounts)
    for position, account in enumerate(accounts):
        if not isinstance(account, Mapping):
            raise InvalidInput(f"mail_accounts_document: the accounts (mail_accounts_list) must be a list of "
                                     f"dicts; element {position} is {type(account).__name__}")
    drop = set(volatile)
    try:
        rows = sorted(({k: v for k, v in account.items() if k not in drop} for account in accounts),
                      key=lambda row: row["id"])
        alias_rows = sorted((dict(alias) for alias in aliases), key=lambda row: row["address"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"mail_accounts_document: every account needs an id and every alias an "
                                 f"address ({exc!r})") from exc
    document = {"domain": domain, "accounts": rows, "aliases": alias_rows}
    return json.dumps(document, indent=2, sort_keys=True, separators=(",", ": "))


def initial_passwords_json(passwords: Mapping[str, Any], ids: Iterable[Any]) -> str:
    """JSON {id: password} of the ``ids`` that ``passwords`` holds, for ``vmail-accounts set-initial``.

    A lookup per id: the Jinja selection (select('in', ...) over 20k ids) took minutes. Ids the map
    lacks are left out; the role's assert reports them.
    """
    if not isinstance(passwords, Mapping):
        raise InvalidInput(f"initial_passwords_json: expected a map id -> password, got {type(passwords).__name__}")
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise InvalidInput(f"initial_passwords_json: expected a list of ids, got {type(ids).__name__}")
    picked = {str(aid): str(passwords[aid]) for aid in ids if aid in passwords}
    return json.dumps(picked, sort_keys=True)


def personnel_from_yaml(text: str) -> Any:
    """YAML text to data (libyaml's C loader where available); empty text gives None."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(str(text), Loader=loader)  # noqa: S506  # nosec B506 - a safe loader
    except yaml.YAMLError as exc:
        raise InvalidInput(f"personnel_from_yaml: not valid YAML: {exc}") from exc

