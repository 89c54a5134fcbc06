"""Filters on operating system releases: a host the roles are not written for, the names a Debian release gives packages and units. Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import releases
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vmail_release_error": releases.release_error,
        "vmail_debian_release": releases.debian_release,
    }
