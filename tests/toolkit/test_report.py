"""Tests of datamatrix.memory_report: live MD columns, their state and the budget."""
import gc

import numpy as np

import datamatrix
from datamatrix import DataMatrix, MultiDimensionalColumn, SeriesColumn, memory_report
from datamatrix._engine.config import cfg
from datamatrix._engine.memory import manager
from datamatrix._report import format_bytes


def entry_for(report, name):
    """The report entry listing column ``name`` (names may be joined for aliases)."""
    matches = [e for e in report.entries if name in e.name.split(', ')]
    assert len(matches) == 1, report
    return matches[0]


def test_report_lists_named_columns_with_size_dtype_and_state(storage):
    """Every MD column appears with its name, kind, shape, dtype, size and state."""
    dm = DataMatrix(length=3)
    dm.report_s = SeriesColumn(depth=5)
    dm.report_m = MultiDimensionalColumn(shape=(2, 4), dtype=np.float32)
    storage.prepare(dm.report_s)
    report = memory_report()
    series = entry_for(report, 'report_s')
    assert (series.kind, series.shape, series.dtype, series.nbytes) == \
        ('series', (3, 5), 'float64', 3 * 5 * 8)
    assert series.state == ('offloaded' if storage.offloaded else 'loaded (pinned)')
    md = entry_for(report, 'report_m')
    assert (md.kind, md.shape, md.dtype, md.nbytes) == \
        ('multidimensional', (3, 2, 4), 'float32', 3 * 8 * 4)
    assert report.memory_limit == cfg.memory_limit
    assert report.resident == manager.resident


def test_report_budget_states_and_totals(tmp_path):
    """Columns above always_load_max_size count against the budget; totals add up."""
    saved = (cfg.memory_limit, cfg.always_load_max_size, cfg.tmp_dir)
    cfg.memory_limit, cfg.always_load_max_size, cfg.tmp_dir = 10 ** 6, 100, str(tmp_path)
    try:
        dm = DataMatrix(length=20)
        dm.report_big = SeriesColumn(depth=10)   # 1600 bytes: budgeted
        dm.report_small = SeriesColumn(depth=1)  # 160 bytes
        dm.report_small.loaded = False
        report = memory_report()
        assert entry_for(report, 'report_big').state == 'loaded'
        assert entry_for(report, 'report_small').state == 'offloaded'
        loaded = sum(e.nbytes for e in report.entries if e.state.startswith('loaded'))
        assert loaded == report.resident == manager.resident
        pinned = sum(e.nbytes for e in report.entries if e.state == 'loaded (pinned)')
        assert report.pinned == pinned
        assert report.memory_limit == 10 ** 6
    finally:
        cfg.memory_limit, cfg.always_load_max_size, cfg.tmp_dir = saved


def test_report_aliases_unbound_results_and_freed_columns():
    """Aliases share one entry, unassigned results are marked, freed columns vanish."""
    dm = DataMatrix(length=2)
    dm.report_a = SeriesColumn(depth=3)
    dm.report_b = dm.report_a
    result = dm.report_a * 2
    gc.collect()
    report = memory_report()
    assert entry_for(report, 'report_a').name == 'report_a, report_b'
    assert any(e.name == '(not in a DataMatrix)' and e.shape == (2, 3)
               for e in report.entries)
    count = len(report.entries)
    del result, report
    gc.collect()
    assert len(memory_report().entries) == count - 1
    del dm
    gc.collect()
    assert all('report_a' not in e.name for e in memory_report().entries)


def test_report_text_and_html():
    """str/repr give a plain-text table with a summary line; _repr_html_ a table."""
    dm = DataMatrix(length=2)
    dm.report_pupil = SeriesColumn(depth=1000)
    report = memory_report()
    text = str(report)
    assert text == repr(report)
    line = next(line for line in text.splitlines() if 'report_pupil' in line)
    assert '2 x 1000' in line and 'float64' in line and '15.6 KiB' in line
    assert 'budget ' + format_bytes(cfg.memory_limit) in text.splitlines()[-1]
    assert 'resident ' + format_bytes(manager.resident) in text.splitlines()[-1]
    html = report._repr_html_()
    assert html.startswith('<table>') and '<td>report_pupil</td>' in html
    assert '<td>15.6 KiB</td>' in html


def test_report_is_exported_and_format_bytes():
    """memory_report is a top-level name; sizes use binary units."""
    assert datamatrix.memory_report is memory_report
    assert 'memory_report' in datamatrix.__all__
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536, 5 * 2 ** 20, 2 ** 40)] == \
        ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB', '1.0 TiB']


def test_cfg_shows_the_memory_report():
    """cfg.memory_report is the same report as datamatrix.memory_report()."""
    from datamatrix import cfg, memory_report
    assert type(cfg.memory_report) is type(memory_report())
    assert str(cfg.memory_report).splitlines()[0] == str(memory_report()).splitlines()[0]
