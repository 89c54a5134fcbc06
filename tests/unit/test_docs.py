"""The documentation points at things that exist: every relative Markdown link resolves (file and
heading anchor), and every test that docs/regulation.md names as proof of an article exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "roles").glob("*/README.md")])

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+\s+(.*)$", re.M)
TEST_REF = re.compile(r"`((?:tests|molecule)/[\w/.-]+\.py)::(\w+)`")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {github_anchor(h) for h in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8")))}


def broken_links(path: Path) -> list[str]:
    broken = []
    for link in LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", link):
            continue
        target, _, fragment = link.partition("#")
        resolved = (path.parent / target).resolve() if target else path
        if not resolved.exists():
            broken.append(f"{link}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{link}: no heading #{fragment}")
    return broken


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path: Path) -> None:
    assert broken_links(path) == []


def test_the_checks_catch_a_broken_link_and_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text('# Sizes: what "MB" means\n[a](#sizes-what-mb-means) [b](#nope) [c](gone.md)\n'
                    "```\n[d](also-gone.md)\n```\n", encoding="utf-8")
    assert broken_links(page) == ["#nope: no heading #nope", "gone.md: no such file"]


def test_every_test_named_in_the_regulation_page_exists() -> None:
    refs = TEST_REF.findall((REPO / "docs" / "regulation.md").read_text(encoding="utf-8"))
    assert len(refs) > 100, "the page names the tests of every article"
    missing = [f"{path}::{name}" for path, name in refs
               if not (REPO / path).is_file() or name not in defined_tests(REPO / path)]
    assert missing == []
