"""The main demonstration: the code of the page that started the project, run unchanged.

Usage::

    DATAMATRIX_MEMORY_LIMIT=6GiB python examples/demo.py          # full size (3.7 GiB columns)
    python examples/demo.py --small                               # scaled down, any machine

The full run needs about 8 GB of free memory and 8 GB of free disk in the working
directory. Without ``--small`` and with less memory available the scaled-down mode
is chosen automatically. The scaled-down mode runs the same code with 20 rows instead
of 2000 and a budget that, like 6 GiB for the full size, holds one column but not two.
"""
import os
import sys

SEED_CODE = '''
from datamatrix import DataMatrix, MultiDimensionalColumn

dm = DataMatrix(length=2000)
dm.large_data1 = MultiDimensionalColumn(shape=(500, 500))
print(f'large_data1 loaded: {dm.large_data1.loaded}')

dm.large_data2 = MultiDimensionalColumn(shape=(500, 500))
print(f'large_data1 loaded: {dm.large_data1.loaded}')
print(f'large_data2 loaded: {dm.large_data2.loaded}')

import numpy as np

dm.large_data1 = 0
print(f'large_data1 loaded: {dm.large_data1.loaded}')
print(f'large_data2 loaded: {dm.large_data2.loaded}')

dm.large_data1.loaded = False
print(f'large_data1 loaded: {dm.large_data1.loaded}')
print(f'large_data2 loaded: {dm.large_data2.loaded}')
'''

FULL_COLUMN_BYTES = 2000 * 500 * 500 * 8


def small_mode_needed() -> bool:
    """Whether this machine cannot hold one full-size column with room to spare."""
    import psutil
    return psutil.virtual_memory().available < 2.5 * FULL_COLUMN_BYTES


def run(small: bool) -> None:
    from datamatrix import cfg
    code = SEED_CODE
    if small:
        code = code.replace('length=2000', 'length=20')
        cfg.always_load_max_size = 0
        cfg.memory_limit = int(1.6 * 20 * 500 * 500 * 8)
    elif 'DATAMATRIX_MEMORY_LIMIT' not in os.environ:
        cfg.memory_limit = '6GiB'
    exec(compile(code, 'largedata.md', 'exec'), {'__name__': '__seed__'})


if __name__ == '__main__':
    small = '--small' in sys.argv
    if not small and small_mode_needed():
        print('(less than 9 GiB of memory available: running the scaled-down mode)',
              file=sys.stderr)
        small = True
    run(small)
