"""seqopt: decide what to do, at what scope, in what order and when, under public support."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqopt")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
