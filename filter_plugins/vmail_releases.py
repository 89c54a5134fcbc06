"""Filter naming a host whose operating system release the roles are not written for. Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import releases
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vmail_release_error": releases.release_error,
    }
