"""Collections (issue 39): a feed, playlist, channel or folder read whole through the real
yt-dlp, its videos searchable by their lines before any video file is fetched, then upgraded
with pictures in place; the queue kept in the library, so a killed run resumes."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from feeds import Feed, FeedServer, lines_of, vtt
from media import write_video

from oneframe.api import (
    Choice,
    CollectionRun,
    Collections,
    IngestOptions,
    Searcher,
    ask_pictures,
    collection_videos,
    read_list,
    refresh,
    remove_collection,
    retry_failed,
    start_collection,
)
from oneframe.cli import main as cli
from oneframe.core.errors import LibraryError, SourceError
from oneframe.ingest import collection as runner
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.library.manifest import NO_PICTURES

OFF = IngestOptions(ocr="off", speech="off")


def kind_of(n: int) -> str:
    """Most videos have captions of their own, some only automatic ones, some none."""
    return "none" if n % 10 in (8, 9) else "auto" if n % 10 in (6, 7) else "manual"


@pytest.fixture()
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "BACKOFF", 0.05)


@pytest.fixture()
def feed(scene_video: Path, quick_retries: None) -> Iterator[FeedServer]:
    server = FeedServer(Feed(120, kind=kind_of, refusals={17: 2, 33: 1}, gone={50}),
                        scene_video)
    yield server
    server.close()


def searching(library: Library, stop: threading.Event, errors: list[BaseException],
              found: list[int]) -> None:
    """Search a line over and over while the collection is added: never an error (a new
    search of the library every 3 s, as the app opens one when the library changed)."""
    search, opened = None, 0.0
    while not stop.wait(0.5):
        try:
            if search is None or time.monotonic() - opened > 3:
                search, opened = Searcher(library, optimise=False), time.monotonic()
            found.append(len(search.search("said: nobody expected a compass",
                                           visual_weight=0.0).hits))
        except BaseException as exc:  # noqa: BLE001 - the test's point
            errors.append(exc)
            return


def test_a_feed_is_searchable_by_its_lines_before_any_video_is_fetched_then_gets_pictures(
        feed: FeedServer, tmp_path: Path) -> None:
    library = Library(tmp_path / "library")
    listing = read_list(feed.url)
    assert len(listing.items) == 120 and listing.kind == "feed"
    assert listing.title == "Loopback Channel" and listing.items[3].published == "2026-01-04"
    collection = start_collection(library, listing, OFF, pictures=False)
    stop, errors, found = threading.Event(), [], []
    watcher = threading.Thread(target=searching, args=(library, stop, errors, found))
    watcher.start()
    try:
        done = CollectionRun(library, collection.id, pictures=False).run()
        assert feed.feed.requested("/media/") == []  # no video file asked for yet
        counts = done.counts()
        assert counts["searchable"] == 95 and counts["waiting"] == 24, counts
        assert counts["failed"] == 1 and "404" in next(
            i.error for i in done.items if i.state == "failed")
        by_url = {i.url: i for i in done.items}
        for n in (0, 6, 17, 33, 115):  # manual, automatic, refused twice, refused once, late
            item = by_url[f"{feed.base}/v/{n}.html"]
            assert item.state == "dialogue" and item.entry, (n, item)
            hit = Searcher(library, optimise=False).search(
                f'said: "{lines_of(n)[1][2]}"', visual_weight=0.0).hits[0]
            assert hit.video == item.entry and abs(hit.time - lines_of(n)[1][0]) < 0.1
            assert hit.visual in (None, 0.0) and hit.url == f"{feed.base}/v/{n}.html"
        record = library.get(by_url[f"{feed.base}/v/6.html"].entry)
        assert record.model == NO_PICTURES and record.cues == 2  # rolling lines cleaned
        assert not (record.path / "frames").exists() and record.video_file is None
        # the pictures of the videos that had hits first (the rest stays dialogue-only)
        asked = [by_url[f"{feed.base}/v/{n}.html"].entry for n in (2, 0, 6, 115)]
        assert ask_pictures(library, asked) == 4
        assert ask_pictures(library, [f"{feed.base}/v/8.html"]) == 0  # not an id: nothing
        with Collections(library).editing(collection.id) as edited:  # no captions: speech
            next(i for i in edited.items if i.url.endswith("/v/8.html")).first = True
        done = CollectionRun(library, collection.id).run()
    finally:
        stop.set()
        watcher.join()
    assert not errors and found and max(found) >= 1
    counts = done.counts()
    assert counts["pictures"] == 5 and counts["dialogue"] == 91 and counts["waiting"] == 23
    assert sorted(feed.feed.requested("/media/")) == [
        f"/media/{n}.mp4" for n in (0, 115, 2, 6, 8)]
    ids = library.ids()
    assert len(ids) == 96 and not any(i.endswith("-2") for i in ids)  # upgraded in place
    item = next(i for i in done.items if i.url.endswith("/v/8.html"))  # no captions
    assert item.state == "pictures" and library.get(item.entry).frames == 9
    upgraded = library.get(next(i for i in done.items if i.url.endswith("/v/0.html")).entry)
    assert upgraded.model != NO_PICTURES and upgraded.frames == 9 and upgraded.cues == 2
    assert upgraded.id == by_url[f"{feed.base}/v/0.html"].entry


def test_choosing_the_newest_a_date_range_or_by_ticking(feed: FeedServer) -> None:
    items = read_list(feed.url).items
    assert [i.title for i in Choice(newest=3).apply(items)] == [
        "Episode 119", "Episode 118", "Episode 117"]
    since = Choice(since="2026-04-01").apply(items)
    assert len(since) == 30 and all(i.published >= "2026-04-01" for i in since)
    ticked = {items[5].url, items[9].url}
    assert {i.url for i in Choice(only=ticked).apply(items)} == ticked


def test_bad_lists_say_what_is_wrong(scene_video: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server = FeedServer(Feed(0), scene_video)
    try:
        with pytest.raises(SourceError, match="lists no videos"):
            read_list(server.url)
        with pytest.raises(SourceError, match="404"):
            read_list(f"{server.base}/missing.xml")
    finally:
        server.close()
    big = FeedServer(Feed(120), scene_video)
    try:
        monkeypatch.setenv("ONEFRAME_MAX_LIST", "100")
        with pytest.raises(SourceError, match="more than the 100 .*ONEFRAME_MAX_LIST"):
            read_list(big.url)
    finally:
        big.close()
    with pytest.raises(SourceError, match="holds no video files"):
        read_list(str(tmp_path))


def test_a_folder_is_a_collection_with_its_sidecar_captions(scene_video: Path,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "shows"
    for n, sub in ((1, "a"), (2, "a/b"), (3, "c")):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        write_video(folder / sub / f"show{n}.mp4", [(9.0, (40 * n, 90, 160))])
        if n != 3:
            (folder / sub / f"show{n}.vtt").write_text(vtt(n))
    listing = read_list(str(folder))
    assert listing.kind == "folder" and [i.captions for i in listing.items] == [
        "file", "file", "none"]
    library = Library(tmp_path / "library")
    done = CollectionRun(library, start_collection(library, listing, OFF, pictures=False).id
                         ).run()
    assert [i.state for i in done.items] == ["dialogue", "dialogue", "waiting"]
    assert collection_videos(library, "shows") == [i.entry for i in done.items[:2]]


def test_refresh_adds_only_what_is_new_and_remove_takes_the_entries(
        scene_video: Path, tmp_path: Path, quick_retries: None) -> None:
    feed = Feed(5)
    server = FeedServer(feed, scene_video)
    try:
        library = Library(tmp_path / "library")
        mine = ingest(f"{server.base}/v/0.html", OFF, library=library)  # added before, whole
        collection = start_collection(library, read_list(server.url), OFF, pictures=False)
        CollectionRun(library, collection.id).run()
        feed.count = 7
        assert len(refresh(library, "Loopback Channel")) == 2
        done = CollectionRun(library, "Loopback Channel").run()
        assert done.counts()["searchable"] == 7 and len(library.ids()) == 7
        assert mine.id in done.entries() and mine.id not in done.owned()
        assert len(remove_collection(library, collection.id)) == 6
        assert library.ids() == [mine.id] and Collections(library).all() == []  # not its own
        with pytest.raises(LibraryError, match="No collection 'Loopback Channel'"):
            Collections(library).get("Loopback Channel")
    finally:
        server.close()


def test_a_failed_video_is_named_and_retried_on_request(scene_video: Path, tmp_path: Path,
                                                        quick_retries: None) -> None:
    feed = Feed(3, refusals={1: 10})
    server = FeedServer(feed, scene_video)
    try:
        library = Library(tmp_path / "library")
        collection = start_collection(library, read_list(server.url), OFF, pictures=False)
        done = CollectionRun(library, collection.id).run()
        failed = [i for i in done.items if i.state == "failed"]
        assert len(failed) == 1 and "rate limit" in failed[0].error.lower()
        assert failed[0].attempts == runner.TRIES
        feed.refusals.clear()
        assert retry_failed(library, collection.id) == 1
        assert CollectionRun(library, collection.id).run().counts()["searchable"] == 3
    finally:
        server.close()


def test_a_cancel_is_heard_within_a_second_and_the_rest_resumes(
        scene_video: Path, tmp_path: Path, quick_retries: None) -> None:
    server = FeedServer(Feed(40), scene_video)
    try:
        library = Library(tmp_path / "library")
        collection = start_collection(library, read_list(server.url), OFF, pictures=False)
        stop = threading.Event()
        times: list[float] = []

        def seen(c) -> None:
            if c.counts()["searchable"] >= 5 and not stop.is_set():

                times.append(time.monotonic())
                stop.set()

        with pytest.raises(runner.Cancelled):
            CollectionRun(library, collection.id, on_change=seen, stop=stop).run()

        assert time.monotonic() - times[0] < 1.0
        left = Collections(library).get(collection.id).counts()["listed"]
        assert 0 < left < 40
        assert CollectionRun(library, collection.id).run().counts()["searchable"] == 40
    finally:
        server.close()


def test_dialogue_only_entries_through_the_store_and_the_cli(
        scene_video: Path, tmp_path: Path, quick_retries: None, capsys) -> None:
    server = FeedServer(Feed(30), scene_video)
    try:
        root = str(tmp_path / "library")
        assert cli.main(["--library", root, "ingest", server.url, "--dialogue-only",
                         "--limit", "26", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["counts"]["searchable"] == 26 and out["pictures"] is False
        assert cli.main(["--library", root, "collections", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert listed[0]["name"] == "Loopback Channel" and len(listed[0]["videos"]) == 30
        assert sum(v["state"] == "skipped" for v in listed[0]["videos"]) == 4
        library = Library(root)
        search = Searcher(library, optimise=False)  # more than 24 videos: through the store
        assert search.store.__class__.__name__ != "FolderStore"
        hits = search.search('said: "nobody expected a quarry at number 10"',
                             visual_weight=0.0).hits
        assert hits and hits[0].video == next(
            i["id"] for i in out["videos"] if i["url"].endswith("/v/10.html"))
        assert search.search("a red scene", visual_weight=1.0).hits == []
        assert cli.main(["--library", root, "search", "nobody expected a quarry",
                         "--collection", "Loopback Channel", "--top-k", "1"]) == 0
        assert "/v/10.html" in capsys.readouterr().out
        assert cli.main(["--library", root, "refresh", "Loopback Channel"]) == 0
        assert "0 new videos" in capsys.readouterr().err
        assert cli.main(["--library", root, "pictures", hits[0].video]) == 0
        record = library.get(hits[0].video)
        assert record.has_pictures and record.frames == 9
        assert np.load(record.path / "embeddings.npy").shape[1] > 0
    finally:
        server.close()


def test_ingest_many_takes_a_feed_and_a_folder(scene_video: Path, tmp_path: Path,
                                               capsys) -> None:
    server = FeedServer(Feed(2), scene_video)
    try:
        folder = tmp_path / "folder"
        folder.mkdir()
        shutil.copyfile(scene_video, folder / "one.mp4")
        sources = tmp_path / "list.txt"
        sources.write_text(f"{server.url}\n{folder}\n")
        root = str(tmp_path / "library")
        assert cli.main(["--library", root, "ingest-many", str(sources), "--ocr", "off",
                         "--speech", "off"]) == 0
        assert len(Library(root).ids()) == 3
        names = {c.name: c for c in Collections(Library(root)).all()}
        assert set(names) == {"Loopback Channel", "folder"}
        assert all(i.state == "pictures" for c in names.values() for i in c.items)
    finally:
        server.close()


def test_a_dialogue_only_manifest_is_checked(tmp_path: Path, scene_video: Path,
                                             quick_retries: None) -> None:
    server = FeedServer(Feed(1), scene_video)
    try:
        library = Library(tmp_path / "library")
        CollectionRun(library, start_collection(library, read_list(server.url), OFF).id,
                      pictures=False).run()
    finally:
        server.close()
    vid = library.ids()[0]
    manifest = library.root / vid / "manifest.json"
    data = json.loads(manifest.read_text())
    data["dim"] = 512
    manifest.write_text(json.dumps(data))
    assert library.scan().damaged and "512 wide" in str(library.scan().damaged[0])


def _entries(root: Path) -> list[str]:
    return Library(root).ids()  # entries only: not a staging folder's manifest


@pytest.mark.slow
def test_killed_at_five_points_the_collection_resumes_with_nothing_lost_or_twice(
        scene_video: Path, tmp_path: Path) -> None:
    """The command line adding a feed is SIGKILLed five times (while its captions are
    fetched, between dialogue entries, mid-download, between and during pictures); each
    restart (`oneframe refresh`) goes on from the library's queue."""
    import os
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    feed = Feed(8, kind=lambda n: "none" if n % 4 == 3 else "manual")
    server = FeedServer(feed, scene_video)
    root = tmp_path / "library"
    points = [lambda: len(feed.requested("/cc/")) >= 1,
              lambda: len(_entries(root)) >= 4,
              lambda: len(feed.requested("/media/")) >= 1,
              lambda: len(feed.requested("/media/")) >= 3,
              lambda: len(feed.requested("/media/")) >= 5]
    seen: list[list[str]] = []
    try:
        command = ["ingest", server.url, "--ocr", "off", "--speech", "off"]
        for point in points:
            proc = subprocess.Popen([sys.executable, "-m", "oneframe", "--library", str(root),
                                     *command], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while not point() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            Library(root).sweep()  # as the next run does first: a replacement cut between
            ids = _entries(root)  # its two moves (where the OS can't swap) is put back
            assert not any(i.endswith("-2") for i in ids)  # nothing twice
            assert all(set(before) <= set(ids) for before in seen)  # nothing lost
            seen.append(ids)
            collection = Collections(Library(root)).all()[0]  # the queue reads back whole
            assert {i.entry for i in collection.items if i.entry} <= set(ids) | {None}
            command = ["refresh", collection.id]
        done = subprocess.run([sys.executable, "-m", "oneframe", "--library", str(root),
                               *command], cwd=ROOT, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        server.close()
    library = Library(root)
    library.sweep()
    collection = Collections(library).all()[0]
    assert collection.counts()["pictures"] == 8 and len(library.ids()) == 8
    assert sorted(i.entry for i in collection.items) == library.ids()
    assert all(library.get(vid).has_pictures for vid in library.ids())
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-") and p.is_dir()]


@pytest.mark.parametrize(("entries", "says"), [
    ([{"url": "https://x/1", "live_status": "is_live"},
      {"url": "https://x/2", "live_status": "is_upcoming"}], "only live or upcoming streams"),
    ([{"url": "https://x/a.mp3"}, {"url": "https://x/b.m4a"}], "none of them a video"),
    ([], "lists no videos"),
])
def test_lists_of_nothing_to_add_are_refused_with_why(entries, says) -> None:
    from oneframe.sources.listing import _listing

    with pytest.raises(SourceError, match=says):
        _listing("https://x/list", {"title": "T"}, entries, 100)


def test_a_list_of_fifty_thousand_is_refused_with_its_count() -> None:
    from oneframe.sources.listing import _listing

    entries = [{"url": f"https://x/{n}"} for n in range(101)]
    with pytest.raises(SourceError, match="lists 50,000 videos, more than the 100"):
        _listing("https://x/list", {"playlist_count": 50000}, entries, 100)


def test_live_streams_are_left_out_of_a_list_and_dates_read() -> None:
    from oneframe.sources.listing import _listing

    listing = _listing("https://www.youtube.com/playlist?list=PL1", {
        "title": "P", "extractor_key": "YoutubeTab"}, [
        {"url": "https://x/1", "title": "one", "upload_date": "20260102", "duration": 61},
        {"url": "https://x/2", "live_status": "is_live"}], 100)
    assert [(i.title, i.published, i.duration) for i in listing.items] == [
        ("one", "2026-01-02", 61.0)]
    assert listing.kind == "playlist"


def test_a_restarted_server_resumes_an_unfinished_collection(
        scene_video: Path, tmp_path: Path, quick_retries: None,
        monkeypatch: pytest.MonkeyPatch) -> None:

    from dashboard import warmup
    from dashboard.collections import RUNS

    monkeypatch.setenv("ONEFRAME_ALLOW_NETWORKS", "127.0.0.1/32")
    server = FeedServer(Feed(4), scene_video)
    try:
        library = Library()  # the server's: $ONEFRAME_LIBRARY
        listing = read_list(server.url)
        cid = start_collection(library, listing, OFF, pictures=False, origin="web").id
        listing.source = str(tmp_path / "a folder the command line added")
        other = start_collection(library, listing, OFF, pictures=False).id
        warmup.resume()  # what the server does as it starts
        assert not RUNS.alive(other)  # the command line's: resumed there, not by the server
        deadline = time.monotonic() + 60
        while RUNS.alive(cid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert Collections(library).get(cid).counts()["searchable"] == 4
        warmup.resume()
        assert not RUNS.alive(cid)  # nothing left: nothing started
    finally:
        server.close()


def test_two_collections_of_one_name_are_told_apart_by_id(scene_video: Path,
                                                          tmp_path: Path) -> None:
    server = FeedServer(Feed(1), scene_video)
    try:
        library = Library(tmp_path / "library")
        listing = read_list(server.url)
        first = start_collection(library, listing, OFF, pictures=False)
        listing.source += "?again"
        second = start_collection(library, listing, OFF, pictures=False)
        with pytest.raises(LibraryError, match="2 collections are called 'Loopback Channel'"):
            Collections(library).get("Loopback Channel")
        assert Collections(library).get(second.id).id == second.id != first.id
    finally:
        server.close()


def test_adding_a_video_whole_fills_in_its_dialogue_only_entry(scene_video: Path,
                                                              tmp_path: Path) -> None:
    from oneframe.ingest.pipeline import outcome_message

    server = FeedServer(Feed(1), scene_video)
    try:
        library = Library(tmp_path / "library")
        done = CollectionRun(library, start_collection(library, read_list(server.url), OFF,
                                                       pictures=False).id).run()
        vid = done.items[0].entry
        record = ingest(f"{server.base}/v/0.html", OFF, library=library)
        assert record.id == vid and record.has_pictures and library.ids() == [vid]
        assert "joined the library's entry of its dialogue" in outcome_message(record)
    finally:
        server.close()


def test_a_dialogue_only_video_is_ranked_by_its_dialogue_not_a_picture_of_zero(
        scene_video: Path, tmp_path: Path) -> None:
    server = FeedServer(Feed(2), scene_video)
    try:
        library = Library(tmp_path / "library")
        cid = start_collection(library, read_list(server.url), OFF, pictures=False).id
        done = CollectionRun(library, cid).run()
        whole, bare = (done.items[0].entry, done.items[1].entry)
        ask_pictures(library, [whole])
        CollectionRun(library, cid).run()
        line = lines_of(1)[1][2]  # video 1's (dialogue-only) own line
        search = Searcher(library, optimise=False)
        hit = search.search(line, visual_weight=0.5).hits[0]
        assert hit.video == bare and not hit.pictured and hit.score > 0.9
        assert all(h.video != bare for h in search.search(line, visual_weight=1.0).hits)
    finally:
        server.close()


def test_a_notes_file_beside_a_video_is_no_caption_file_and_fails_nothing(
        tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    write_video(folder / "clip.mp4", [(3.0, (200, 40, 40))])
    (folder / "clip.SOURCE.txt").write_text("Filmed in 1940; public domain.\n")
    library = Library(tmp_path / "library")
    done = CollectionRun(library, start_collection(library, read_list(str(folder)), OFF,
                                                   pictures=False).id).run()
    assert [(i.state, i.captions, i.error) for i in done.items] == [("waiting", "none", None)]
