"""``closeframe probe``'s options, apart from the command so that they cost nothing.

The CLI builds every command's parser at each run; socket, ssl and the
browser policies load only when ``probe`` runs (command.py).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 600:  # also refuses nan
        raise argparse.ArgumentTypeError(f"not a number of seconds in (0, 600]: {text!r}")
    return value


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``probe`` to the CLI's subcommands."""
    probe: argparse.ArgumentParser = commands.add_parser(
        "probe",
        help="test a live WebSocket server's close handling",
        description="Connect to a WebSocket server once per scenario, close the way the"
        " scenario says, and judge the server's answer against the strict rules.",
    )
    probe.add_argument("url", nargs="?", help="ws://HOST[:PORT]/PATH or wss://...")
    probe.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="run only this scenario (repeatable; --list names them)",
    )
    probe.add_argument("--list", action="store_true", help="list the scenarios and exit")
    probe.add_argument(
        "--timeout",
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help="how long to wait for the server in each scenario (default 2)",
    )
    probe.add_argument(
        "--wait-for-server-close",
        type=_seconds,
        metavar="SECONDS",
        help="add the scenario server-close: wait this long for the server to close first",
    )
    probe.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra header for the opening handshake (repeatable): a token, an Origin",
    )
    probe.add_argument(
        "--insecure", action="store_true", help="wss://: do not verify the server's certificate"
    )
    return probe
