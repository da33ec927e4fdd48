"""The seed walkthrough (examples/demo.py) prints what the seed page shows."""
import os
import subprocess
import sys

EXPECTED = """large_data1 loaded: True
large_data1 loaded: False
large_data2 loaded: True
large_data1 loaded: True
large_data2 loaded: False
large_data1 loaded: False
large_data2 loaded: False
"""

DEMO = os.path.join(os.path.dirname(__file__), '..', '..', 'examples', 'demo.py')


def test_scaled_down_demo_prints_the_seed_output(tmp_path):
    """The seed code, run unchanged at 20 rows, prints the seed page's output."""
    result = subprocess.run([sys.executable, DEMO, '--small'], capture_output=True,
                            text=True, cwd=tmp_path, check=True)
    assert result.stdout == EXPECTED
    assert os.listdir(tmp_path) == []
