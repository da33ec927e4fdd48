"""``NiftiColumn``: a column of NIfTI brain images (optional ``nibabel``).

Each cell holds a ``nibabel`` image object, a path to an image file, or ``None``
(the default, an empty cell). Paths are stored as given and the file is loaded
with ``nibabel.load`` each time the cell is read (nibabel itself reads the voxel
data only when they are used), so a column of many file names costs no memory.

``col.mean`` (and ``col[...]``) is the voxel-wise NaN-ignoring mean over the
non-empty cells, as a new ``Nifti1Image`` with the affine and header of the first
image; it is computed one image at a time.

nibabel is imported when a NiftiColumn is created, never at ``import
datamatrix``; without it, creating one raises an ``ImportError`` that names the
extra: ``pip install "datamatrix[nifti]"``.

Examples
--------
>>> import nibabel
>>> from datamatrix import NiftiColumn
>>> for subject, value in (('01', 1.), ('02', 3.)):
...     image = nibabel.Nifti1Image(np.full((2, 2, 2), value), affine=np.eye(4))
...     nibabel.save(image, f'sub-{subject}.nii.gz')
...
>>> dm = DataMatrix(length=2)
>>> dm.img = NiftiColumn
>>> dm.img = 'sub-01.nii.gz', 'sub-02.nii.gz'
>>> print(dm.img)
col['sub-01.nii.gz', 'sub-02.nii.gz']
>>> mean_image = dm.img[...]
>>> float(mean_image.get_fdata()[0, 0, 0])
2.0
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from datamatrix._optional import optional_import
from datamatrix._table import keys as _keys
from datamatrix._table.columns import ListColumn
from datamatrix.errors import InvalidValueError


def _nibabel():
    return optional_import('nibabel', 'NiftiColumn')


def _is_image(value: Any) -> bool:
    """Whether ``value`` is a nibabel image (anything with data, affine and header)."""
    return hasattr(value, 'get_fdata') and hasattr(value, 'affine') and \
        hasattr(value, 'header')


class NiftiColumn(ListColumn):
    """A column whose cells are NIfTI images, file paths to them, or ``None``.

    Create it like any column type: ``dm.img = NiftiColumn``, then assign images
    or paths (``str`` or ``os.PathLike``). Reading a cell gives an image (a path
    is loaded with ``nibabel.load``) or ``None``. ``col.mean`` / ``col[...]`` is
    the voxel-wise mean image. Arithmetic and the other statistics are not
    supported (``TypeError`` / ``NotImplementedError``).

    Raises
    ------
    ImportError
        On creation, when nibabel is not installed (the message names the
        ``datamatrix[nifti]`` extra).

    Examples
    --------
    >>> import nibabel
    >>> from datamatrix import NiftiColumn
    >>> dm = DataMatrix(length=3)
    >>> dm.img = NiftiColumn
    >>> dm.img[0] = nibabel.Nifti1Image(np.zeros((2, 2, 2)), affine=np.eye(4))
    >>> dm.img[1] = nibabel.Nifti1Image(np.ones((2, 2, 2)), affine=np.eye(4))
    >>> print(dm.img)
    col['<Nifti1Image (2, 2, 2)>', '<Nifti1Image (2, 2, 2)>', None]
    >>> dm.img[2] is None
    True
    >>> float(dm.img.mean.get_fdata().mean())
    0.5
    """

    default_value = None

    def __init__(self, datamatrix, metadata: Any = None, rowid: np.ndarray | None = None,
                 **kwargs: Any) -> None:
        _nibabel()
        super().__init__(datamatrix, metadata=metadata, rowid=rowid, **kwargs)

    def _convert(self, value: Any) -> Any:
        if value is None or _is_image(value):
            return value
        if isinstance(value, (str, os.PathLike)):
            path = os.fspath(value)
            if not path:
                raise InvalidValueError('a NiftiColumn cell cannot be an empty path')
            return path
        raise InvalidValueError(f'a NiftiColumn holds nibabel images, file paths or '
                                f'None, not {type(value).__name__}: {value!r:.80}')

    def _assign(self, positions, values: list) -> None:
        if isinstance(positions, slice):
            self._seq[positions] = values
        else:
            for position, value in zip(positions, values):
                self._seq[position] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        # an image is one value, not a sequence of values
        if _is_image(value) or isinstance(value, os.PathLike):
            n = len(self)
            if not _keys.is_int(key):
                positions = _keys.row_positions(slice(None) if key is Ellipsis else key,
                                                n, self._rowid, self._datamatrix._family)
                value = [value] * _keys.count_positions(positions, n)
        super().__setitem__(key, value)

    def _cell(self, index: int) -> Any:
        value = self._seq[index]
        if isinstance(value, str):
            return _nibabel().load(value)
        return value

    # -- statistics -------------------------------------------------------------------------
    @property
    def mean(self):
        """The voxel-wise NaN-ignoring mean image of the non-empty cells (None if none).

        Examples
        --------
        >>> import nibabel
        >>> from datamatrix import NiftiColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.img = NiftiColumn
        >>> dm.img[0] = nibabel.Nifti1Image(np.full((1, 1, 2), 2.), affine=np.eye(4))
        >>> dm.img[1] = nibabel.Nifti1Image(np.array([[[4., np.nan]]]), affine=np.eye(4))
        >>> dm.img.mean.get_fdata().ravel()
        array([3., 2.])
        """
        nibabel = _nibabel()
        total = count = first = None
        for image in self:
            if image is None:
                continue
            data = np.asarray(image.get_fdata(), dtype=np.float64)
            if first is None:
                first = image
                total, count = np.zeros(data.shape), np.zeros(data.shape, np.int64)
            elif data.shape != total.shape:
                raise InvalidValueError(f'cannot average images of shapes {total.shape} '
                                        f'and {data.shape}')
            valid = ~np.isnan(data)
            total += np.where(valid, data, 0)
            count += valid
        if first is None:
            return None
        with np.errstate(invalid='ignore', divide='ignore'):
            mean = total / count
        header = first.header.copy()
        header.set_data_dtype(np.float64)
        return nibabel.Nifti1Image(mean, first.affine, header=header)

    def _not_supported(self, what: str):
        raise NotImplementedError(f'NiftiColumn supports only the mean, not {what}')

    median = property(lambda self: self._not_supported('median'))
    std = property(lambda self: self._not_supported('std'))
    min = property(lambda self: self._not_supported('min'))
    max = property(lambda self: self._not_supported('max'))
    sum = property(lambda self: self._not_supported('sum'))
    unique = property(lambda self: self._not_supported('unique'))

    def _arith(self, other: Any, fnc, reflected: bool = False):
        raise TypeError('a NiftiColumn does not support arithmetic; use the image data '
                        '(img.get_fdata()) instead')

    def __array__(self, dtype=None, copy=None):
        array = np.empty(len(self), dtype=object)
        array[:] = list(self._seq)
        return array

    def _shown_cell(self, position: int) -> Any:
        """A short form of one cell for tables: the path, or the image type and shape."""
        value = self._seq[position]
        if value is None or isinstance(value, str):
            return value
        return f'<{type(value).__name__} {value.shape}>'

    def _print_form(self) -> Any:
        return [self._shown_cell(position) for position in range(len(self))]
