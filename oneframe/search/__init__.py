"""Finding moments: the picture and dialogue channels, their fusion, a loaded index of
videos, library-wide search through the store's shortlist, results and their export.

Imports: ``core`` to ``index``; never ``ingest``."""
