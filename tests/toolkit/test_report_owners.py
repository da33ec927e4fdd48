"""memory_report names the DataMatrix of each column and warns when the budget
cannot bite (issue 15, part 5)."""
import gc

import pytest

from datamatrix import DataMatrix, SeriesColumn, cfg, memory_report

# module-level names, as in a notebook or a script: the report finds these
owner_dm = owner_alias = owner_selection = None


@pytest.fixture
def settings():
    saved = cfg.memory_limit, cfg.always_load_max_size
    yield cfg
    cfg.memory_limit, cfg.always_load_max_size = saved


@pytest.fixture
def tables():
    global owner_dm, owner_alias, owner_selection
    owner_dm = DataMatrix(length=4)
    owner_dm.owner_s = SeriesColumn(depth=8)
    owner_dm.owner_t = owner_dm.owner_s  # shares storage: one entry
    owner_alias = owner_dm
    owner_selection = owner_dm[1:]
    yield
    owner_dm = owner_alias = owner_selection = None
    gc.collect()


def entries(report, column):
    return [e for e in report.entries if column in e.name.split(', ')]


def test_each_store_is_listed_once_with_its_datamatrix(tables):
    report = memory_report()
    original, selection = sorted(entries(report, 'owner_s'), key=lambda e: -e.shape[0])
    assert original.name == 'owner_s, owner_t'
    assert original.datamatrix == 'owner_dm = owner_alias'
    assert selection.shape == (3, 8) and selection.datamatrix == 'owner_selection'
    assert 'owner_dm = owner_alias' in str(report)
    assert '<td>owner_selection</td>' in report._repr_html_()


def test_unnamed_datamatrix_and_unassigned_results(tables):
    local = DataMatrix(length=2)  # a local variable: shown as in its repr
    local.owner_local = SeriesColumn(depth=3)
    result = owner_dm.owner_s * 2  # bound to owner_dm, but not one of its columns
    report = memory_report()
    (entry,) = entries(report, 'owner_local')
    assert entry.datamatrix == f'DataMatrix 0x{id(local):x}'
    assert f'DataMatrix[{local._family}, 0x{id(local):x}]' == repr(local).split('\n')[0]
    assert any(e.name == '(not in a DataMatrix)' and e.datamatrix == '' and
               e.shape == (4, 8) for e in report.entries)
    del result


def test_warns_when_pinned_columns_exceed_the_budget(tables, settings):
    settings.memory_limit = 100  # bytes; the columns are pinned (below 128 MiB)
    report = memory_report()
    (warning,) = report.warnings
    assert 'cfg.always_load_max_size' in warning and 'budget of 100 B' in warning
    text = str(report).splitlines()
    assert text[-2].startswith('Warning: ') and 'budget' in text[-1]
    assert '<strong>Warning:</strong>' in report._repr_html_()


def test_warns_when_the_budget_is_below_the_pinning_size(tables, settings):
    settings.memory_limit = '1GB'
    settings.always_load_max_size = '2GB'
    (warning,) = memory_report().warnings
    assert 'smaller than cfg.always_load_max_size' in warning
    assert 'never offloaded' in warning


def test_no_warning_when_the_budget_applies(tables, settings):
    settings.memory_limit = '1GB'
    settings.always_load_max_size = '1MB'
    report = memory_report()
    assert report.warnings == []
    assert 'Warning' not in str(report) and 'Warning' not in report._repr_html_()
    settings.always_load_max_size = 0  # nothing pinned: nothing to warn about
    settings.memory_limit = 100
    assert memory_report().warnings == []


def test_shallow_copies_sharing_a_column_are_all_named(tables):
    import copy
    global owner_alias
    owner_alias = copy.copy(owner_dm)  # shares the column objects, and their store
    report = memory_report()
    original = max(entries(report, 'owner_s'), key=lambda e: e.shape[0])
    assert original.datamatrix == 'owner_dm, owner_alias'
    assert len(entries(report, 'owner_s')) == 2  # the original and owner_selection
