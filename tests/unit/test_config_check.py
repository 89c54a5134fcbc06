"""vmail-config-check: the candidate is checked in a copy of the tree, never in place."""
import json
import sys
from pathlib import Path

import pytest

from vmail.cli import config_check

# A stand-in for doveconf/postconf: reads main.json, which names the other
# files of the tree it includes, and fails on invalid JSON in any of them.
TOOL = """
import json, os, sys
root = sys.argv[1]
main = json.load(open(os.path.join(root, "main.json")))
for name in main["include"]:
    json.load(open(os.path.join(root, name)))
print("warning: old setting" if main.get("old") else "ok")
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    live = tmp_path / "etc"
    (live / "conf.d").mkdir(parents=True)
    (live / "main.json").write_text(json.dumps({"include": ["conf.d/a.json"]}))
    (live / "conf.d" / "a.json").write_text('{"a": 1}')
    return live


def command() -> list[str]:
    return [sys.executable, "-c", TOOL, "{tree}"]


def candidate(tmp_path: Path, text: str) -> str:
    path = tmp_path / "candidate"
    path.write_text(text)
    return str(path)


def test_a_good_candidate_passes_and_the_live_tree_is_untouched(tree: Path, tmp_path: Path) -> None:
    outcome = config_check.check(candidate(tmp_path, '{"a": 2}'), command(), str(tree), "conf.d/a.json")
    assert outcome.passed, outcome.output
    assert (tree / "conf.d" / "a.json").read_text() == '{"a": 1}'


def test_a_broken_included_file_fails_through_the_main_file(tree: Path, tmp_path: Path) -> None:
    # The tool is given the tree, not the file: only the copy holds the candidate.
    outcome = config_check.check(candidate(tmp_path, '{"a": '), command(), str(tree), "conf.d/a.json")
    assert not outcome.passed
    assert "JSONDecodeError" in outcome.output
    assert (tree / "conf.d" / "a.json").read_text() == '{"a": 1}'


def test_a_new_file_is_checked_in_its_place(tree: Path, tmp_path: Path) -> None:
    (tree / "main.json").write_text(json.dumps({"include": ["conf.d/a.json", "conf.d/new.json"]}))
    assert not config_check.check(candidate(tmp_path, "nope"), command(), str(tree), "conf.d/new.json").passed
    assert config_check.check(candidate(tmp_path, "[]"), command(), str(tree), "conf.d/new.json").passed
    assert not (tree / "conf.d" / "new.json").exists()


def test_the_output_names_the_live_tree_not_the_scratch_copy(tree: Path, tmp_path: Path) -> None:
    outcome = config_check.check(candidate(tmp_path, "x"), [sys.executable, "-c",
                                 "import sys; print(sys.argv[1]); sys.exit(3)", "{file}"],
                                 str(tree), "conf.d/a.json")
    assert not outcome.passed
    assert outcome.output.strip() == f"{tree}/conf.d/a.json"


def test_warnings_fail_only_when_asked(tree: Path, tmp_path: Path) -> None:
    (tree / "main.json").write_text(json.dumps({"include": [], "old": True}))
    good = candidate(tmp_path, "{}")
    assert config_check.check(good, command(), str(tree), "conf.d/a.json").passed
    assert not config_check.check(good, command(), str(tree), "conf.d/a.json", no_warnings=True).passed


def test_accepted_statuses(tmp_path: Path) -> None:
    exit1 = [sys.executable, "-c", "import sys; sys.exit(1)", "{file}"]
    path = candidate(tmp_path, "")
    assert not config_check.check(path, exit1).passed
    assert config_check.check(path, exit1, ok_status=(0, 1)).passed


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "a/../../outside"])
def test_the_candidate_stays_inside_the_tree(tree: Path, tmp_path: Path, path: str) -> None:
    with pytest.raises(ValueError):
        config_check.check(candidate(tmp_path, "{}"), command(), str(tree), path)


def test_main_reports_the_tool_output_and_exit_status(tree: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    broken = candidate(tmp_path, "{")
    status = config_check.main(["--tree", str(tree), "--path", "conf.d/a.json", broken, "--", *command()])
    assert status == 1
    err = capsys.readouterr().err
    assert f"rejected the new {tree}/conf.d/a.json" in err
    assert "JSONDecodeError" in err
    assert config_check.main(["--tree", str(tree), "--path", "conf.d/a.json",
                              candidate(tmp_path, "{}"), "--", *command()]) == 0
