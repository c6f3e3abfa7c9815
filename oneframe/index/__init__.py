"""The library's vectors and lines in LanceDB, an index derived from the folders (``store``)
and LanceDB's side of it (``lance_tables``).

Imports: ``core`` to ``library``."""
