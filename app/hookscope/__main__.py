"""`python -m hookscope`: the same entry point as the `hookscope` command."""

import sys

from hookscope.cli import main

sys.exit(main())
