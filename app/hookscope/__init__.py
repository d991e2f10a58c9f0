"""Hookscope: a desktop webhook inspector for Kardow, Kudoz and any HTTP sender."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hookscope")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
