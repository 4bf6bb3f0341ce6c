"""Entry point for ``python -m driftctl``."""

from driftctl.cli import main

raise SystemExit(main())
