"""Sieve scripts and Art. 17.1 (official mail stays on official addresses): which redirect of
a script leaves the province's domains.

Pigeonhole cannot limit a redirect's domain when it compiles a script, so the ManageSieve
guard (``vmail.cli.managesieve_guard``) asks this module before a script is stored, and has
the server refuse it in its own words (``refusal``).
"""

from __future__ import annotations

import re
from collections.abc import Collection

TOKEN = re.compile(r'''
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*|/\*.*?\*/)
  | (?P<text>text:[ \t]*(?:\#[^\n]*)?\r?\n(?P<body>.*?)^\.\r?$)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<word>:?[A-Za-z_][A-Za-z0-9_.-]*)
  | (?P<other>.)
''', re.S | re.M | re.X)


def redirects(script: str) -> list[tuple[int, list[str]]]:
    """(line, string arguments) of every ``redirect`` command, as Sieve reads them (comments,
    quoted strings with escapes and multi-line ``text:`` strings included)."""
    found: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    line = 1
    for match in TOKEN.finditer(script):
        kind = match.lastgroup if match.lastgroup != "body" else "text"
        if kind in ("space", "comment"):
            continue
        if kind == "word" and current is None and match.group("word").lower() == "redirect":
            current, line = [], script.count("\n", 0, match.start()) + 1
        elif current is not None and kind == "string":
            current.append(re.sub(r"\\(.)", r"\1", match.group("string")[1:-1]))
        elif current is not None and kind == "text":
            current.append(re.sub(r"^\.\.", ".", match.group("body"), flags=re.M).strip())
        elif current is not None and kind == "other" and match.group("other") in ";{}":
            found.append((line, current))
            current = None
    if current is not None:
        found.append((line, current))
    return found


def refused_redirect(script: str, domains: Collection[str]) -> tuple[int, str] | None:
    """(line, address) of the first redirect outside ``domains`` (lower case), or None.

    An address built at run time (``${...}``: variables, encoded characters) cannot be
    checked here and is refused too.
    """
    for line, args in redirects(script):
        # The address is the last string; earlier ones belong to tags (:notify, :ret...).
        address = args[-1] if args else ""
        if "${" in address:
            return line, address
        domain = address.rsplit("@", 1)[-1].strip().rstrip(">").lower()
        if "@" not in address or domain not in domains:
            return line, address
    return None


def refusal(line: int, address: str) -> bytes:
    """A script the server itself refuses, on the redirect's line, naming the reason: the NO
    then comes from Dovecot, in its place among the answers to pipelined commands."""
    reason = re.sub(r"[^A-Za-z0-9@._+-]", "-", address)[:80]
    return ("\n" * (line - 1) + f'require "Art.17.1-redirect-outside-the-province-refused:{reason}";\n').encode()


def read_domains(text: str) -> frozenset[str]:
    """The domains of a domains file: one per line, ``#`` comments; lower case."""
    return frozenset(line.split("#", 1)[0].strip().lower() for line in text.splitlines()
                     if line.split("#", 1)[0].strip())
