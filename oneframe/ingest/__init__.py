"""Adding videos: the pipeline that wires the stages (source, dialogue, frames, vectors,
library, store), many videos at once (here, or on Ray), re-indexing with another model,
removing, and the background queue the app runs them in.

Imports: ``core`` to ``index``; never ``search``."""
