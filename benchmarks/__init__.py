"""Benchmarks: ``python -m benchmarks`` runs every ``benchmarks/<name>.py`` that defines ``run()``.

They print figures; they are not timed tests and never run in the test suite.
"""

import sys

CHILD = "--child"


def child_command(name: str, *arguments: str) -> list[str]:
    """The command that runs ``benchmarks.<name>.child(arguments)`` in a fresh process."""
    return [sys.executable, "-m", "benchmarks", CHILD, name, *arguments]
