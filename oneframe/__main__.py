"""``python -m oneframe``: see :mod:`oneframe.cli`."""

import sys

from oneframe.cli.main import main

if __name__ == "__main__":  # not when a worker process imports it again (spawn)
    sys.exit(main())
