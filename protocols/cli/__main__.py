"""`python -m protocols.cli`: how the supervisor starts its workers."""

import sys

from protocols.cli.main import main

sys.exit(main())
