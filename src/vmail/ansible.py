"""The Ansible side of the package: filters as thin adapters, checked against their documentation.

Each filter of ``filter_plugins/`` is a function of this package. ``filters`` wraps them so that
(1) the arguments are checked against the filter's documentation (``filter_plugins/<name>.yml``,
the file ``ansible-doc -t filter <name>`` shows) with Ansible's own argument-spec validator, and
(2) the package's ``InvalidInput`` becomes ``AnsibleFilterError``. Only this module imports Ansible.
"""

from __future__ import annotations

import functools
import inspect
from typing import ClassVar
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from vmail.errors import InvalidInput

# Documentation types the validator understands; "raw" and "any" accept everything.
# "required" is left to the signature: Python already refuses a call without them.
_SPEC_KEYS = ("type", "choices", "elements")


def _argument_spec(doc_file: Path) -> dict[str, dict[str, Any]]:
    """The argument spec of one filter, from the ``options`` of its documentation."""
    document = yaml.safe_load(doc_file.read_text(encoding="utf-8"))
    options = document["DOCUMENTATION"].get("options") or {}
    spec: dict[str, dict[str, Any]] = {}
    for name, option in options.items():
        entry = {k: option[k] for k in _SPEC_KEYS if k in option}
        if entry.get("type") in ("raw", "any", None):
            entry["type"] = "raw"
        spec[name] = entry
    return spec


def _shallow(value: Any) -> Any:
    """An empty container of the same kind for a mapping or list; other values as they are."""
    if isinstance(value, Mapping):
        return {}
    if isinstance(value, list):
        return []
    return value


def _checked(name: str, function: Callable[..., Any], doc_dir: Path) -> Callable[..., Any]:
    spec = _argument_spec(doc_dir / f"{name}.yml")
    signature = inspect.signature(function)
    parameters = list(signature.parameters)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from exc
        # The piped value is the first parameter; the documentation calls it _input.
        given = {("_input" if key == parameters[0] else key): value for key, value in bound.arguments.items()}
        # Containers are checked for their type only: the validator deep-copies what it is
        # given, and a 20,000-person file would cost seconds on every call.
        light = {k: _shallow(v) for k, v in given.items() if k in spec}
        result = ArgumentSpecValidator(spec).validate(light)
        if result.error_messages:
            raise AnsibleFilterError(f"{name}: " + "; ".join(result.error_messages))
        try:
            return function(*args, **kwargs)
        except InvalidInput as exc:
            raise AnsibleFilterError(str(exc)) from exc

    return wrapper


def filters(functions: Mapping[str, Callable[..., Any]], doc_dir: str | Path) -> dict[str, Callable[..., Any]]:
    """Filter name -> checked function, for a ``FilterModule.filters`` to return."""
    return {name: _checked(name, function, Path(doc_dir)) for name, function in functions.items()}


class FilterModuleBase:  # pylint: disable=too-few-public-methods
    """What each file of filter_plugins/ subclasses: ``FUNCTIONS`` maps filter names to functions
    of the package; their documentation is the YAML file of each name beside the plugin file."""

    FUNCTIONS: ClassVar[dict[str, Callable[..., Any]]] = {}

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Filter name -> checked function."""
        return filters(self.FUNCTIONS, Path(inspect.getfile(type(self))).parent)
