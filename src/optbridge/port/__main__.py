"""``python -m optbridge.port``: see :mod:`optbridge.port.cli`."""

from optbridge.port.cli import main

raise SystemExit(main())
