"""Colour palettes for plots (SPEC 14.1): ``datamatrix.colors.tango``.

>>> from datamatrix.colors.tango import blue, orange
>>> blue[1], orange[3]
('#729fcf', '#ce5c00')
"""
from datamatrix.colors import tango

__all__ = ['tango']
