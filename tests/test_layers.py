"""The shape of the code: imports point down the layers, and no module imports itself in a circle.

Layers, lowest first: the ledger core (`consent`), the banner catalogue (`cookies`), the features
built on them (`features`), the faces (`api`, `console`, `demo`), the project (`config`). Every
import counts, those inside functions too, so a circle cannot hide in one.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = {"consent": 0, "cookies": 1, "features": 2, "api": 3, "console": 3, "demo": 3, "config": 4}


def _modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in LAYERS or "migrations" in rel.parts:
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        yield name, path


def _imports(path, known):
    """Project modules a file imports, resolved to the deepest module that exists."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                yield target, node.lineno


def _graph():
    modules = dict(_modules())
    return {name: sorted(set(_imports(path, modules))) for name, path in modules.items()}


def test_imports_point_down_the_layers():
    wrong = []
    for module, imports in _graph().items():
        top = module.split(".")[0]
        for target, line in imports:
            other = target.split(".")[0]
            if other != top and LAYERS[other] >= LAYERS[top]:
                wrong.append(f"{module}:{line} imports {target}")
    assert wrong == []


def _circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_import_walker_sees_imports_inside_functions():
    # features.apps imports its listeners in ready(), once the models are loaded
    assert "features.webhooks" in {target for target, _ in _graph()["features.apps"]}


def test_no_import_circles():
    graph = {module: {target for target, _ in imports if target != module} for module, imports in _graph().items()}
    assert _circles(graph) == []
