"""Filter checking inventory lists of addresses and networks (trusted relays).

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import networks
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "vmail_invalid_networks": networks.invalid_networks,
        }, Path(__file__).parent)
