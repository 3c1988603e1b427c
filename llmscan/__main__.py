"""`python -m llmscan` (used by torchrun / accelerate launch)."""

import sys

from llmscan.cli import main

sys.exit(main())
