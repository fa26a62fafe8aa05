"""`python -m bench`: the whole bench (see run.py)."""

from .run import main

main()
