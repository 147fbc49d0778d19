"""Shared fixtures: the nnmass executable built beside the module (for comparisons with the CLI).

ctest sets NNMASS_BIN and PYTHONPATH (python/CMakeLists.txt); run by hand from the repository root:
    PYTHONPATH=build/python NNMASS_BIN=build/nnmass /usr/bin/python3 -m pytest -q python/tests
"""
import json
import os
import subprocess

import pytest

import nnmass


def _find_nnmass_bin():
    if os.environ.get("NNMASS_BIN"):
        return os.environ["NNMASS_BIN"]
    # <build>/python/nnmass/__init__.py -> <build>/nnmass
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(nnmass.__file__)))), "nnmass")


@pytest.fixture(scope="session")
def cli():
    """Runs `nnmass ARGS... --json` and returns the parsed output (fails the test on a non-zero exit)."""
    binary = _find_nnmass_bin()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"the nnmass executable is not at {binary}: set NNMASS_BIN")

    def run(*args):
        r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 0, f"nnmass {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}"
        return json.loads(r.stdout) if "--json" in args else r.stdout

    run.binary = binary
    return run
