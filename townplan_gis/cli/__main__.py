"""``python -m townplan_gis.cli``: the ``townplan`` command."""

import sys

from townplan_gis.cli import main

sys.exit(main())
