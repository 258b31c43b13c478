"""Imported by the kernels' fork server (`kernels`): what every kernel forked from it has imported already."""

from .kernels import preload

preload()
