"""The package's layers: imports run one way (engine <- table <- toolkit), no cycles.

Every import counts, at module level or inside a function, as in the project's
import-graph tool.
"""
import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).parents[2] / 'src' / 'datamatrix'
FOUNDATION = {'datamatrix.errors', 'datamatrix._optional'}


def _modules() -> dict[str, pathlib.Path]:
    mods = {}
    for path in PACKAGE.rglob('*.py'):
        parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
        if parts[-1] == '__init__':
            parts = parts[:-1]
        mods['.'.join(parts)] = path
    return mods


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (every import, also in functions)."""
    mods = _modules()
    graph = {name: set() for name in mods}
    for name, path in mods.items():
        is_pkg = path.name == '__init__.py'
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ''
                if node.level:
                    here = name.split('.') if is_pkg else name.split('.')[:-1]
                    here = here[:len(here) - (node.level - 1)]
                    base = '.'.join(here + ([node.module] if node.module else []))
                targets = [base] + [f'{base}.{alias.name}' for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition('.')[0]
                if target and target not in (name, 'datamatrix'):
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module."""
    reach = {}
    for start in graph:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[start] = seen
    comps = {frozenset({m} | {n for n in reach[m] if m in reach[n]}) for m in graph}
    return [set(c) for c in comps if len(c) > 1]


def _layer(name: str) -> str:
    parts = name.split('.')
    return parts[1] if len(parts) > 1 else ''


def test_the_import_graph_has_no_cycles():
    """No module reaches itself through imports."""
    assert _cycles(_graph()) == []


def test_cycle_detection_finds_a_cycle():
    """The check above can fail: a two-module cycle is found."""
    assert _cycles({'a': {'b'}, 'b': {'a'}, 'c': {'a'}}) == [{'a', 'b'}]


@pytest.mark.parametrize('layer, allowed', [
    ('_engine', {'_engine'}),
    ('_table', {'_engine', '_table'}),
])
def test_lower_layers_never_import_higher_ones(layer, allowed):
    """The engine imports only itself; the table only the engine and itself."""
    wrong = {(name, target) for name, targets in _graph().items()
             if _layer(name) == layer for target in targets
             if target not in FOUNDATION and _layer(target) not in allowed}
    assert wrong == set()


def test_nothing_imports_the_compatibility_paths():
    """``datamatrix._datamatrix`` only re-exports for client packages."""
    users = {name for name, targets in _graph().items()
             if _layer(name) != '_datamatrix'
             and any(_layer(t) == '_datamatrix' for t in targets)}
    assert users == set()


def test_import_datamatrix_loads_no_optional_package():
    """``import datamatrix`` stays cheap: heavy optional libraries load lazily."""
    heavy = ['pandas', 'scipy', 'xarray', 'dask', 'zarr', 'matplotlib', 'mne',
             'openpyxl', 'tqdm', 'nibabel', 'pyarrow', 'eyelinkparser']
    code = ('import sys, datamatrix, datamatrix.io, datamatrix.operations, '
            'datamatrix.series, datamatrix.convert, datamatrix.functional, '
            'datamatrix.multidimensional, datamatrix.plot; '
            f'print([m for m in {heavy!r} if m in sys.modules])')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'
