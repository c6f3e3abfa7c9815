"""ingest-many: many sources into one library, one after another or in parallel on Ray."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from media import SCENES, write_video

from oneframe.index.cluster import runtime_env
from oneframe.index.splitting import split_store
from oneframe.index.store import VectorStore
from oneframe.ingest.many import ingest_many, read_sources
from oneframe.ingest.options import IngestOptions
from oneframe.library.folders import Library
from oneframe.search.library import LibrarySearch


def clips(folder: Path) -> list[Path]:
    """Three different real videos (mp4v): the scenes in three orders and lengths."""
    orders = [SCENES, SCENES[::-1], [SCENES[1], SCENES[0]]]
    return [write_video(folder / f"clip-{i}.mp4", scenes) for i, scenes in enumerate(orders)]


@pytest.mark.slow
def test_three_clips_on_a_local_ray_instance_land_in_one_library_and_its_shards(
        tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="ray (requirements.txt) is not installed")
    library = Library()
    plan = split_store(library, 2)  # a library whose store is split in two: each task
    assert plan is not None         # writes its video to the video's shard
    sources = [str(p) for p in clips(tmp_path)] + [str(tmp_path / "missing.mp4")]
    ray.init(num_cpus=2, include_dashboard=False, runtime_env=runtime_env(library),
             logging_level="ERROR", log_to_driver=False)
    try:
        heard = []
        outcomes = ingest_many(sources, library, IngestOptions(speech="off", ocr="off"),
                               ray_address="local", done=heard.append)
        assert ray.is_initialized()  # the instance the caller started is left to the caller
    finally:
        ray.shutdown()
    assert sorted(o.source for o in heard) == sorted(sources)
    added = {o.source: o.video for o in outcomes if o.video}
    assert sorted(added) == sorted(sources[:3])
    failed = [o for o in outcomes if o.error]
    assert len(failed) == 1 and "missing.mp4" in failed[0].error
    assert sorted(added.values()) == sorted(library.ids())
    for k in range(2):
        assert VectorStore(library, shard=(plan, k)).ready() == sorted(
            v for v in library.ids() if plan.of(v) == k)
    search = LibrarySearch(library, shortlist_above=1, shortlist=2, optimise=False)
    vid = added[sources[1]]
    hits = search.search(like=(vid, 1.0), top_k=3, min_score=0).hits
    assert hits[0].video == vid and {h.video for h in hits} <= set(library.ids())


def test_the_command_line_without_ray_reports_each_source(tmp_path: Path) -> None:
    first, second, _ = clips(tmp_path)
    listing = tmp_path / "list.txt"
    listing.write_text(f"# my clips\n{first}\n\n{second}\n{first}\n{tmp_path}/nope.mp4\n")
    assert read_sources(listing) == [str(first), str(second), f"{tmp_path}/nope.mp4"]
    run = subprocess.run([sys.executable, "-m", "oneframe", "ingest-many", str(listing),
                          "--speech", "off", "--ocr", "off", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [bool(line["id"]) for line in lines] == [True, True, False]
    assert "nope.mp4" in lines[2]["error"]
    assert len(Library().ids()) == 2
    listing.write_text(f"{first}\n{tmp_path}/nope.mp4\n")  # again, in plain text
    run = subprocess.run([sys.executable, "-m", "oneframe", "ingest-many", str(listing),
                          "--speech", "off", "--ocr", "off"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and run.stderr.count("nope.mp4") == 1  # named once
    assert "already in the library" in run.stderr and len(Library().ids()) == 2


def test_an_empty_list_says_what_to_write(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("# nothing yet\n\n")
    run = subprocess.run([sys.executable, "-m", "oneframe", "ingest-many", str(listing)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "lists no sources" in run.stderr and "one URL or video file" in run.stderr


@pytest.mark.slow
def test_a_task_whose_workers_all_die_ends_with_an_error_line(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="ray (requirements.txt) is not installed")
    library = Library()
    VectorStore(library).sync()
    sources = [str(p) for p in clips(tmp_path)]
    ray.init(num_cpus=2, include_dashboard=False, runtime_env=runtime_env(library),
             logging_level="ERROR", log_to_driver=False)

    def crash_on_second(source: str, root: str, options: IngestOptions) -> object:
        """Kills its Ray worker outright for one source (as SIGKILL or the OOM killer would),
        on every try; the others are ingested as usual. (Local, so Ray sends it by value.)"""
        import os

        from oneframe.ingest.many import ingest_one

        if source.endswith("clip-1.mp4"):
            os._exit(1)
        return ingest_one(source, root, options)

    try:
        outcomes = ingest_many(sources, library, IngestOptions(speech="off", ocr="off"),
                               ray_address="local", work=crash_on_second)
    finally:
        ray.shutdown()
    assert sorted(o.source for o in outcomes) == sorted(sources)  # every source reported
    [dead] = [o for o in outcomes if o.error]
    assert dead.source == sources[1] and "worker adding it died on all 2 tries" in dead.error
    assert len(library.ids()) == 2 and VectorStore(library).ready() == library.ids()
    assert not [p for p in library.root.iterdir() if p.name.startswith(".tmp-")
                and not p.name.endswith(".lock")]


TRESPASSER = """
import os, subprocess, sys
from pathlib import Path
from oneframe.index.cluster import join
from oneframe.library.folders import Library
join("local", Library(Path(sys.argv[1])))
import ray
address = ray.get_runtime_context().gcs_address
strange = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
strange["RAY_gcs_server_port_wait_time_s"] = "3"  # refused: tried for 3 s, not 20
joined = subprocess.run([sys.executable, "-c", "import ray, sys; ray.init(address=sys.argv[1], "
                         "logging_level=40)", address], env=strange, capture_output=True,
                        text=True, timeout=120)
print(joined.returncode, "token" in joined.stderr.lower())
ray.shutdown()
"""


@pytest.mark.slow
def test_a_local_ray_instance_refuses_a_process_without_its_token(tmp_path: Path) -> None:
    """Ray's processes listen on every interface: `local` gives its instance a token of its
    own, so another process on the network (here: on this machine, without the token) can't
    join it and run code there."""
    run = subprocess.run([sys.executable, "-c", TRESPASSER, str(tmp_path / "library")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-2:] == ["1", "True"]  # refused, for want of the token
