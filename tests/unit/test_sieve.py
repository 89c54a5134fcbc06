"""Art. 17.1 at ManageSieve upload: which redirect of a script leaves the province's domains
(vmail.sieve), and what the guard passes on to the server (vmail.cli.managesieve_guard)."""

from __future__ import annotations

import pytest

from vmail.cli.managesieve_guard import Reader, checked, read_command
from vmail.sieve import read_domains, redirects, refusal, refused_redirect

DOMAINS = frozenset({"tiengiang.gov.vn"})


@pytest.mark.parametrize("script", [
    'redirect "ban@tiengiang.gov.vn";',
    'require "copy";\nredirect :copy "Ban@TienGiang.gov.vn";',
    'if header :contains "subject" "x" { redirect "a@tiengiang.gov.vn"; }',
    '# redirect "x@example.net";\nkeep;',
    '/* redirect "x@example.net"; */ keep;',
    'require "vacation";\nvacation :addresses ["x@example.net"] "Tôi đi vắng";',
])
def test_redirects_inside_the_province_or_none_pass(script: str) -> None:
    assert refused_redirect(script, DOMAINS) is None


@pytest.mark.parametrize(("script", "expected"), [
    ('keep;\nredirect "someone@example.net";', (2, "someone@example.net")),
    ('redirect :copy\n  "x@gmail.com";', (1, "x@gmail.com")),
    ('require "variables";\nset "to" "x@example.net";\nredirect "${to}";', (3, "${to}")),
    ('redirect text:\nx@example.net\n.\n;', (1, "x@example.net")),
    ('redirect "no-domain";', (1, "no-domain")),
    ('redirect "a@tiengiang.gov.vn.example.net";', (1, "a@tiengiang.gov.vn.example.net")),
])
def test_a_redirect_outside_is_named_with_its_line(script: str, expected: tuple[int, str]) -> None:
    assert refused_redirect(script, DOMAINS) == expected


def test_no_domains_refuses_every_redirect() -> None:
    assert refused_redirect('redirect "a@tiengiang.gov.vn";', frozenset()) == (1, "a@tiengiang.gov.vn")


def test_quoted_strings_are_read_with_their_escapes() -> None:
    assert redirects('redirect "a\\"b@x";') == [(1, ['a"b@x'])]


def test_domains_file() -> None:
    assert read_domains("# comment\nTienGiang.gov.vn\n\n  other.gov.vn  # note\n") == {"tiengiang.gov.vn", "other.gov.vn"}


def test_refusal_is_a_script_the_server_refuses_on_the_same_line() -> None:
    text = refusal(3, "x@example.net; evil").decode()
    assert text.count("\n") == 3 and text.endswith('require "Art.17.1-redirect-outside-the-province-refused:x@example.net--evil";\n')


def command(data: bytes) -> tuple[bytes, bytes, list[bytes]]:
    return read_command(Reader(-1, data))


def test_putscript_outside_is_replaced_and_others_pass_unchanged() -> None:
    script = b'redirect "x@example.net";\r\n'
    raw = b'PUTSCRIPT "vacation" {' + str(len(script)).encode() + b'+}\r\n' + script + b"\r\n"
    sent = checked(*command(raw), DOMAINS)
    assert sent.startswith(b'PUTSCRIPT "vacation" {') and b"Art.17.1" in sent and b"example.net" in sent
    inside = b'redirect "a@tiengiang.gov.vn";\r\n'
    good = b'PUTSCRIPT "f" {' + str(len(inside)).encode() + b'+}\r\n' + inside + b"\r\n"
    assert checked(*command(good), DOMAINS) == good
    for other in (b'LISTSCRIPTS\r\n', b'SETACTIVE "f"\r\n'):
        assert checked(*command(other), DOMAINS) == other
