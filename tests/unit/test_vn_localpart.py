"""vn_localpart: Vietnamese names and place names to ASCII local parts (Art. 4.1b, 4.2a)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.naming import vn_localpart

from conftest import filter_plugin

VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lê Minh Hiếu", "leminhhieu"),
        ("Chợ Gạo", "chogao"),
        ("Mỹ Tho", "mytho"),
        ("Tân Phước", "tanphuoc"),
        ("Đặng Thị Ánh", "dangthianh"),
        ("ĐỖ VĂN ĐỨC", "dovanduc"),
        ("  Nguyễn   Văn\tAn ", "nguyenvanan"),
        ("Gò Công Đông", "gocongdong"),
        ("Phường 1", "phuong1"),
        ("Huỳnh Thị Ngọc Hương", "huynhthingochuong"),
    ],
)
def test_examples(name: str, expected: str) -> None:
    assert vn_localpart(name) == expected


@pytest.mark.parametrize("bad", ["", "   ", "Phòng Tài chính - Kế hoạch", "Trần-Văn", "李", "a@b", 42, None])
def test_bad_input_raises(bad: object) -> None:
    with pytest.raises(InvalidInput, match="vn_localpart"):
        vn_localpart(bad)  # type: ignore[arg-type]


def test_registered_as_filter() -> None:
    assert filter_plugin("vmail_naming").filters()["vn_localpart"]("Lê Minh Hiếu") == vn_localpart("Lê Minh Hiếu")


words = st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper(), min_size=1, max_size=8)
names = st.lists(words, min_size=1, max_size=5).map(" ".join)


@given(names)
def test_output_is_lowercase_ascii(name: str) -> None:
    assert re.fullmatch(r"[a-z]+", vn_localpart(name))


@given(names)
def test_nfc_and_nfd_alike(name: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    assert vn_localpart(nfc) == vn_localpart(nfd)


@given(names, st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=2, max_size=2))
def test_case_and_whitespace_ignored(name: str, pads: list[str]) -> None:
    assert vn_localpart(pads[0] + name.upper() + pads[1]) == vn_localpart(name.lower())


@given(names)
def test_idempotent(name: str) -> None:
    once = vn_localpart(name)
    assert vn_localpart(once) == once
