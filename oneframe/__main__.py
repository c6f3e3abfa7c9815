"""``python -m oneframe``: see :mod:`oneframe.cli`."""

import sys

from oneframe.cli import main

sys.exit(main())
