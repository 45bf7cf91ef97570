"""`python -m svclint` is the same as the `svclint` command."""

from .cli import main

main()
