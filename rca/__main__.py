"""`python -m rca` runs the command line."""

from rca.cli.main import main

main()
