"""The package's shape, as docs/ARCHITECTURE.md draws it: no import cycle
between its modules, small modules, and the library reading no absl flags."""
import ast
import os

import pytest
from conftest import PROJECT_ROOT

PACKAGE = os.path.join(PROJECT_ROOT, "m2vaal_tf")
MAX_LINES = 260


def modules():
    """{dotted module name: path} of every module of the package."""
    found = {}
    for directory, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                dotted = os.path.relpath(path, PROJECT_ROOT)[:-3].replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    return found


def imports_of(path, known):
    """The package modules a module imports (`from a import b` counts as a.b when that is a module)."""
    targets = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("m2vaal_tf"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in known else node.module)
    return targets


def test_no_import_cycle():
    known = modules()
    graph = {name: imports_of(path, known) - {name} for name, path in known.items()}
    # A package's __init__ importing its own submodules (registries) is not a cycle of design.
    graph = {name: {t for t in targets if not (name in t and t.startswith(name + "."))}
             for name, targets in graph.items()}
    state = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            cycle = trail[trail.index(name):] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            visit(target, trail + [name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_modules_are_small():
    long = {name: n for name, path in modules().items()
            if (n := sum(1 for _ in open(path, encoding="utf-8"))) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_library_reads_no_flags():
    """Only the programs (flags, train, compare, score) and cli touch absl flags."""
    programs = {"m2vaal_tf.flags", "m2vaal_tf.train", "m2vaal_tf.compare", "m2vaal_tf.score", "m2vaal_tf.cli"}
    readers = [name for name, path in modules().items()
               if name not in programs and "FLAGS" in open(path, encoding="utf-8").read()]
    assert not readers
