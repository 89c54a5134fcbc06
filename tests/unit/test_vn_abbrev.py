"""vn_abbrev: unit names to their abbreviations (Art. 4.1a, 4.1d)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.naming import vn_abbrev

from conftest import filter_plugin


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sở Thông tin và Truyền thông", "stttt"),
        ("Phòng Tài chính - Kế hoạch", "ptckh"),
        ("Trung tâm Công nghệ thông tin và Truyền thông", "ttcntttt"),
        ("Sở Lao động - Thương binh và Xã hội", "sldtbxh"),
        ("Sở Văn hóa, Thể thao và Du lịch", "svhttdl"),
        ("Sở Giáo dục và Đào tạo", "sgddt"),
        ("Sở Nội vụ", "snv"),
        ("SỞ TÀI CHÍNH", "stc"),
        ("Văn phòng Ủy ban nhân dân tỉnh", "vpubndt"),
        ("Sở   Y tế ", "syt"),
        ("TT CNTT&TT", "tct"),
    ],
)
def test_examples(name: str, expected: str) -> None:
    assert vn_abbrev(name) == expected


def test_va_skipped_in_any_normal_form_and_case() -> None:
    nfd = unicodedata.normalize("NFD", "Sở Kế hoạch VÀ Đầu tư")
    assert vn_abbrev(nfd) == "skhdt"


@pytest.mark.parametrize("bad", ["", " - ", "và", "李 王", 7, None])
def test_bad_input_raises(bad: object) -> None:
    with pytest.raises(InvalidInput, match="vn_abbrev"):
        vn_abbrev(bad)  # type: ignore[arg-type]


def test_registered_as_filter() -> None:
    assert filter_plugin("vmail_naming").filters()["vn_abbrev"]("Sở Thông tin và Truyền thông") == "stttt"


word = st.text(alphabet="abcdđeghiklmnopqrstuvxyĐÂÊÔƠƯăâêôơưáàảãạếềểễệốồổỗộ", min_size=1, max_size=6)


@given(st.lists(word, min_size=1, max_size=8), st.sampled_from([" ", " - ", ", ", " và "]))
def test_one_letter_per_word_except_va(words: list[str], separator: str) -> None:
    name = separator.join(words)
    expected_length = sum(1 for w in words if w.casefold() != "và")
    if expected_length == 0:
        return
    result = vn_abbrev(name)
    assert re.fullmatch(r"[a-z]+", result)
    assert len(result) == expected_length
