"""Reading videos and images: frames sampled from a video (OpenCV), image queries, and
decoding a little ahead of whoever consumes the frames.

Imports: ``core``, ``encoders``."""
