"""vmail.releases (filters vmail_release_error, vmail_debian_release): which hosts the validation play stops on, the names each release gives."""
from __future__ import annotations

import pytest

from vmail import releases

DEBIAN_12 = '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
'''
DEBIAN_11 = DEBIAN_12.replace("12 (bookworm)", "11 (bullseye)").replace('VERSION_ID="12"', 'VERSION_ID="11"')
UBUNTU = '''# written by hand
NAME="Ubuntu"
VERSION_ID="22.04"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 22.04.4 LTS"
'''


def test_debian_12_is_supported():
    assert releases.release_error("mail", DEBIAN_12) == ""


def test_another_debian_release_is_named_with_the_host():
    error = releases.release_error("mail", DEBIAN_11)
    assert "host mail runs Debian GNU/Linux 11 (bullseye)" in error
    assert "VERSION_ID=11" in error and "Debian 12" in error


def test_a_debian_derivative_is_not_debian():
    error = releases.release_error("store1", UBUNTU)
    assert error.startswith("host store1 runs Ubuntu 22.04.4 LTS (ID=ubuntu, VERSION_ID=22.04)")


def test_an_empty_os_release_is_named():
    assert "unknown system" in releases.release_error("x", "")


def test_parse_undoes_quoting_and_skips_comments():
    fields = releases.parse_os_release("# c\n\nNAME='A B'\nID=x\nBROKEN\nQ=\"it's\"\n")
    assert fields == {"NAME": "A B", "ID": "x", "Q": "it's"}


def test_each_release_names_its_units_and_series():
    assert releases.debian_release("12")["dovecot_series"] == "2.3"
    assert releases.debian_release("12")["postfix_unit"] == "postfix@-.service"
    assert releases.debian_release(13) == {"codename": "trixie", "dovecot_series": "2.4",
                                           "postfix_unit": "postfix.service", "php_version": "8.4",
                                           "postgresql_version": "17"}
    with pytest.raises(ValueError, match="Debian 11 is not a release"):
        releases.debian_release("11")
