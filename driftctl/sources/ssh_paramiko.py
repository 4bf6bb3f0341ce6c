"""Imported before paramiko by every SSH module: paramiko without Invoke, so no ssh_config command runs.

paramiko's ``config`` module imports Invoke at paramiko's own import, only to run the shell
commands of ssh_config's ``Match exec`` lines, without any time bound. That import is about
0.1 s of CPU at every ``collect`` over SSH, and running a command from a user's ssh_config
with no timeout is what driftctl must never do. A ``None`` entry makes ``import invoke`` fail
at once; paramiko then raises ``ImportError`` only if a ``Match exec`` line is evaluated, which
``ssh_resolve`` turns into an input error naming the file.
"""

from __future__ import annotations

import sys

# setdefault: a process that imported Invoke for itself keeps it.
sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]
