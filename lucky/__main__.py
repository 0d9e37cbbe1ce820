"""`python -m lucky ...`: the headless entry point (see lucky/cli.py)."""
from lucky.cli import main

raise SystemExit(main())
