"""The password policy of Art. 8.1, defined once: the checker, its reasons, the generator.

Everything that sets a password goes through ``password_policy_errors``: the accounts play,
``vmail-accounts set-password`` (operators) and the webmail's password plugin (through
``vmail-password-check``). Initial passwords come from ``generate_password``, which only
makes compliant ones.
"""

from __future__ import annotations

import argparse
import io
import secrets
import sys
from collections.abc import Sequence

from vmail.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
PASSWORD_REASONS = {
    "length": {
        "en": f"must be at least {MIN_PASSWORD_LENGTH} characters long",
        "vi": f"phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự",
    },
    "upper": {
        "en": "must contain an upper-case letter",
        "vi": "phải có ít nhất một chữ cái viết hoa",
    },
    "lower": {
        "en": "must contain a lower-case letter",
        "vi": "phải có ít nhất một chữ cái viết thường",
    },
    "digit": {
        "en": "must contain a digit (0-9)",
        "vi": "phải có ít nhất một chữ số (0-9)",
    },
    "special": {
        "en": "must contain a special character such as ! # % & * $ (a space does not count)",
        "vi": "phải có ít nhất một ký tự đặc biệt, ví dụ ! # % & * $ (dấu cách không được tính)",
    },
}
PASSWORD_LANGS = ("en", "vi")

# Initial passwords: no look-alikes (I/l/1, O/0), specials that survive shells and YAML.
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LOWER = "abcdefghijkmnopqrstuvwxyz"
DIGITS = "23456789"
SPECIAL = "!#%&*+-=?@"


def _is_special(char: str) -> bool:
    """Visible non-alphanumeric ASCII counts as special: the regulation's list (! # % & *, and
    $ in its example) is of examples, all of them visible symbols. A space may be part of a
    password but is not the special character: it is not a symbol, and it is the character
    users and clients most often add or lose by accident."""
    return "!" <= char <= "~" and not char.isalnum()


def password_policy_errors(password: str, lang: str = "en") -> list[str]:
    """Reasons why ``password`` breaks Art. 8.1, in ``lang`` ('en' or 'vi'); [] if compliant.

    At least 8 characters, an upper-case letter, a lower-case letter, a digit and a special
    character (any visible non-alphanumeric ASCII character; a space does not count).
    """
    if lang not in PASSWORD_LANGS:
        raise InvalidInput(f"password_policy_errors: lang must be one of {PASSWORD_LANGS}, got {lang!r}")
    if not isinstance(password, str):
        raise InvalidInput(
            f"password_policy_errors: expected a string, got {type(password).__name__}"
        )
    checks = {
        "length": len(password) >= MIN_PASSWORD_LENGTH,
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c in "0123456789" for c in password),
        "special": any(_is_special(c) for c in password),
    }
    return [PASSWORD_REASONS[rule][lang] for rule, passed in checks.items() if not passed]


# --------------------------------------------------------------------------------------------


def generate_password(length: int = 16) -> str:
    """A random password that complies with Art. 8.1 (one of each class, then any)."""
    if length < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"generate_password: length must be at least {MIN_PASSWORD_LENGTH}, got {length}")
    alphabet = UPPER + LOWER + DIGITS + SPECIAL
    chars = [secrets.choice(UPPER), secrets.choice(LOWER), secrets.choice(DIGITS), secrets.choice(SPECIAL)]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars)
    # Checked by the same policy every other path uses: generator and checker cannot drift apart.
    reasons = password_policy_errors(password)
    if reasons:
        raise InvalidInput(f"generated password breaks the policy: {'; '.join(reasons)}")
    return password


def main(argv: Sequence[str] | None = None, stdin: io.TextIOBase | None = None,
         stdout: io.TextIOBase | None = None) -> int:
    """``check-password [--lang en|vi]``: read a password from stdin, print the reasons.

    Exit 0 and print nothing if it complies, exit 1 and one reason per line otherwise. Only
    the final line break of the input is removed (spaces may belong to the password).
    """
    parser = argparse.ArgumentParser(description="Check a password against Art. 8.1 of Decision 51/2016/QĐ-UBND.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-password", help="read the password from stdin")
    check.add_argument("--lang", choices=PASSWORD_LANGS, default="en")
    args = parser.parse_args(argv)
    data = (stdin or sys.stdin).read()
    password = data[:-2] if data.endswith("\r\n") else data[:-1] if data.endswith("\n") else data
    reasons = password_policy_errors(password, args.lang)
    for reason in reasons:
        print(reason, file=stdout or sys.stdout)
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())
