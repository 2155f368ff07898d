"""`python -m qfill`."""

from qfill.cli import main

main()
