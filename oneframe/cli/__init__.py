"""The command line (``oneframe ...``, ``python -m oneframe ...``): argument checks and the
commands, each a few calls to the core.

Imports: anything below it."""
