"""The layout rules of docs/architecture.md, checked on the code itself.

``lint-imports`` (run by ``make test``) enforces the layers and the absence of cycles; these
tests make sure its contract keeps covering every app, and hold the limits on long modules and
on imports inside functions.
"""

import ast
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
LONG_MODULE = 600
FUNCTION_IMPORT_BUDGET = 10
NOT_OURS = {".venv", "var", "node_modules"}
NOT_SHIPPED = {"tests", "benchmarks", "scripts", *NOT_OURS}


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _layered_packages() -> set[str]:
    layers = next(c for c in _importlinter()["contracts"] if c["type"] == "layers")["layers"]
    return {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}


def _project_apps() -> set[str]:
    """Top-level packages of the installed apps that live in this repository."""
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        and not Path(config.path).resolve().relative_to(ROOT).parts[0].startswith(".")
    }


def _modules(excluded=NOT_SHIPPED):
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in excluded or "migrations" in parts or parts[0].startswith("."):
            continue
        yield path


def _shipped_modules():
    return _modules()


def _every_module():
    """Shipped modules and the tests, benchmarks and scripts beside them."""
    return _modules(excluded=NOT_OURS)


def test_every_app_has_a_layer():
    missing = _project_apps() - _layered_packages()
    assert not missing, f"apps without a layer in pyproject.toml's import-linter contract: {sorted(missing)}"


def test_the_contract_covers_every_root_package_and_the_cms():
    roots = set(_importlinter()["root_packages"])
    assert roots == _layered_packages()
    assert _project_apps() | {"cms"} <= roots
    cycle_free = next(c for c in _importlinter()["contracts"] if c["type"] == "acyclic_siblings")
    assert set(cycle_free["ancestors"]) == roots


def test_every_package_with_an_app_config_is_installed():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert packages <= _project_apps(), f"not in INSTALLED_APPS: {sorted(packages - _project_apps())}"


def test_no_module_is_longer_than_the_limit():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _shipped_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONG_MODULE
    }
    assert not long, f"modules over {LONG_MODULE} lines: {long}"


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def test_imports_inside_functions_stay_within_the_budget():
    """Each one is there because Django's app loading needs it, with its reason beside it."""
    found = sorted(where for path in _every_module() for where in _function_imports(path))
    assert len(found) <= FUNCTION_IMPORT_BUDGET, found


def test_function_imports_give_their_reason():
    lines = []
    for path in _every_module():
        text = path.read_text(encoding="utf-8").splitlines()
        lines += [
            w for w in _function_imports(path) if "PLC0415 - " not in text[int(w.rsplit(":", 1)[1]) - 1]
        ]
    assert not lines, f"imports inside functions without a reason: {lines}"
