"""The Tango Desktop Project palette, under the names the reference uses.

Every colour is a :class:`Shades` sequence of hex strings indexed **from 1**, light to
dark: ``blue[1]`` is the light sky blue, ``blue[3]`` the dark one (``[0]`` is taken
as ``[1]`` too, so 0-based code still gets a colour; negative indices count from the
dark end). The grey (aluminium) has six shades, ``gray[1]`` to ``gray[6]``.

Each colour has its Tango name and a plain name:

=============  ======================  ==========================
Tango name     plain names             shades
=============  ======================  ==========================
``butter``     ``yellow``              ``#fce94f #edd400 #c4a000``
``orange``     ``orange``              ``#fcaf3e #f57900 #ce5c00``
``chocolate``  ``brown``               ``#e9b96e #c17d11 #8f5902``
``chameleon``  ``green``               ``#8ae234 #73d216 #4e9a06``
``skyblue``    ``blue``                ``#729fcf #3465a4 #204a87``
``plum``       ``purple``              ``#ad7fa8 #75507b #5c3566``
``scarletred`` ``red``                 ``#ef2929 #cc0000 #a40000``
``aluminium``  ``gray``, ``grey``      six shades, ``#eeeeec`` to ``#2e3436``
=============  ======================  ==========================

Flat names (``blue1``, ``blue2``, ``blue3``, ``gray6``, ...) hold single shades.
The colours work wherever matplotlib takes a colour: ``plot.trace(s, color=blue[2])``.
"""
from __future__ import annotations

from typing import Any


class Shades(tuple):
    """The shades of one colour, light to dark, indexed from 1 (``[0]`` is ``[1]``)."""

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int) and index > 0:
            index -= 1
        return tuple.__getitem__(self, index)

    def __repr__(self) -> str:
        return f'Shades{tuple.__repr__(self)}'


butter = yellow = Shades(('#fce94f', '#edd400', '#c4a000'))
orange = Shades(('#fcaf3e', '#f57900', '#ce5c00'))
chocolate = brown = Shades(('#e9b96e', '#c17d11', '#8f5902'))
chameleon = green = Shades(('#8ae234', '#73d216', '#4e9a06'))
skyblue = blue = Shades(('#729fcf', '#3465a4', '#204a87'))
plum = purple = Shades(('#ad7fa8', '#75507b', '#5c3566'))
scarletred = red = Shades(('#ef2929', '#cc0000', '#a40000'))
aluminium = gray = grey = Shades(('#eeeeec', '#d3d7cf', '#babdb6', '#888a85', '#555753',
                                  '#2e3436'))

_COLORS = {'butter': butter, 'yellow': yellow, 'orange': orange,
           'chocolate': chocolate, 'brown': brown, 'chameleon': chameleon,
           'green': green, 'skyblue': skyblue, 'blue': blue, 'plum': plum,
           'purple': purple, 'scarletred': scarletred, 'red': red,
           'aluminium': aluminium, 'gray': gray, 'grey': grey}
__all__ = ['Shades'] + list(_COLORS)
for _name, _shades in _COLORS.items():
    for _number, _hex in enumerate(_shades, start=1):
        globals()[f'{_name}{_number}'] = _hex
        __all__.append(f'{_name}{_number}')
del _name, _shades, _number, _hex
