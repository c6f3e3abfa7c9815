"""``python -m oneframe``: see :mod:`oneframe.cli`."""

import sys

from oneframe.cli.main import main

sys.exit(main())
