"""The library on disk: one folder a video (its manifest checked as it is read), written
atomically, swept of what interrupted writes left.

Imports: ``core`` to ``sources``. It never imports the store: the store follows the library
by explicit calls from ``ingest`` (ingest, reindex, remove)."""
