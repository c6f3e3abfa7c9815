"""Where a video's lines come from and what they become: cues, text as words, caption
files in every format, YouTube's rolling captions, subtitle tracks inside a file, speech
(faster-whisper), burned-in subtitles (OCR), a video's dialogue gathered from them, and the
windows of lines that search matches.

Imports: ``core``, ``encoders``."""
