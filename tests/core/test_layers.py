"""Core's shape, checked: no import circle, errors at the bottom, HTTP answers only in core/web.

The import graph is read from the source with ``ast`` (nothing is imported), over
every module of the ``core`` package. ``import a.b`` and ``from a import b`` make
an edge to the module they name (``from core import context`` to ``core.context``).
"""
from __future__ import annotations

import ast
from pathlib import Path

import core

CORE = Path(core.__file__).resolve().parent

#: Modules that assemble the others (an app, a worker, the CLI, the test kit). Inside
#: their functions they may import anything, so the graph that counts imports inside
#: functions drops the edges leaving them. Everything else imports only downwards.
COMPOSITION_ROOTS = ("core", "core.hooks", "core.platform", "core.testing", "core.web", "core.cli", "core.celery")


def modules() -> dict[str, Path]:
    found = {}
    for path in CORE.rglob("*.py"):
        parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(path: Path, module: str, *, in_functions: bool) -> set[str]:
    """Dotted names ``module`` imports: at module level (outside ``if TYPE_CHECKING:``), and,
    with ``in_functions``, inside its functions and methods too."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()

    def visit(nodes, top: bool):
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse, top)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module
                names.update(f"{source}.{alias.name}" for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if in_functions:
                    visit(node.body, False)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, []) or [], top)

    visit(ast.parse(path.read_text(encoding="utf-8")).body, True)
    return names


def import_graph(*, in_functions: bool) -> dict[str, set[str]]:
    mods = modules()
    graph = {}
    for name, path in mods.items():
        targets = set()
        for imported in imported_names(path, name, in_functions=in_functions):
            while imported and imported not in mods:  # core.documents.upload -> core.documents
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def describe(graph, components) -> str:
    return "\n".join(f"{' <-> '.join(c)}: " + "; ".join(f"{m} imports {', '.join(sorted(graph[m] & set(c)))}"
                                                      for m in c) for c in components)


def is_root(name: str) -> bool:
    return any(name == root or (root != "core" and name.startswith(root + ".")) for root in COMPOSITION_ROOTS)


def test_the_graph_sees_imports():
    graph = import_graph(in_functions=False)
    assert "core.errors" in graph["core.config"]
    assert "core.documents.store" in graph["core.documents.service"]
    assert "core.context" in graph["core.messages.delivery"]  # from core import context


def test_no_import_circle_in_core():
    graph = import_graph(in_functions=False)
    assert not cycles(graph), "import circle in core:\n" + describe(graph, cycles(graph))


def test_only_composition_roots_import_upwards():
    """Counting imports inside functions too: lower modules never reach back up into a circle."""
    graph = import_graph(in_functions=True)
    graph = {name: set() if is_root(name) else targets for name, targets in graph.items()}
    assert not cycles(graph), "circle through a lazy import:\n" + describe(graph, cycles(graph))


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_errors_are_the_bottom_of_core():
    graph = import_graph(in_functions=True)
    assert not {t for t in graph["core.errors"] if t.startswith("core")}


def test_hooks_import_core_features_only_inside_the_hooks():
    assert import_graph(in_functions=False)["core.hooks"] <= {"core.plugins"}


def test_no_http_exception_outside_core_web():
    """Services raise domain errors (core.errors); only core/web turns them into HTTP answers."""
    offenders = []
    for name, path in modules().items():
        if name == "core.web" or name.startswith("core.web."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module == "pyramid.httpexceptions" or (
                    node.module == "pyramid" and any(a.name == "httpexceptions" for a in node.names))) or isinstance(node, ast.Import) and any(a.name == "pyramid.httpexceptions" for a in node.names):
                offenders.append(f"{path.relative_to(CORE.parent)}:{node.lineno}")
    assert not offenders, "HTTP exceptions outside core/web: " + ", ".join(offenders)
