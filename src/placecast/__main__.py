"""The ``placecast`` command (also ``python -m placecast``): the command line of :mod:`placecast.cli`, loaded
so that a Ctrl-C while its libraries are still being read ends it quietly."""

from __future__ import annotations

import sys


def main() -> None:
    """Load and run the command line; a Ctrl-C before it has started ends with exit 130 and one line, not
    the traceback of whichever library was being read (pandas, Arrow: about half a second)."""
    try:
        from placecast.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted before anything was done.\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
