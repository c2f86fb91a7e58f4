"""Differential-test vector generator for f4emu, with Unicorn as the oracle.

The package is not called `unicorn` on purpose: a directory of that name next to
scripts/unicorn_vectors.py would shadow the real `unicorn` module on sys.path.
"""
