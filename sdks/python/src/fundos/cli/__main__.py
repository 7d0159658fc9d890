"""``python -m fundos.cli``: the same as the ``fundos`` console script."""

import sys

from fundos.cli.main import main

sys.exit(main())
