"""``python -m psr_sched`` runs the ``psr-sched`` command."""

import sys

from psr_sched.cli import main

sys.exit(main())
