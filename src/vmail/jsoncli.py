"""The command-line shape the package's writers share: a JSON document in, a JSON result out.

``vmail-directory build`` and ``python -m vmail.report write`` read their input from a file or
stdin, print the result as one JSON document, and on InvalidInput print
{"failed": true, "msg": ...} and exit 1 (the modules call the same functions in-process).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from vmail.errors import InvalidInput


def run(input_path: str, action: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> int:
    """Read the document (``-``: stdin), run ``action`` on it, print the result; the exit code."""
    if input_path == "-":
        document = json.load(sys.stdin)
    else:
        with open(input_path, encoding="utf-8") as handle:
            document = json.load(handle)
    try:
        result = action(document)
    except InvalidInput as exc:
        print(json.dumps({"failed": True, "msg": str(exc)}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0
