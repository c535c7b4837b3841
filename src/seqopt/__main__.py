"""Run the command line as ``python -m seqopt``."""

from seqopt.cli import main

main()
