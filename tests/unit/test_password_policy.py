"""password_policy_errors and its CLI: the one Art. 8.1 password policy."""

from __future__ import annotations

import io
import string
import subprocess
import sys

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail import password as policy
from vmail.password import password_policy_errors

from conftest import REPO


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("MatKhau$789", []),
        ("Abcdef1!", []),
        ("Mật Khẩu 2024", ["special"]),  # a space is not the special character
        ("Mật Khẩu 2024!", []),  # ... but may be part of a password
        ("MatKhau 789 ", ["special"]),
        ("Ab1!", ["at least 8"]),
        ("matkhau$789", ["upper-case"]),
        ("MATKHAU$789", ["lower-case"]),
        ("MatKhau$abc", ["digit"]),
        ("MatKhau7890", ["special"]),
        ("", ["at least 8", "upper-case", "lower-case", "digit", "special"]),
        ("ĐẶNGthị12", ["special"]),
    ],
)
def test_policy_table(password: str, failed: list[str]) -> None:
    reasons = password_policy_errors(password)
    assert len(reasons) == len(failed)
    for reason, fragment in zip(reasons, failed):
        assert fragment in reason


def test_vietnamese_reasons() -> None:
    assert password_policy_errors("MatKhau$789", lang="vi") == []
    reasons = password_policy_errors("abc", lang="vi")
    assert reasons == [
        "phải có ít nhất 8 ký tự",
        "phải có ít nhất một chữ cái viết hoa",
        "phải có ít nhất một chữ số (0-9)",
        "phải có ít nhất một ký tự đặc biệt, ví dụ ! # % & * $ (dấu cách không được tính)",
    ]


@pytest.mark.parametrize("special", list(string.punctuation))
def test_every_ascii_punctuation_is_special(special: str) -> None:
    assert password_policy_errors(f"MatKhau7{special}") == []


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInput, match="lang"):
        password_policy_errors("MatKhau$789", lang="fr")
    with pytest.raises(InvalidInput, match="string"):
        password_policy_errors(12345678)  # type: ignore[arg-type]


@given(st.text(max_size=20))
def test_empty_iff_every_rule_holds(password: str) -> None:
    compliant = (
        len(password) >= 8
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c in string.digits for c in password)
        and any(c in string.punctuation for c in password)
    )
    assert (password_policy_errors(password) == []) == compliant
    assert len(password_policy_errors(password, "vi")) == len(password_policy_errors(password, "en"))


def run_main(argv: list[str], text: str) -> tuple[int, str]:
    out = io.StringIO()
    code = policy.main(argv, stdin=io.StringIO(text), stdout=out)
    return code, out.getvalue()


def test_cli_in_process() -> None:
    assert run_main(["check-password"], "MatKhau$789\n") == (0, "")
    code, out = run_main(["check-password", "--lang", "vi"], "matkhau\n")
    assert code == 1
    assert out.splitlines() == password_policy_errors("matkhau", "vi")


def test_cli_keeps_inner_and_leading_spaces() -> None:
    # 8 characters only with the leading space: it is kept, and counted.
    assert run_main(["check-password"], " Ab1$efg\n")[0] == 0


def test_cli_as_a_script() -> None:
    script = [sys.executable, "-m", "vmail.password"]
    ok = subprocess.run([*script, "check-password"], input="MatKhau$789\n",
                        capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout) == (0, "")
    bad = subprocess.run([*script, "check-password", "--lang", "vi"], input="abc",
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "phải có ít nhất 8 ký tự" in bad.stdout.splitlines()
