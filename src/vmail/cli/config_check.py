"""Check a candidate configuration file before Ansible puts it in place.

Ansible's `validate:` runs a command on the candidate (`%s`) and writes the
file only when the command succeeds. Postfix, Dovecot, Rspamd, ClamAV and
fail2ban check a configuration *tree*, not one file: main.cf needs master.cf,
a Dovecot conf.d file is read through dovecot.conf's `!include`. This command
copies the live tree into a private temporary directory, puts the candidate
at its place in the copy, and runs the tool's own check on the copy:

    vmail-config-check --tree /etc/postfix --path main.cf %s -- postconf -c {tree} -n

`{tree}` in the command is the copy's root, `{file}` the candidate's path
(in the copy with --tree, else the candidate itself), `{scratch}` an empty
private directory for anything the check writes (sievec's compiled script). The live tree is never
touched, so a failed check leaves the running service and its files as they
were, and the next run shows the same difference and fails again.

Exit status 0 when the check passed, 1 (with the tool's output on stderr)
when it failed. --ok-status widens the accepted statuses (`postmap -q` exits
1 for a key it does not find); --no-warnings also fails when the tool printed
a warning (Postfix only warns about an unknown parameter or a bad table line).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

# "postconf: warning: ...", "doveconf: Warning: ...", "postmap: fatal: ...",
# rspamd's "... <error>; ..." lines.
WARNING = re.compile(r"\b(warning|fatal|error|panic)\b\s*[:;>]", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """What the check said: passed or not, and the tool's output."""

    passed: bool
    output: str


def substitute(command: Sequence[str], tree: str, file: str, scratch: str) -> list[str]:
    """The command with {tree}, {file} and {scratch} replaced in every argument."""
    return [arg.replace("{tree}", tree).replace("{file}", file).replace("{scratch}", scratch)
            for arg in command]


def place_candidate(tree: str, path: str, candidate: str) -> str:
    """Copy the candidate to `path` inside `tree`; the copy's full path.

    `path` must stay inside the tree: an absolute path or one climbing out
    with `..` is refused rather than written somewhere else.
    """
    if os.path.isabs(path) or os.path.normpath(path).startswith(os.pardir):
        raise ValueError(f"--path must be relative to the tree, got {path!r}")
    target = os.path.join(tree, path)
    os.makedirs(os.path.dirname(target) or tree, exist_ok=True)
    if os.path.lexists(target):
        os.remove(target)
    shutil.copyfile(candidate, target)
    return target


def judge(returncode: int, output: str, ok_status: Sequence[int], no_warnings: bool) -> Outcome:
    """Passed when the status is accepted and, with no_warnings, nothing was warned."""
    passed = returncode in ok_status and not (no_warnings and WARNING.search(output))
    return Outcome(passed, output)


def check(candidate: str, command: Sequence[str], tree: str | None = None, path: str | None = None,
          ok_status: Sequence[int] = (0,), no_warnings: bool = False) -> Outcome:
    """Run the check on the candidate, in a copy of `tree` when one is given."""
    if (tree is None) != (path is None):
        raise ValueError("--tree and --path go together")
    with tempfile.TemporaryDirectory(prefix="vmail-config-check.") as scratch:
        if tree is not None and path is not None:
            copy = os.path.join(scratch, "tree")
            # Symlinks stay links: a link out of the tree still points where it did.
            shutil.copytree(tree, copy, symlinks=True)
            file = place_candidate(copy, path, candidate)
        else:
            copy, file = os.path.dirname(candidate), candidate
        output_dir = os.path.join(scratch, "output")
        os.mkdir(output_dir)
        run = subprocess.run(substitute(command, copy, file, output_dir), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, check=False)
        # The tool names the scratch copy; say which live file it stands for.
        output = run.stdout
        if tree is not None and path is not None:
            output = output.replace(copy, tree.rstrip("/"))
        return judge(run.returncode, output, ok_status, no_warnings)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vmail-config-check",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tree", help="the live configuration directory to copy")
    parser.add_argument("--path", help="the candidate's path relative to --tree")
    parser.add_argument("--ok-status", type=int, action="append",
                        help="an accepted exit status of the check (default 0; repeatable)")
    parser.add_argument("--no-warnings", action="store_true",
                        help="fail when the check prints a warning or an error")
    parser.add_argument("candidate", help="the file Ansible is about to write (validate's %%s)")
    parser.add_argument("command", nargs="+", help="the check, after --; {tree} and {file} replaced")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        outcome = check(args.candidate, args.command, args.tree, args.path,
                        args.ok_status or [0], args.no_warnings)
    except (OSError, ValueError) as exc:
        print(f"vmail-config-check: {exc}", file=sys.stderr)
        return 1
    if not outcome.passed:
        where = f"{args.tree.rstrip('/')}/{args.path}" if args.tree and args.path else args.candidate
        print(f"vmail-config-check: {' '.join(args.command)} rejected the new {where}:",
              file=sys.stderr)
        print(outcome.output.rstrip() or "(no output)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
