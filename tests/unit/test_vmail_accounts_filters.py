"""vmail.accounts (the filters of filter_plugins/vmail_accounts.py): the same results as the Jinja and from_yaml paths, only faster."""

from __future__ import annotations

import json

import pytest
from vmail.errors import InvalidInput
from ansible.plugins.filter.core import to_nice_json
from hypothesis import given
from hypothesis import strategies as st

from vmail.accounts import mail_accounts_document

ACCOUNT = st.fixed_dictionaries({
    "id": st.text(min_size=1, max_size=6),
    "kind": st.sampled_from(["person", "unit"]),
    "display_name": st.text(max_size=20),
    "quota_bytes": st.integers(min_value=0),
    "delegates": st.lists(st.emails(), max_size=2),
    "source": st.sampled_from(["ladder-1", "registry"]),
})


@given(st.lists(ACCOUNT, max_size=8, unique_by=lambda a: a["id"]))
def test_same_text_as_to_nice_json_without_volatile_fields(accounts):
    aliases = [{"address": "postmaster@tiengiang.gov.vn", "destination": "stttt@tiengiang.gov.vn"}]
    expected = {"domain": "tiengiang.gov.vn", "aliases": aliases,
                "accounts": sorted(({k: v for k, v in a.items() if k != "source"} for a in accounts),
                                   key=lambda a: a["id"])}
    text = mail_accounts_document(accounts, "tiengiang.gov.vn", aliases)
    assert text == to_nice_json(expected, indent=2, sort_keys=True)
    assert all("source" not in a for a in json.loads(text)["accounts"])


def test_personnel_from_yaml_reads_what_from_yaml_reads():
    from ansible.plugins.filter.core import from_yaml  # pylint: disable=import-outside-toplevel

    from vmail.accounts import personnel_from_yaml  # pylint: disable=import-outside-toplevel

    text = ('---\ndomain: tiengiang.gov.vn\npeople:\n  - {id: "0001", full_name: "Lê Minh Hiếu", birth_year: 1977,'
            ' exempt_until: 2026-05-28, status: active}\n')
    assert personnel_from_yaml(text) == from_yaml(text)
    assert personnel_from_yaml("") is None


def test_accounts_as_json_text_give_the_same_document():
    from vmail.accounts import mail_accounts_document as document  # pylint: disable=import-outside-toplevel

    accounts = [{"id": "0002", "kind": "person", "source": "ladder-1"}, {"id": "0001", "kind": "unit"}]
    assert document(json.dumps(accounts), "tiengiang.gov.vn") == document(accounts, "tiengiang.gov.vn")


@pytest.mark.parametrize(("accounts", "expected"), [
    ("not json", "not JSON"),
    ({"id": "0001"}, "must be a list of dicts"),
    ('{"id": "0001"}', "must be a list of dicts"),
    ([{"id": "0001"}, "0002"], "element 1 is str"),
    ([{"kind": "person"}], "needs an id"),
])
def test_accounts_that_are_not_a_list_of_dicts_are_refused(accounts, expected):
    with pytest.raises(InvalidInput, match=expected):
        mail_accounts_document(accounts, "tiengiang.gov.vn")


@given(st.dictionaries(st.text(min_size=1, max_size=4), st.text(min_size=1, max_size=8)),
       st.lists(st.text(min_size=1, max_size=4)))
def test_initial_passwords_json_sends_exactly_the_wanted_ids_it_has(passwords, ids):
    from vmail.accounts import initial_passwords_json  # pylint: disable=import-outside-toplevel

    sent = json.loads(initial_passwords_json(passwords, ids))
    assert sent == {i: passwords[i] for i in ids if i in passwords}


def test_initial_passwords_json_refuses_what_is_not_a_map_and_a_list():
    from vmail.accounts import initial_passwords_json  # pylint: disable=import-outside-toplevel

    with pytest.raises(InvalidInput, match="map id -> password"):
        initial_passwords_json(["x"], ["0001"])
    with pytest.raises(InvalidInput, match="list of ids"):
        initial_passwords_json({"0001": "x"}, "0001")
