"""Filters of the sizes of Art. 7 (the message size limit every layer takes). Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import sizes
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vmail_message_size_limit": sizes.message_size_limit,
    }
