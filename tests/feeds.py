"""A loopback site of many videos behind one RSS feed, for collections (issue 39) and their
benchmark: each item a page with a ``<video>`` and (for most) a ``<track>`` of captions, as
yt-dlp's generic extractor reads them. Every request is logged; some answer 429 the first
times they are asked for, some 404."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

PAGE = """<html><head><title>{title}</title></head><body>
<video controls src="/media/{n}.mp4">{track}</video></body></html>"""
TRACK = '<track kind="subtitles" src="/cc/{n}.vtt" srclang="en">'
NOUNS = ("lighthouse", "violin", "glacier", "orchard", "submarine", "lantern", "canyon",
         "meteor", "harbour", "saddle", "compass", "volcano", "parrot", "quarry", "tundra")


def lines_of(n: int) -> list[tuple[float, float, str]]:
    """Video ``n``'s own lines: two a video, each naming it, at times that vary with it."""
    a, b = NOUNS[n % len(NOUNS)], NOUNS[(n * 7 + 3) % len(NOUNS)]
    start = 0.5 + (n % 5) * 0.25  # the two lines far enough apart to be matched apart
    return [(start, start + 1.0, f"The {a} of episode {n} is where we begin"),
            (start + 5.5, start + 7.0, f"Nobody expected a {b} at number {n}")]


def vtt(n: int) -> str:
    return "WEBVTT\n\n" + "".join(f"{_t(s)} --> {_t(e)}\n{text}\n\n" for s, e, text in lines_of(n))


def rolling_vtt(n: int) -> str:
    """YouTube's automatic captions: each line shown twice as the next one rolls in."""
    out, previous = ["WEBVTT\nKind: captions\nLanguage: en\n"], ""
    for s, e, text in lines_of(n):
        out.append(f"{_t(s)} --> {_t(s + 0.01)} align:start position:0%\n{previous}\n {text}\n")
        out.append(f"{_t(s + 0.01)} --> {_t(e)} align:start position:0%\n{text}\n \n")
        previous = text
    return "\n".join(out)


def _t(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


@dataclass
class Feed:
    """What the site serves: ``count`` videos; their caption kind (``manual``, ``auto`` or
    ``none``) by number; pages answering 429 the first ``refusals`` times; pages gone."""

    count: int
    kind: Callable[[int], str] = lambda n: "manual"
    refusals: dict[int, int] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    captions: Callable[[int], str] | None = None
    """Caption text of video ``n`` (default :func:`vtt` / :func:`rolling_vtt`)."""
    log: list[tuple[float, str]] = field(default_factory=list)

    def requested(self, prefix: str) -> list[str]:
        return [path for _, path in self.log if path.startswith(prefix)]


def _handler(feed: Feed, video: Path, base: list[str]) -> type:
    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            feed.log.append((time.monotonic(), path))
            if path == "/feed.xml":
                return self._send(_rss(feed, base[0]), "application/rss+xml")
            kind, _, name = path.strip("/").partition("/")
            stem = name.rsplit(".", 1)[0]
            if not stem.isdigit() or int(stem) >= feed.count or int(stem) in feed.gone:
                return self.send_error(404)
            n = int(stem)
            if kind == "v":
                if feed.refusals.get(n, 0) > 0:
                    feed.refusals[n] -= 1
                    return self.send_error(429, "Too Many Requests")
                track = "" if feed.kind(n) == "none" else TRACK.format(n=n)
                return self._send(PAGE.format(title=f"Episode {n}", n=n, track=track),
                                  "text/html")
            if kind == "cc" and feed.kind(n) != "none":
                text = feed.captions(n) if feed.captions else \
                    rolling_vtt(n) if feed.kind(n) == "auto" else vtt(n)
                return self._send(text, "text/vtt")
            if kind == "media":
                return self._send(video.read_bytes(), "video/mp4")
            return self.send_error(404)

        def _send(self, body: str | bytes, kind: str) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Site


def _rss(feed: Feed, base: str) -> str:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>Episode {n}</title><link>{base}/v/{n}.html</link>"
        f"<pubDate>{format_datetime(first + timedelta(days=n))}</pubDate>"
        f"<itunes:duration>9</itunes:duration></item>" for n in range(feed.count))
    return ('<?xml version="1.0"?><rss version="2.0" '
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
            f"<title>Loopback Channel</title><link>{base}/</link><description>d</description>"
            f"{items}</channel></rss>")


class FeedServer:
    """The site on 127.0.0.1 (a thread): ``url`` is the feed's link."""

    def __init__(self, feed: Feed, video: Path, host: str = "127.0.0.1") -> None:
        self.feed = feed
        base: list[str] = []
        self.server = http.server.ThreadingHTTPServer((host, 0), _handler(feed, video, base))
        self.base = f"http://{host}:{self.server.server_address[1]}"
        base.append(self.base)
        self.url = f"{self.base}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
