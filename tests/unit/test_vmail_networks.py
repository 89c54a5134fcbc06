"""vmail.networks (filter vmail_invalid_networks): which trusted-relay entries the inventory check names."""

from __future__ import annotations

from vmail.networks import invalid_networks


def test_addresses_and_networks_of_both_families_are_accepted() -> None:
    assert invalid_networks(["192.0.2.7", "198.51.100.0/24", "10.1.2.3/16", "2001:db8::1", "2001:db8::/48"]) == []
    assert invalid_networks([]) == []


def test_each_bad_entry_is_named_and_only_those() -> None:
    entries = ["192.0.2.7", "mx.tiengiang.gov.vn", "300.1.1.1", "10.0.0.0/33", 42, "192.0.2.0/24"]
    assert invalid_networks(entries) == ["'mx.tiengiang.gov.vn'", "'300.1.1.1'", "'10.0.0.0/33'", "42"]


def test_a_value_that_is_not_a_list_is_reported() -> None:
    assert invalid_networks("192.0.2.7") == ["'192.0.2.7'"]
    assert invalid_networks(None) == ["None"]

