"""Pure array kernels behind ``datamatrix.series`` and ``datamatrix.multidimensional``.

Every function takes plain numpy arrays and returns new ones; inputs are never
modified and nothing here knows about DataMatrix objects or columns. A *block* has
shape ``(rows, ..., samples)``: per-trace algorithms (the mapping functions of ``series``)
act along the **last** axis of every row/cell, so a 1-D array is a single trace.
Functions whose name ends in ``2d`` in their signature work on ``(rows, samples)``
blocks only.

Results are float64. Apart from :func:`trim_bounds`, :func:`lock_block` (zero
point) and :func:`normalize_time_block` (result depth), every kernel treats rows
independently, so callers may process large blocks in row chunks.
"""

from datamatrix._kernels._common import along_last_axis
from datamatrix._kernels.alignment import (endlock_block, first_occurrence_block,
                                           last_occurrence_block, lock_block, lock_pads,
                                           normalize_time_block, roll_block, trim_bounds)
from datamatrix._kernels.blinks import blinkreconstruct_block, blinkreconstruct_trace
from datamatrix._kernels.counts import infcount_block, nancount_block, reduce_block
from datamatrix._kernels.traces import (downsample_block, fft_block, filter_block,
                                        interpolate_block, smooth_block, threshold_block,
                                        z_block)

__all__ = [
    'along_last_axis', 'smooth_block', 'downsample_block', 'interpolate_block',
    'z_block', 'filter_block', 'fft_block', 'threshold_block',
    'first_occurrence_block', 'last_occurrence_block', 'endlock_block', 'roll_block',
    'lock_block', 'lock_pads', 'trim_bounds', 'normalize_time_block',
    'blinkreconstruct_trace', 'blinkreconstruct_block', 'reduce_block',
    'nancount_block', 'infcount_block',
]
