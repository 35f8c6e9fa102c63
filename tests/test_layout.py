"""The architecture, as the code's own imports draw it: layers, no way back up, no circles."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("armijo", "functions", "theory", "experiments", "armijo_suite")
#: What each layer may import from the project (ARCHITECTURE.md).
ALLOWED = {
    "armijo": {"armijo"},
    "functions": {"functions"},
    "theory": {"theory", "functions", "armijo"},
    "experiments.machinery": {"experiments.machinery", "theory", "functions", "armijo"},
    "experiments": {"experiments", "theory", "functions", "armijo"},   # the studies
    "armijo_suite": {"armijo_suite", "experiments.machinery", "theory", "functions", "armijo"},
}


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def project_imports(path):
    """Project modules imported anywhere in the file (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in PACKAGES}


def layer(name):
    return "experiments.machinery" if name.startswith("experiments.machinery") else name.split(".")[0]


def test_imports_only_run_downwards():
    known = {name for name, _ in modules()}
    wrong = []
    for name, path in modules():
        allowed = ALLOWED[layer(name)]
        for imported in project_imports(path):
            if imported not in known and imported.rsplit(".", 1)[0] in known:
                imported = imported.rsplit(".", 1)[0]  # from package import name
            target = layer(imported)
            if target not in allowed and not any(imported.startswith(a + ".") or imported == a for a in allowed):
                wrong.append(f"{name} imports {imported}")
    assert not wrong, wrong


def test_no_import_circles():
    known = {name for name, _ in modules()}
    graph = {}
    for name, path in modules():
        edges = set()
        for imported in project_imports(path):
            while imported not in known and "." in imported:
                imported = imported.rsplit(".", 1)[0]
            if imported in known and imported != name:
                edges.add(imported)
        graph[name] = edges
    # a package's __init__ re-exporting its modules is not a circle of the modules themselves
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for target in graph.get(node, ()):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_the_engine_imports_only_numpy_and_optionally_numba():
    for path in sorted((ROOT / "armijo").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert imported <= {"numpy", "numba", "math", "time", "dataclasses", "__future__", "armijo"}, (path.name, imported)
