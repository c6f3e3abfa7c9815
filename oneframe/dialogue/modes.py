"""The choices an add offers for dialogue read from the picture and the sound (light: the
command line's help reads them)."""

OCR_MODES = ("auto", "on", "off")
"""Read burned-in subtitles: where a few sampled frames show them, always, never."""
DEFAULT_BAND = (2 / 3, 1.0)
"""Where burned-in subtitles sit: the bottom third (top and bottom, fractions of the height)."""
SPEECH_MODES = ("auto", "on", "off")
"""Transcribe the speech: where there is no text, always, never."""
