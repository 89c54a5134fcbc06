"""Jinja filter checking inventory lists of addresses and networks (trusted relays)."""
from __future__ import annotations

import ipaddress
from typing import Any


def invalid_networks(values: Any) -> list[str]:
    """The entries of `values` that are not an IPv4/IPv6 address or CIDR network (host bits
    allowed: 192.0.2.1/24 is read as 192.0.2.0/24), as strings; [] when all are valid.
    A value that is not a list is itself reported."""
    if not isinstance(values, list):
        return [repr(values)]
    bad = []
    for value in values:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            bad.append(repr(value))
    return bad


