"""Filters of the sizes of Art. 7 (the message size limit every layer takes).

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import sizes
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "vmail_message_size_limit": sizes.message_size_limit,
        }, Path(__file__).parent)
