"""Models that turn pictures and texts into vectors: loading (once, from the local cache
first), precision and engine choice, preprocessing, ONNX export and runtime, the picture (dual)
and sentence encoders, and the cache of query vectors.

Imports: ``core``."""
