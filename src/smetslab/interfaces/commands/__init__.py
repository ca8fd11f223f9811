"""CLI sub-commands. Each module exposes ``register(app)`` adding its commands to the root app.

A command returns an int exit code (0 ok, 1 a failed run/verification); bad input raises
``InputError`` (exit 2), which ``interfaces.cli.main`` turns into a one-line message.
"""

from __future__ import annotations

from types import ModuleType

from smetslab.interfaces.commands import compare, gbcs, keys, results, risk, serve, utrn, zigbee
from smetslab.interfaces.commands import premises as premises_cmd

COMMAND_MODULES: list[ModuleType] = [utrn, gbcs, keys, zigbee, compare, results, premises_cmd, risk, serve]
