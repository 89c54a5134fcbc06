"""What the package installs: its commands, as pyproject.toml names them (the one list).

The vmail_package role writes a launcher on hosts for each; pip writes the same ones
on the control node (``pip install -e .``).
"""

from __future__ import annotations

import tomllib

from vmail.errors import InvalidInput


def console_scripts(pyproject_text: str) -> dict[str, str]:
    """Command name -> "module:function", from the ``[project.scripts]`` table of pyproject.toml."""
    try:
        document = tomllib.loads(pyproject_text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"pyproject.toml does not parse: {exc}") from exc
    scripts = document.get("project", {}).get("scripts")
    if not isinstance(scripts, dict) or not scripts:
        raise InvalidInput("pyproject.toml has no [project.scripts] table")
    bad = sorted(name for name, target in scripts.items()
                 if not isinstance(target, str) or target.count(":") != 1)
    if bad:
        raise InvalidInput(f"[project.scripts] entries not of the form module:function: {', '.join(bad)}")
    return {str(name): str(target) for name, target in scripts.items()}
