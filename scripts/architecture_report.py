"""Print the figures of the code's layout: cycles between apps, imports inside functions, long
modules. ``python scripts/architecture_report.py`` from the repository root.

Apps are the project's installed Django apps (a sub-app such as ``forms.sms`` counts on its
own); an edge A → B means some module of A imports one of B (grimp, the graph import-linter
uses). A cycle is a strongly connected set of apps. Migrations and tests are left out.
"""

import ast
import os
import sys
from pathlib import Path

import django
import grimp
from django.apps import apps as app_registry

ROOT = Path(__file__).resolve().parent.parent
LONG_MODULE = 600


def project_apps() -> list[str]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    django.setup()
    names = {
        config.name
        for config in app_registry.get_app_configs()
        if (ROOT / config.name.replace(".", "/")).is_dir()
    }
    return sorted(names | {"cms"})


def owner(module: str, apps: list[str]) -> str | None:
    """The most specific app a module belongs to."""
    matches = [a for a in apps if module == a or module.startswith(a + ".")]
    return max(matches, key=len) if matches else None


def app_edges(apps: list[str]) -> dict[str, set[str]]:
    top = sorted({a.split(".")[0] for a in apps})
    graph = grimp.build_graph(*top, cache_dir=None)
    edges: dict[str, set[str]] = {a: set() for a in apps}
    for module in graph.modules:
        if ".migrations" in module or ".tests" in module:
            continue
        source = owner(module, apps)
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner(imported, apps)
            if source and target and source != target and ".migrations" not in imported:
                edges[source].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def source_files(apps: list[str]):
    tops = sorted({a.split(".")[0] for a in apps})
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            yield path


def function_imports(path: Path, tops=()) -> tuple[int, int]:
    """Import statements inside a function body: all of them, and those of project modules."""

    class Counter(ast.NodeVisitor):
        def __init__(self):
            self.depth = 0
            self.count = 0
            self.project = 0

        def visit_FunctionDef(self, node):
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Import(self, node):
            if self.depth == 0:
                return
            self.count += 1
            if isinstance(node, ast.ImportFrom):
                relative = node.level > 0
                names = [node.module or ""]
            else:
                relative = False
                names = [alias.name for alias in node.names]
            self.project += relative or any(n.split(".")[0] in tops for n in names)

        visit_ImportFrom = visit_Import

    counter = Counter()
    counter.visit(ast.parse(path.read_text(encoding="utf-8")))
    return counter.count, counter.project


def main() -> int:
    apps = project_apps()
    edges = app_edges(apps)
    found = cycles(edges)
    print(f"apps: {len(apps)}  ({', '.join(apps)})")
    print(f"app import edges: {sum(len(v) for v in edges.values())}")
    for source in apps:
        if edges[source]:
            print(f"  {source} -> {', '.join(sorted(edges[source]))}")
    print(f"cycles between apps: {len(found)}")
    for component in found:
        print(f"  {' <-> '.join(component)}")
    files = list(source_files(apps))
    tops = tuple(sorted({a.split(".")[0] for a in apps}))
    inner = {p: function_imports(p, tops) for p in files}
    total = sum(v[0] for v in inner.values())
    project = sum(v[1] for v in inner.values())
    print(
        f"imports inside functions: {total} in {sum(1 for v in inner.values() if v[0])} modules, "
        f"{project} of them of the project's own modules"
    )
    lengths = sorted(((len(p.read_text(encoding="utf-8").splitlines()), p) for p in files), reverse=True)
    long = [(n, p) for n, p in lengths if n > LONG_MODULE]
    print(f"modules over {LONG_MODULE} lines: {len(long)}")
    for n, p in long:
        print(f"  {n:5d}  {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
