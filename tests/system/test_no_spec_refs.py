"""The documentation stands on its own: no references to the project's internal spec,
and enough runnable examples in the docstrings that the count cannot quietly drop."""
import doctest
import importlib
import pathlib
import pkgutil
import re

import datamatrix

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / 'src' / 'datamatrix'

# "SPEC.md", "SPEC 7.11", "SPEC 7-11", "(SPEC 4)", "spec section 3", "section 4.5 of the spec"
SPEC_REF = re.compile(r'SPEC\.md|\bSPEC\s*[0-9]|\bspec(?:ification)?\s+section|'
                      r'\bsection\s+[0-9.]+\s+of\s+the\s+spec', re.IGNORECASE)


def _spec_refs(paths):
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            if SPEC_REF.search(line):
                found.append(f'{path.relative_to(ROOT)}:{number}: {line.strip()}')
    return found


def test_pattern_finds_the_forms_of_a_spec_reference():
    """The check itself recognises each way the spec used to be cited."""
    for text in ('see SPEC.md', '(SPEC 7.11)', 'SPEC 7-11', 'spec section 4', '(SPEC 4)',
                 'section 4.5 of the spec'):
        assert SPEC_REF.search(text), text
    for text in ('a shape spec', 'the column spec of from_mne_epochs', 'inspect.signature'):
        assert not SPEC_REF.search(text), text


def test_no_spec_references_in_the_package():
    """No source file in src/ cites the spec (docstrings and comments included)."""
    assert _spec_refs(sorted(SRC.rglob('*.py'))) == []


def test_no_spec_references_in_the_documentation():
    """README.md and docs/ do not cite the spec users do not have."""
    paths = [ROOT / 'README.md'] + sorted((ROOT / 'docs').rglob('*.md')) + \
        sorted((ROOT / 'docs').rglob('*.rst'))
    assert _spec_refs([p for p in paths if p.exists()]) == []


def _docstrings_with_examples():
    """Names of every docstring in the package with examples that doctest runs (not +SKIP)."""
    finder = doctest.DocTestFinder()
    names = set()
    modules = [datamatrix] + [
        importlib.import_module(info.name) for info in
        pkgutil.walk_packages(datamatrix.__path__, prefix='datamatrix.')]
    for module in modules:
        for test in finder.find(module):
            if any(not example.options.get(doctest.SKIP) for example in test.examples):
                names.add(test.name)
    return names


def test_at_least_100_docstrings_have_examples():
    """At least 100 docstrings carry runnable examples (doctests, run by pytest)."""
    names = _docstrings_with_examples()
    assert len(names) >= 100, f'only {len(names)} docstrings have examples'


def test_public_functions_have_examples():
    """Every public function of the toolkit modules has an example in its docstring."""
    import inspect
    missing = []
    for module_name in ('datamatrix.io', 'datamatrix.operations', 'datamatrix.series',
                        'datamatrix.multidimensional', 'datamatrix.functional',
                        'datamatrix.convert', 'datamatrix.plot'):
        module = importlib.import_module(module_name)
        for name in getattr(module, '__all__', dir(module)):
            obj = getattr(module, name)
            if name.startswith('_') or not callable(obj) or inspect.isclass(obj) and \
                    issubclass(obj, BaseException):
                continue
            if '>>>' not in (inspect.getdoc(obj) or ''):
                missing.append(f'{module_name}.{name}')
    assert missing == []


def test_public_classes_and_their_members_have_examples():
    """The classes of ``datamatrix.__all__``, and every public property and method of
    DataMatrix, Row and the column types, have an example in their docstring."""
    import inspect

    from datamatrix import (DataMatrix, MixedColumn, NumericColumn, Row, SeriesColumn,
                            memory_report)
    dm = DataMatrix(length=1)
    dm.s = SeriesColumn(depth=2)
    missing = [name for name in datamatrix.__all__
               if (inspect.isclass(getattr(datamatrix, name)) or name == 'memory_report')
               and '>>>' not in (inspect.getdoc(getattr(datamatrix, name)) or '')]
    assert memory_report.__doc__ and '>>>' in memory_report.__doc__
    for cls in (DataMatrix, Row, MixedColumn, NumericColumn, type(dm.s), type(dm.s).__base__):
        for name, member in vars(cls).items():
            if name.startswith('_') or not (isinstance(member, property) or
                                            inspect.isfunction(member)):
                continue
            if '>>>' not in (inspect.getdoc(member) or ''):
                missing.append(f'{cls.__name__}.{name}')
    assert missing == []
