"""Which operating system releases the roles are written for, read from a host's /etc/os-release.

The validation play reads /etc/os-release of every host (os-release(5), the file Ansible's own
distribution facts come from) and stops, naming the host and its release, before any role runs
on a release whose packages and configuration syntax the roles do not know.
"""
from __future__ import annotations

import dataclasses
import shlex


@dataclasses.dataclass(frozen=True)
class DebianRelease:
    """What the roles need to know of one Debian release: names its packages change."""

    codename: str
    # Dovecot 2.4 rewrote the configuration syntax: the roles that write Dovecot
    # configuration keep one template tree per series (templates/<series>/).
    dovecot_series: str
    # The systemd unit that runs Postfix's master: Debian 12 runs it as the
    # postfix@- instance, Debian 13 in postfix.service itself.
    postfix_unit: str
    php_version: str
    postgresql_version: str


# Debian major release (VERSION_ID, Ansible's distribution_major_version) -> its names.
DEBIAN: dict[str, DebianRelease] = {
    "12": DebianRelease(codename="bookworm", dovecot_series="2.3", postfix_unit="postfix@-.service",
                        php_version="8.2", postgresql_version="15"),
    "13": DebianRelease(codename="trixie", dovecot_series="2.4", postfix_unit="postfix.service",
                        php_version="8.4", postgresql_version="17"),
}

# os-release ID -> the VERSION_IDs the roles and the lab image are written for.
SUPPORTED: dict[str, tuple[str, ...]] = {"debian": tuple(DEBIAN)}


def parse_os_release(text: str) -> dict[str, str]:
    """The KEY=value assignments of an os-release file (shell quoting undone, comments and
    blank lines skipped)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value]
        fields[key.strip()] = " ".join(words)
    return fields


def supported_names() -> str:
    """The supported releases for a message, e.g. "Debian 12"."""
    return ", ".join(f"{distro.capitalize()} {version}"
                     for distro, versions in SUPPORTED.items() for version in versions)


def release_error(host: str, os_release: str) -> str:
    """Why `host`, whose /etc/os-release says `os_release`, cannot be converged; "" when its
    release is supported."""
    fields = parse_os_release(os_release)
    distro = fields.get("ID", "").lower()
    version = fields.get("VERSION_ID", "")
    if version in SUPPORTED.get(distro, ()):
        return ""
    name = fields.get("PRETTY_NAME") or " ".join(v for v in (fields.get("NAME", distro), version) if v)
    return (f"host {host} runs {name or 'an unknown system (no ID in /etc/os-release)'} "
            f"(ID={distro or '?'}, VERSION_ID={version or '?'}); the roles are written for "
            f"{supported_names()} only")



def debian_release(debian_major: str | int) -> dict[str, str]:
    """The names of Debian release `debian_major` (DebianRelease's fields, for Ansible);
    ValueError for a release the roles are not written for."""
    release = DEBIAN.get(str(debian_major).strip())
    if release is None:
        raise ValueError(f"Debian {debian_major} is not a release the roles are written for "
                         f"({supported_names()})")
    return dataclasses.asdict(release)
