"""oneframe's public Python API: open a library, add videos, search them, take moments out.

The command line and the web app use it, and so can a script; the stages below it
(``oneframe.search``, ``oneframe.ingest``...) are internal and may change. Errors a user can
act on are :class:`~oneframe.core.errors.OneframeError`, their message saying what to do.

>>> from oneframe import api
>>> library = api.open_library(folder)
>>> record = api.add(video, api.IngestOptions(ocr="off", speech="off"), library=library)
>>> record.title, record.cues
('stuntman', 3)
>>> result = api.search('said: "Italian stuntman"', library=library, top_k=1)
>>> hit = result.hits[0]
>>> hit.text, round(hit.time, 1)
("You're an Italian stuntman, aren't you?", 4.0)
>>> api.export_still(library, hit, out / "still.png").name
'still.png'
>>> print(api.export_markers(library, result.hits, "srt"))
1
00:00:04,000 --> 00:00:06,000
You're an Italian stuntman, aren't you?
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from oneframe.core.errors import OneframeError
from oneframe.core.progress import Progress, Stage, no_progress
from oneframe.dialogue.captions import CAPTION_SUFFIXES
from oneframe.dialogue.languages import code as language_code
from oneframe.dialogue.tracks import choose_track, list_tracks
from oneframe.encoders.dual import PRESETS, Encoder, load_encoder, resolve_model
from oneframe.encoders.models import load_failure
from oneframe.encoders.sentences import load_sentence_encoder, resolve_dialog_model
from oneframe.ingest import pipeline
from oneframe.ingest.collection import Cancelled, CollectionRun
from oneframe.ingest.jobs import CANCELLED, DONE, FAILED, WAITING, Job, JobQueue
from oneframe.ingest.lists import (
    Choice,
    ask_pictures,
    pending,
    record_added,
    refresh,
    remove_collection,
    retry_failed,
    skip,
    start_collection,
)
from oneframe.ingest.options import IngestOptions
from oneframe.ingest.pipeline import outcome_message
from oneframe.ingest.remove import remove
from oneframe.library.atomic import claim, owner_gone
from oneframe.library.collections import STATES, Collection, Collections, Item
from oneframe.library.folders import Library, LibraryScan, MissingEntry, VideoRecord, is_valid_id
from oneframe.media.destination import default_name
from oneframe.media.images import read_image
from oneframe.search.export import (
    compare_to_csv,
    compare_to_json,
    cues_to_vtt,
    hits_to_csv,
    hits_to_json,
)
from oneframe.search.floor import MIN_SCORE
from oneframe.search.index import DEFAULT_VISUAL_WEIGHT
from oneframe.search.library import LibrarySearch as Searcher
from oneframe.search.markers import MARKER_FORMATS, MarkerFormat, marker_files, markers
from oneframe.search.moments import (
    Moment,
    clip_file_name,
    clip_of,
    moment_at,
    moments,
    save_clip,
    save_still,
    save_supercut,
    still_file_name,
    supercut_file_name,
)
from oneframe.search.query import Query
from oneframe.search.query_parts import MAX_QUERY_CHARS
from oneframe.search.results import Hit, SearchResult, Timeline, moment_url, source_name
from oneframe.sources.listing import Listed, Listing, looks_like_list, max_list, read_list
from oneframe.sources.policy import ServePolicy

__all__ = [
    # the verbs
    "open_library", "add", "search", "moments_of", "export_still", "export_clip",
    "export_supercut", "export_markers", "remove", "outcome_message",
    # what they take and give
    "Library", "LibraryScan", "VideoRecord", "MissingEntry", "is_valid_id", "IngestOptions",
    "Query", "Searcher", "SearchResult", "Hit", "Timeline", "Moment", "MarkerFormat",
    "MARKER_FORMATS", "MIN_SCORE", "DEFAULT_VISUAL_WEIGHT", "MAX_QUERY_CHARS",
    "CAPTION_SUFFIXES", "OneframeError", "Progress", "Stage", "ServePolicy",
    # collections: a channel, playlist, feed or folder, dialogue first and pictures after
    "read_list", "Listing", "Listed", "looks_like_list", "max_list", "Choice",
    "start_collection", "CollectionRun", "Cancelled", "Collections", "Collection", "Item",
    "collection_videos", "refresh", "remove_collection", "ask_pictures", "retry_failed", "skip",
    "record_added", "pending", "STATES",
    # background work (the web app's queue of adds and supercuts)
    "JobQueue", "Job", "WAITING", "DONE", "FAILED", "CANCELLED", "claim", "owner_gone",
    # models
    "PRESETS", "Encoder", "load_encoder", "resolve_model", "load_failure",
    "load_sentence_encoder", "resolve_dialog_model",
    # results as files and links
    "hits_to_csv", "hits_to_json", "compare_to_csv", "compare_to_json", "cues_to_vtt",
    "marker_files", "markers", "moment_at", "clip_of", "moments", "save_still", "save_clip",
    "save_supercut", "clip_file_name", "still_file_name", "supercut_file_name",
    "default_name", "moment_url", "source_name", "read_image", "list_tracks", "choose_track",
    "language_code",
]


def open_library(folder: str | Path | None = None) -> Library:
    """The library in ``folder`` (default ``$ONEFRAME_LIBRARY``, else
    ``$XDG_DATA_HOME/oneframe``, else ``~/.local/share/oneframe``); made when the first video
    is added."""
    return Library(folder)


def add(source: str, options: IngestOptions | None = None, *, library: Library | None = None,
        progress: Progress = no_progress, policy: ServePolicy | None = None) -> VideoRecord:
    """Add a video (a link, or a file's path) to the library, as ``options`` say; its record.
    Adding it again with the same options finds it there (``record.outcome == "existing"``).
    ``policy``: what a visitor may reach (the web app); None for the machine's own user. On
    any failure the library is as it was."""
    return pipeline.ingest(source, options or IngestOptions(), library=library,
                           progress=progress, policy=policy)


def search(query: Query | str, *, library: Library | None = None,
           visual_weight: float | None = None, searcher: Searcher | None = None,
           **options: Any) -> SearchResult:
    """The best distinct moments for ``query`` (words as a user types them, or a
    :class:`Query`) in ``library``. ``visual_weight``: the picture's share (0 the dialogue
    alone, 1 the picture alone; default, what the query suggests). ``options``: ``videos``,
    ``top_k``, ``min_gap``, ``min_score``, ``timelines``. Many searches of one library:
    pass a ``searcher`` (``Searcher(library)``), which keeps what it loaded."""
    asked = query if isinstance(query, Query) else Query.of(query)
    searcher = searcher or Searcher(library, optimise=False)
    weight = asked.weight(DEFAULT_VISUAL_WEIGHT) if visual_weight is None else visual_weight
    return searcher.search(asked, visual_weight=weight, **options)


def moments_of(library: Library, hits: Sequence[Hit], pad: float = 0.0) -> list[Moment]:
    """Hits as moments ready to cut (their video file, rate and span; ``pad`` seconds more
    on each side)."""
    return moments(library, [(hit.to_json(), None) for hit in hits], pad)


def export_still(library: Library, hit: Hit, out: Path, line: bool = False,
                 replace: bool = False) -> Path:
    """The hit's frame, full size, as ``out`` (.png or .jpg); ``line``: its line drawn under
    it. An existing file is kept (an error) unless ``replace``."""
    [moment] = moments_of(library, [hit])
    return save_still(moment, Path(out), line, replace)


def export_clip(library: Library, hit: Hit, out: Path, replace: bool = False) -> Path:
    """The hit's span as a video (.mp4, .mov or .mkv), frame-accurate, with its lines."""
    [moment] = moments_of(library, [hit])
    return save_clip(library, moment, Path(out), replace=replace)


def export_supercut(library: Library, hits: Sequence[Hit], out: Path, pad: float = 0.5,
                    fps: Fraction | None = None, replace: bool = False) -> Path:
    """Every hit's span, ``pad`` seconds wider, joined in order into one video."""
    return save_supercut(library, moments_of(library, hits, pad), Path(out), fps=fps,
                         replace=replace)


def export_markers(library: Library, hits: Sequence[Hit], fmt: str) -> str:
    """The hits as one marker file's text in ``fmt`` (a name of ``MARKER_FORMATS``:
    ``edl``, ``fcpxml``, ``fcp7xml``, ``otio``, ``chapters``, ``srt``)."""
    if not hits:
        raise OneframeError("No moments to mark: search first.")
    return markers(moments_of(library, hits), fmt)


def collection_videos(library: Library, name: str) -> list[str]:
    """The library ids of a collection's videos that can be searched (by name or id), for a
    search's ``videos``; a LibraryError naming the collections there if it is not one."""
    held = set(library.ids())
    return [vid for vid in Collections(library).get(name).entries() if vid in held]
