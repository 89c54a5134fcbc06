"""Filter checking inventory lists of addresses and networks (trusted relays). Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import networks
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vmail_invalid_networks": networks.invalid_networks,
    }
