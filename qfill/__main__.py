"""`python -m qfill` and the `qfill` command.

``qfill --version`` is answered here, before the command line (typer, rich and every
command's options) is built: a script that checks the version pays for nothing else.
"""

import sys

from qfill import __version__


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(f"qfill {__version__}")
        return
    from qfill.cli import main as run

    run()


if __name__ == "__main__":
    main()
