"""Suggestions for error messages: the nearest known names to a misspelled one."""
from __future__ import annotations

import difflib
from typing import Any, Iterable

_LISTED = 12
"""At most this many valid names are listed in a message."""


def nearest(name: Any, candidates: Iterable[Any], n: int = 3) -> list[Any]:
    """The candidates closest to ``name`` (case-insensitive matches first).

    Examples
    --------
    >>> nearest('rtt', ['rt', 'response', 'correct'])
    ['rt']
    >>> nearest('FZ', ['Fz', 'Cz'])
    ['Fz']
    """
    if not isinstance(name, str):
        return []
    texts = {str(c): c for c in candidates if isinstance(c, str)}
    folded = [c for text, c in texts.items() if text.lower() == name.lower()]
    close = difflib.get_close_matches(name, list(texts), n=n, cutoff=0.6)
    result = folded + [texts[text] for text in close if texts[text] not in folded]
    return result[:n]


def _or_list(values: list[Any]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ', '.join(shown[:-1]) + ' or ' + shown[-1]


def listing(candidates: Iterable[Any]) -> str:
    """The valid names, at most a dozen, as ``"'a', 'b'"``."""
    candidates = list(candidates)
    shown = ', '.join(repr(c) for c in candidates[:_LISTED])
    more = f', ... ({len(candidates)} in all)' if len(candidates) > _LISTED else ''
    return shown + more


def suggestion(name: Any, candidates: Iterable[Any], what: str = 'names') -> str:
    """``"; did you mean 'rt'?"``, or a list of the valid names, or ``''``.

    Examples
    --------
    >>> suggestion('rtt', ['rt', 'x'])
    "; did you mean 'rt'?"
    >>> suggestion('q', ['rt', 'x'], 'columns')
    "; columns: 'rt', 'x'"
    """
    candidates = list(candidates)
    close = nearest(name, candidates)
    if close:
        return f'; did you mean {_or_list(close)}?'
    if not candidates:
        return ''
    return f'; {what}: {listing(candidates)}'
