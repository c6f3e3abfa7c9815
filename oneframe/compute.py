"""One lock for model inference on the CPU.

Image embedding (torch) and OCR (onnxruntime) each use every core; run at once they thrash
(spinning thread pools, cache misses) and both get slower than taking turns. Decoding, which
is single-threaded, still runs beside either.
"""

import threading

INFERENCE = threading.Lock()
