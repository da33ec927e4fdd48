"""1.0 path of the row-id type.

Row ids (``dm._rowid``) are a plain ``int64`` :class:`numpy.ndarray` here, so
``Index`` is that class.
"""
import numpy as np

Index = np.ndarray

__all__ = ['Index']
