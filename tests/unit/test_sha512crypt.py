"""vmail.sha512crypt gives what libc's crypt(3) gives (the hash Dovecot verifies)."""

from __future__ import annotations

import warnings

from hypothesis import given
from hypothesis import strategies as st

from vmail.sha512crypt import SALT_CHARS, sha512_crypt, verify

with warnings.catch_warnings():
    # Python 3.11 still has crypt (libc's): the reference the pure implementation must match.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # pylint: disable=deprecated-module


def test_published_vector() -> None:
    # Test vectors of the SHA-crypt specification.
    assert sha512_crypt("Hello world!", "saltstring") == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")
    assert sha512_crypt("Hello world!", "saltstringsaltstring", rounds=10000) == (
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")


# libc stops at a NUL byte (a C string); a password never holds one.
@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=40),
       st.text(alphabet=SALT_CHARS, min_size=1, max_size=16))
def test_same_as_libc(password: str, salt: str) -> None:
    assert sha512_crypt(password, salt) == crypt.crypt(password, "$6$" + salt)


def test_verify() -> None:
    hashed = sha512_crypt("MatKhau$789")
    assert verify("MatKhau$789", hashed) and not verify("MatKhau$788", hashed)
    assert verify("MatKhau$789", crypt.crypt("MatKhau$789", crypt.mksalt(crypt.METHOD_SHA512)))
