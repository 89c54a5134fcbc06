"""vmail.noticemail: a notice's Vietnamese headers decode exactly as written, on every Python."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from vmail import noticemail


def test_subject_and_sender_decode_exactly():
    subject = "Cảnh báo: hộp thư đã dùng 80% dung lượng"
    raw = noticemail.build("postmaster@tiengiang.gov.vn", "thu@tiengiang.gov.vn", subject,
                           "Kính gửi quý người dùng,\n", "tiengiang.gov.vn", ("X-Vmail-Quota-Warning", "80"))
    assert raw.isascii()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == noticemail.SENDER_NAME
    assert parsed["From"].addresses[0].addr_spec == "postmaster@tiengiang.gov.vn"
    assert parsed["X-Vmail-Quota-Warning"] == "80"
    assert parsed.get_content() == "Kính gửi quý người dùng,\n"
    assert parsed["Message-ID"].endswith("@tiengiang.gov.vn>")
