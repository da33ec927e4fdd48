"""Sphinx configuration of the datamatrix documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'src')))

import datamatrix  # noqa: E402

project = 'datamatrix'
author = 'the datamatrix authors'
copyright = '2026, the datamatrix authors'
release = datamatrix.__version__
version = release

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.autosummary',
    'numpydoc',
]

source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']

# MyST: heading anchors so that pages can link to ``page.md#section``.
myst_heading_anchors = 3

# autodoc / autosummary: no generated stub files; every module page documents its
# members with ``automodule`` and lists them with an ``autosummary`` table.
autosummary_generate = False
autodoc_default_options = {'members': True, 'member-order': 'bysource'}
autodoc_typehints = 'none'
autodoc_preserve_defaults = True
autodoc_mock_imports = []

# numpydoc
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

html_theme = 'alabaster'
html_static_path = []
html_title = f'datamatrix {release}'
