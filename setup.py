"""Builds the optional C fast path for the monthly visa files; everything else is in pyproject.toml.

If there is no C compiler the build carries on without it and the importer uses its pure-Python
path, which gives the same tables, only slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("safecity.sources._jsonl", ["safecity/sources/_jsonl.c"], optional=True)])
