"""action_plugins/vmail_accounts.py: personnel file -> accounts fact, registry checked and kept."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO

# An action plugin file, not a module of the package: loaded by path.
_SPEC = importlib.util.spec_from_file_location("vmail_accounts_action", REPO / "action_plugins" / "vmail_accounts.py")
assert _SPEC is not None and _SPEC.loader is not None
plugin = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = plugin
_SPEC.loader.exec_module(plugin)

HOST = "mail.tiengiang.gov.vn"


def make_action(monkeypatch: pytest.MonkeyPatch, args: dict[str, Any], database: Any = None,
                check_mode: bool = False, diff: bool = False, rc: int = 0) -> tuple[plugin.ActionModule, list[str]]:
    """The action with a fake task and a fake accounts database host (list-addresses answers ``database``)."""
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    action = plugin.ActionModule.__new__(plugin.ActionModule)
    action._task = SimpleNamespace(args=args, check_mode=check_mode, diff=diff, delegate_to=HOST)
    commands: list[str] = []

    def execute(cmd: str, **_: Any) -> dict[str, Any]:
        commands.append(cmd)
        stdout = database if isinstance(database, str) else json.dumps(database or {})
        return {"rc": rc, "stdout": stdout, "stderr": "boom" if rc else ""}

    action._low_level_execute_command = execute  # type: ignore[method-assign]
    return action, commands


@pytest.fixture
def files(tmp_path: Path, personnel: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "personnel.yml"
    path.write_text(yaml.safe_dump(personnel, allow_unicode=True), encoding="utf-8")
    return {"personnel": str(path), "registry": str(tmp_path / "registry.yml")}


def test_first_run_writes_the_registry_and_sets_the_accounts_as_json(monkeypatch, files):
    action, commands = make_action(monkeypatch, dict(files))
    result = action.run(task_vars={})
    accounts = json.loads(result["ansible_facts"]["vmail_accounts_json"])
    assert result["changed"] is True
    assert result["accounts"] == len(accounts) and result["units"] == sum(a["kind"] == "unit" for a in accounts)
    assert [a["address"] for a in accounts] == sorted(a["address"] for a in accounts)
    registry = yaml.safe_load(Path(files["registry"]).read_text(encoding="utf-8"))
    assert registry == {a["id"]: a["address"] for a in accounts}
    assert result["registry_added"] == sorted(registry)
    assert Path(files["registry"]).read_text(encoding="utf-8").startswith(plugin.REGISTRY_HEADER)
    assert len(commands) == 1 and "list-addresses" in commands[0]

    # Second run: same accounts, the registry is not rewritten.
    again, _ = make_action(monkeypatch, dict(files), database=registry)
    second = again.run(task_vars={})
    assert second["changed"] is False and second["registry_added"] == []
    # The same accounts; only "source" says they now come from the registry.
    kept = json.loads(second["ansible_facts"]["vmail_accounts_json"])
    assert {a["source"] for a in kept} == {"registry"}
    assert [{**a, "source": ""} for a in kept] == [{**a, "source": ""} for a in accounts]


def test_registry_text_is_what_to_nice_yaml_wrote():
    from ansible.plugins.filter.core import to_nice_yaml  # pylint: disable=import-outside-toplevel

    registry = {"0002": "lminhhieu@tiengiang.gov.vn", "0001": "leminhhieu@tiengiang.gov.vn", "unit:stttt": "stttt@x.vn"}
    assert plugin.registry_text(registry) == plugin.REGISTRY_HEADER + to_nice_yaml(registry, indent=2, sort_keys=True)


def test_registry_that_disagrees_with_the_database_stops_before_writing(monkeypatch, files):
    first, _ = make_action(monkeypatch, dict(files))
    accounts = json.loads(first.run(task_vars={})["ansible_facts"]["vmail_accounts_json"])
    database = {a["id"]: a["address"] for a in accounts}
    registry_path = Path(files["registry"])
    tampered = yaml.safe_load(registry_path.read_text(encoding="utf-8"))
    issued = tampered["0001"]
    tampered["0001"] = issued.replace("@", "2@")
    registry_path.write_text(yaml.safe_dump(tampered), encoding="utf-8")
    before = registry_path.read_text(encoding="utf-8")

    action, _ = make_action(monkeypatch, dict(files), database=database)
    with pytest.raises(AnsibleActionFail) as failure:
        action.run(task_vars={})
    message = str(failure.value)
    assert f"The address registry {files['registry']} disagrees with the accounts database on {HOST}" in message
    assert "for 1 account(s): " in message
    assert f"0001: database {issued}, registry {tampered['0001']}" in message
    assert "nothing was changed" in message
    assert registry_path.read_text(encoding="utf-8") == before


def test_an_address_the_registry_lacks_is_a_mismatch_too(monkeypatch, files):
    action, _ = make_action(monkeypatch, dict(files), database={"0099": "someone@tiengiang.gov.vn"})
    with pytest.raises(AnsibleActionFail, match="0099: database someone@tiengiang.gov.vn, registry none"):
        action.run(task_vars={})
    assert not Path(files["registry"]).exists()


def test_check_mode_writes_nothing_and_shows_the_diff(monkeypatch, files):
    action, _ = make_action(monkeypatch, dict(files), check_mode=True, diff=True)
    result = action.run(task_vars={})
    assert result["changed"] is True
    assert not Path(files["registry"]).exists()
    assert result["diff"]["before"] == "" and "'0001': leminhhieu@tiengiang.gov.vn" in result["diff"]["after"]


@pytest.mark.parametrize(("text", "expected"), [
    ("domain: [unclosed\n", "is not valid YAML"),
    ("- just\n- a list\n", "personnel"),
    ("domain: tiengiang.gov.vn\nunits: []\npeople:\n  - {id: '0001', full_name: X, unit: nowhere}\n", "nowhere"),
])
def test_a_bad_personnel_file_is_rejected_with_a_clear_message(monkeypatch, files, text, expected):
    Path(files["personnel"]).write_text(text, encoding="utf-8")
    action, commands = make_action(monkeypatch, dict(files))
    with pytest.raises(AnsibleActionFail, match=expected) as failure:
        action.run(task_vars={})
    assert files["personnel"] in str(failure.value)
    assert not Path(files["registry"]).exists() and commands == []


def test_a_missing_personnel_file_is_named(monkeypatch, files):
    Path(files["personnel"]).unlink()
    action, _ = make_action(monkeypatch, dict(files))
    with pytest.raises(AnsibleActionFail, match=r"the personnel file .* does not exist"):
        action.run(task_vars={})


@pytest.mark.parametrize(("database", "rc", "expected"), [
    ("not json", 0, "printed no JSON"),
    ("[1, 2]", 0, "no id -> address map"),
    ("{}", 1, r"list-addresses failed \(rc 1\): boom"),
])
def test_a_broken_database_answer_stops_the_run(monkeypatch, files, database, rc, expected):
    action, _ = make_action(monkeypatch, dict(files), database=database, rc=rc)
    with pytest.raises(AnsibleActionFail, match=expected):
        action.run(task_vars={})
    assert not Path(files["registry"]).exists()


@pytest.mark.parametrize("args", [{"personnel": ""}, {"default_quota_bytes": 0}, {"default_quota_bytes": True},
                                  {"extension": "maybe"}])
def test_bad_arguments_are_refused(monkeypatch, files, args):
    action, _ = make_action(monkeypatch, {**files, **args})
    with pytest.raises(AnsibleActionFail):
        action.run(task_vars={})


def test_no_database_command_skips_the_check(monkeypatch, files):
    action, commands = make_action(monkeypatch, {**files, "database_command": ""}, database="not json")
    assert action.run(task_vars={})["changed"] is True
    assert commands == []


IDS = st.text(alphabet="0123456789", min_size=1, max_size=3)
ADDRESSES = st.sampled_from(["a@x.vn", "b@x.vn", "c@x.vn"])


@given(st.dictionaries(IDS, ADDRESSES), st.dictionaries(IDS, ADDRESSES))
def test_mismatches_are_exactly_the_ids_whose_database_address_differs(database, registry):
    mismatches = plugin.registry_mismatches(database, registry)
    assert [m.split(":", 1)[0] for m in mismatches] == [k for k, v in database.items() if registry.get(k) != v]
    message = plugin.mismatch_message("r.yml", "h", mismatches)
    assert f"for {len(mismatches)} account(s)" in message
    # One "; " per further mismatch shown, and the one before "nothing was changed".
    assert message.count("; ") == max(0, min(len(mismatches), plugin.SHOWN_MISMATCHES) - 1) + 1


def test_quota_ceiling_is_applied_and_the_exceptions_returned(monkeypatch, files, personnel):
    """Issue 20 item 6: above quota_max only with quota_exception; the run reports who and why."""
    path = Path(files["personnel"])
    personnel["people"][0]["quota"] = "1GB"
    path.write_text(yaml.safe_dump(personnel, allow_unicode=True), encoding="utf-8")
    action, commands = make_action(monkeypatch, dict(files))
    with pytest.raises(AnsibleActionFail, match=r"\(id 0001, Lê Minh Hiếu\): field 'quota': 1GB is above the quota "
                                                r"ceiling of 500MB"):
        action.run(task_vars={})
    assert not Path(files["registry"]).exists() and commands == []

    personnel["people"][0]["quota_exception"] = "Lãnh đạo sở"
    path.write_text(yaml.safe_dump(personnel, allow_unicode=True), encoding="utf-8")
    action, _ = make_action(monkeypatch, dict(files))
    result = action.run(task_vars={})
    assert result["quota_exceptions"] == ["0001 Lê Minh Hiếu: 1GB above 500MB (Lãnh đạo sở)"]
    # A higher ceiling: nobody is above it.
    action, _ = make_action(monkeypatch, {**files, "quota_max": "2GB"}, database=yaml.safe_load(
        Path(files["registry"]).read_text(encoding="utf-8")))
    assert action.run(task_vars={})["quota_exceptions"] == []


def test_a_bad_quota_max_is_refused(monkeypatch, files):
    action, _ = make_action(monkeypatch, {**files, "quota_max": "lots"})
    with pytest.raises(AnsibleActionFail, match="vmail_accounts: quota_max"):
        action.run(task_vars={})
