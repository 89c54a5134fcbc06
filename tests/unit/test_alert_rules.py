"""The platform's alert rules, rendered from the prometheus role's template with
its defaults and checked by promtool: syntax (check rules) and behaviour (every
rule has a unit test in tests/prometheus/*.test.yml).

promtool comes from Debian's `prometheus` package on the control node."""
import pathlib
import re
import shutil
import subprocess

import jinja2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "prometheus"
TEMPLATE = ROLE / "templates" / "etc" / "prometheus" / "rules" / "vmail.rules.yml.j2"
TESTS = sorted((ROOT / "tests" / "prometheus").glob("*.test.yml"))
PROMTOOL = shutil.which("promtool")
assert PROMTOOL, "promtool missing: scripts/setup.sh installs it (Debian package prometheus)"



def render_rules(tmp_path: pathlib.Path) -> pathlib.Path:
    """Render the rules as Ansible's template module would (trim_blocks on)."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["comment"] = lambda text: "#\n# " + text + "\n#"
    context = dict(defaults, ansible_managed="Managed by Ansible (test render)")
    out = tmp_path / "vmail.rules.yml"
    out.write_text(env.from_string(TEMPLATE.read_text()).render(context))
    return out


@pytest.fixture(name="rules")
def fixture_rules(tmp_path):
    return render_rules(tmp_path)


def test_rules_pass_promtool_check(rules):
    result = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test(rules):
    alerts = {rule["alert"] for group in yaml.safe_load(rules.read_text())["groups"] for rule in group["rules"]}
    tested = set()
    for test in TESTS:
        tested |= set(re.findall(r"alertname:\s*(\w+)", test.read_text()))
    assert alerts - tested == set(), f"alerts without a promtool test: {sorted(alerts - tested)}"


@pytest.mark.parametrize("test_file", TESTS, ids=[t.name for t in TESTS])
def test_promtool_unit_tests(rules, test_file, tmp_path):
    # The test files name their rule file "vmail.rules.yml", beside them.
    shutil.copy(test_file, tmp_path / test_file.name)
    result = subprocess.run(
        [PROMTOOL, "test", "rules", test_file.name], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
