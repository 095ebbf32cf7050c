"""Benchmarks: ``python -m benchmarks`` runs every ``benchmarks/<name>.py`` that defines ``run()``.

They print figures; they are not timed tests and never run in the test suite.
"""
