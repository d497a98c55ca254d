"""`python -m govops`."""

from govops.cli import main

main()
