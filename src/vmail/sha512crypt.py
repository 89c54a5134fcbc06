"""SHA512-CRYPT (``$6$``, Ulrich Drepper's SHA-crypt), the password hash Dovecot verifies.

Python's ``crypt`` module, which wrapped libc's, is deprecated since 3.11 and gone in 3.13
(Debian 13): this is the published algorithm (https://www.akkadia.org/drepper/SHA-crypt.txt)
in plain Python, checked against libc's in tests/unit/test_sha512crypt.py.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "$6$"
DEFAULT_ROUNDS = 5000
MIN_ROUNDS, MAX_ROUNDS = 1000, 999_999_999
SALT_CHARS = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The order in which the 64 digest bytes are written, three at a time, in the crypt alphabet.
_ORDER = [(0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48),
          (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13),
          (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19), (62, 20, 41)]


def _b64(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(SALT_CHARS[value & 0x3F])
        value >>= 6
    return "".join(out)


def _repeat(digest: bytes, length: int) -> bytes:
    return (digest * (length // len(digest) + 1))[:length]


def sha512_crypt(password: str, salt: str | None = None, rounds: int = DEFAULT_ROUNDS) -> str:
    """``$6$[rounds=N$]salt$hash`` of ``password`` (UTF-8); a random 16-character salt by default."""
    if salt is None:
        salt = "".join(secrets.choice(SALT_CHARS) for _ in range(16))
    salt = salt[:16]
    rounds = min(max(rounds, MIN_ROUNDS), MAX_ROUNDS)
    key, salt_bytes = password.encode("utf-8"), salt.encode("ascii")

    alternate = hashlib.sha512(key + salt_bytes + key).digest()
    context = hashlib.sha512(key + salt_bytes + _repeat(alternate, len(key)))
    length = len(key)
    while length:
        context.update(alternate if length & 1 else key)
        length >>= 1
    digest_a = context.digest()

    p_bytes = _repeat(hashlib.sha512(key * len(key)).digest(), len(key))
    s_bytes = _repeat(hashlib.sha512(salt_bytes * (16 + digest_a[0])).digest(), len(salt_bytes))

    current = digest_a
    for i in range(rounds):
        step = hashlib.sha512()
        step.update(p_bytes if i & 1 else current)
        if i % 3:
            step.update(s_bytes)
        if i % 7:
            step.update(p_bytes)
        step.update(current if i & 1 else p_bytes)
        current = step.digest()

    encoded = "".join(_b64((current[a] << 16) | (current[b] << 8) | current[c], 4) for a, b, c in _ORDER)
    encoded += _b64(current[63], 2)
    rounds_part = "" if rounds == DEFAULT_ROUNDS else f"rounds={rounds}$"
    return f"{PREFIX}{rounds_part}{salt}${encoded}"


def verify(password: str, hashed: str) -> bool:
    """Whether ``password`` gives ``hashed`` (a ``$6$`` hash, optionally with ``rounds=``)."""
    if not hashed.startswith(PREFIX):
        return False
    parts = hashed[len(PREFIX):].split("$")
    rounds = DEFAULT_ROUNDS
    if parts and parts[0].startswith("rounds="):
        rounds = int(parts.pop(0)[len("rounds="):])
    if len(parts) != 2:
        return False
    return secrets.compare_digest(sha512_crypt(password, parts[0], rounds), hashed)
