"""The documentation builds without warnings, and every Python example in it runs.

Two checks:

* the Sphinx build of ``docs/`` (``sphinx-build -W --keep-going -b html``) into a
  temporary folder gives no warning (skipped only when Sphinx is not installed);
* every fenced ```` ```python ```` block of ``README.md`` and of every page in
  ``docs/`` runs. The blocks of one page run in order in one namespace, in a fresh
  temporary working directory (``cfg.tmp_dir`` points there too), with a small
  memory budget (``cfg.memory_limit`` = 256 MB unless the page sets its own) and
  matplotlib's non-interactive ``Agg`` backend. Settings are restored afterwards.

Opting out: a block directly preceded by the line ``<!-- docs-test: skip -->`` is
only compiled, not run (for gigabyte examples or scripts that start a cluster); a
block preceded by ``<!-- docs-test: requires mne -->`` (any module names, separated
by spaces) runs only when those modules can be imported, and is skipped otherwise.
Both are HTML comments, invisible on GitHub and in the built pages. Use them
sparingly: every other block must run as shown.
"""
import gc
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from datamatrix import cfg

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / 'docs'
PAGES = [ROOT / 'README.md'] + sorted(DOCS.glob('*.md'))

_FENCE = re.compile(r'^(?P<indent>[ ]{0,3})(?P<fence>`{3,})[ ]*(?P<info>[^`\n]*)$')
_MARKER = re.compile(r'^<!--\s*docs-test:\s*(?P<what>skip|requires\s+[\w. ]+?)\s*-->$')
_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir', 'progress')


def python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """The ```python blocks of a Markdown text: (line number, code, marker or None)."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match['fence'], match['info'].strip()
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        if info.split()[:1] != ['python']:
            continue
        marker = None
        previous = lines[start - 1].strip() if start > 0 else ''
        found = _MARKER.match(previous)
        if found:
            marker = ' '.join(found['what'].split())
        elif previous.startswith('<!--') and 'docs-test' in previous:
            raise ValueError(f'line {start}: unknown docs-test marker {previous!r}')
        blocks.append((start + 1, '\n'.join(body) + '\n', marker))
    return blocks


def test_python_blocks_are_found():
    """The block parser sees fences, their language and the markers before them."""
    text = ('text\n```python\na = 1\n```\n```bash\nls\n```\n'
            '<!-- docs-test: skip -->\n```python\nhuge()\n```\n'
            '<!-- docs-test: requires mne  xarray -->\n````python\nb = 2\n````\n')
    assert python_blocks(text) == [(2, 'a = 1\n', None), (9, 'huge()\n', 'skip'),
                                   (13, 'b = 2\n', 'requires mne xarray')]
    with pytest.raises(ValueError, match='unknown docs-test marker'):
        python_blocks('<!-- docs-test: skp -->\n```python\nx\n```\n')


def test_every_page_is_checked():
    """The guide pages exist and have examples; README's tour is among them."""
    names = {page.name for page in PAGES}
    for name in ('getting-started.md', 'tables.md', 'multidimensional.md', 'series.md',
                 'largedata.md', 'files.md', 'interop.md', 'scaleout.md'):
        assert name in names
        assert python_blocks((DOCS / name).read_text(encoding='utf-8')), name
    assert python_blocks((ROOT / 'README.md').read_text(encoding='utf-8'))


# architecture.md is being rewritten by its owner; drop it from this set once it is.
_SPEC_EXEMPT = {'architecture.md'}


def test_pages_do_not_cite_the_specification():
    """Users do not have the project's specification: no page may point them to it."""
    cited = re.compile(r'\bSPEC\b|(?i:\bspec\.md\b|\bsection \d+(\.\d+)+)')
    offenders = []
    for page in PAGES + [ROOT / 'SECURITY.md']:
        if page.name in _SPEC_EXEMPT:
            continue
        for number, line in enumerate(page.read_text(encoding='utf-8').splitlines(), 1):
            if cited.search(line):
                offenders.append(f'{page.name}:{number}: {line.strip()}')
    assert not offenders, '\n'.join(offenders)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@pytest.fixture
def page_environment(tmp_path, monkeypatch):
    """A temporary working directory, a small budget, settings restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    cfg.memory_limit = '256MB'
    cfg.progress = False
    try:
        yield tmp_path
    finally:
        if 'matplotlib.pyplot' in sys.modules:
            sys.modules['matplotlib.pyplot'].close('all')
        for name, value in saved.items():
            setattr(cfg, name, value)
        gc.collect()


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_page_examples_run(page, page_environment):
    """Every ```python block of the page runs, in order, in one namespace."""
    text = page.read_text(encoding='utf-8')
    namespace = {'__name__': '__docs__'}
    skipped = []
    ran = 0
    for line, code, marker in python_blocks(text):
        where = f'{page.name}:{line}'
        compiled = compile(code, where, 'exec')
        if marker == 'skip':
            continue
        if marker is not None:  # 'requires a b'
            missing = [name for name in marker.split()[1:] if not _importable(name)]
            if missing:
                skipped.append(f'{where} (needs {", ".join(missing)})')
                continue
        try:
            exec(compiled, namespace)
        except Exception as exc:
            raise AssertionError(f'the example at {where} fails: {exc!r}') from exc
        ran += 1
    namespace.clear()
    if skipped:
        pytest.skip(f'{ran} examples ran; not run: ' + '; '.join(skipped))


def test_docs_build_without_warnings(tmp_path):
    """``sphinx-build -W --keep-going -b html docs`` succeeds into a temporary folder."""
    pytest.importorskip('sphinx', reason='sphinx is not installed (pip install '
                        '"datamatrix[docs]")')
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-b', 'html', '-q',
         '-d', str(tmp_path / 'doctrees'), str(DOCS), str(tmp_path / 'html')],
        capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / 'html' / 'index.html').exists()
    assert (tmp_path / 'html' / 'api' / 'datamatrix.html').exists()
    assert not list(DOCS.glob('**/generated')), 'the build wrote into docs/'
