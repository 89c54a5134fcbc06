"""The one exception of the vmail package: input that breaks a rule of the domain.

Pure code raises it; the Ansible adapters (``vmail.ansible``) turn it into
``AnsibleFilterError`` / a failed task, host programs into a message and an exit code.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """An argument, a file or a value that the rules of Decision 51/2016/QĐ-UBND reject."""
