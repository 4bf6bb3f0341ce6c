"""The one module that imports paramiko, after shutting Invoke out: no ssh_config command runs.

paramiko's ``config`` module imports Invoke at paramiko's own import, only to run the shell
commands of ssh_config's ``Match exec`` lines, without any time bound. That import is about
0.1 s of CPU at every ``collect`` over SSH, and running a command from a user's ssh_config
with no timeout is what driftctl must never do. A ``None`` entry makes ``import invoke`` fail
at once; paramiko then raises ``ImportError`` only if a ``Match exec`` line is evaluated, which
``ssh_resolve`` turns into an input error naming the file. Every SSH module takes paramiko's
names from here, so no import order can let paramiko load first.
"""

from __future__ import annotations

import sys

# setdefault: a process that imported Invoke for itself keeps it.
sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]

from paramiko import (  # noqa: E402  (after the line above, which is the point of this module)
    Agent,
    AuthenticationException,
    Channel,
    ChannelException,
    HostKeys,
    PasswordRequiredException,
    PKey,
    SSHConfig,
    SSHException,
    Transport,
)

__all__ = [
    "Agent",
    "AuthenticationException",
    "Channel",
    "ChannelException",
    "HostKeys",
    "PKey",
    "PasswordRequiredException",
    "SSHConfig",
    "SSHException",
    "Transport",
]
