"""LanceDB's side of the store: the connection, each table's indexes, and how a
nearest-vector query uses them."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from oneframe.core import settings
from oneframe.core.settings import number

ANN_ROWS = 200_000
"""A table with more rows than this gets an ANN index (frames: IVF with 8-bit codes while they
fit half the index cache, else RaBitQ 2-bit codes, 128 bytes a 512-wide vector; dialogue
windows: RaBitQ 4-bit codes; re-ranked on the stored vectors); below it a whole-table scan is
exact and fast enough."""
KEEP_VERSIONS = timedelta(minutes=10)
"""Table versions older than this are deleted by :func:`optimise_table` (a reader still
on one gets the latest on its next call)."""
SQ_PROBES, SQ_REFINE_ROWS = 96, 200
"""For an IVF_SQ index (up to about 750,000 512-wide rows): bench/scale.py at 50 films, recall@10
1.0, p95 45 ms."""
RQ_BITS, NPROBES, REFINE_ROWS = 2, 1 << 16, 1000
"""For an IVF_RQ index: bits a dimension, IVF partitions searched (LanceDB stops at the index's
count: all of them; text queries sit far from the images, and the partitions nearest them miss
many of their nearest frames) and rows re-ranked on the stored vectors. bench/scale.py, 500
films of realistic frame vectors (their 10th and 11th nearest a mere 0.0002 apart): 2 bits and
1,000 re-ranked: recall@10 0.995, p95 77 ms; 1 bit needed 12,000 re-ranked (each a ~10 us read
from the page cache) for 0.965 at p95 260 ms, and 3,000 gave 0.85."""
WINDOW_RQ_BITS = 4
"""Bits a dimension for the dialogue windows' IVF_RQ index, all partitions probed as for frames.
At 500 films (898,500 windows of real subtitle lines embedded by all-MiniLM-L6-v2, a third of
each query's words dropped) 4-bit codes found what 8-bit IVF_SQ (96 partitions probed) found,
recall@100 1.000 both, in 186 MB against 334 (less to read after a restart: 0.20-0.31 s against
0.34-0.35 s cold), p95 30-52 against 28-30 ms; on unclustered vectors IVF_SQ's 96 probes found
0.42 of the 100 nearest and 4-bit codes 0.999; 2-bit ones (104 MB) 0.945."""
CACHE_ENV, INDEX_CACHE_MB = settings.STORE_CACHE_MB, 768
"""Index kept in memory at least (a 500-film library's indexes: 525 MB of 2-bit frame codes
and 186 MB of 4-bit window codes); a store whose indexes are larger gets a cache that holds
them whole (``cache_mb_for``). Every query probes every partition, so a cache smaller than the
index is no cache at all: each query read and decoded the whole index again (1,000 films with
768 MB: p95 638 ms, against 95 ms at 500 films that fit)."""
LEAN_ENV, LEAN_BITS, LEAN_REFINE_ROWS = settings.STORE_LEAN, 1, 30_000
"""Lean codes: 1 bit a dimension, frames and dialogue windows alike, the nearest by the codes
re-ranked 30,000 deep. bench/scale.py --films 1000 (7.2 million frames): the frames' index
558 MB against 1,051 at 2 bits, the process 1,276 MB against 1,973; 30,000 re-ranked: recall@10
0.988, p95 306-431 ms with the store in the page cache, 758 ms read from disk after a restart;
12,000: 0.945, 215 / 343 ms; 1,000: 0.66. Windows of real subtitle lines (500 films):
recall@100 1.000 with 1,000 re-ranked, 56 MB against 186 (but 0.94 on tests/test_store.py's
clustered windows)."""
CACHE_MARGIN = 1.1
"""Room over the indexes' size on disk (the cache also holds LanceDB's lookup tables)."""


def index_cache_mb() -> int:
    """``$ONEFRAME_STORE_CACHE_MB``, else ``INDEX_CACHE_MB``; a clear error if it isn't one."""
    return int(number(CACHE_ENV, INDEX_CACHE_MB, integer=True))


def cache_mb_for(db: Any) -> int:
    """The index cache a store opened as ``db`` wants: ``$ONEFRAME_STORE_CACHE_MB`` where set,
    else room for all its indexes, at least ``INDEX_CACHE_MB`` and at most half the machine's
    memory (past that a larger machine, or the shards of the README, are the answer)."""
    if settings.text(CACHE_ENV):
        return index_cache_mb()
    size = 0
    for name in db.list_tables().tables:
        with contextlib.suppress(Exception):  # torn or being replaced: sized at the next open
            size += sum(i.size_bytes or 0 for i in db.open_table(name).list_indices())
    return max(INDEX_CACHE_MB, min(-(-int(size * CACHE_MARGIN) >> 20), half_memory_mb()))


def half_memory_mb() -> int:
    """Half the machine's memory, MB: the most the index cache is given unasked."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2 >> 20


def lean_codes(rows: int, dim: int, bits: int) -> bool:
    """Whether a new index of ``rows`` vectors keeps lean codes (``LEAN_BITS``) rather than
    ``bits`` a dimension: as ``$ONEFRAME_STORE_LEAN`` says (1 or 0), else (auto) where the full
    codes (and LanceDB's 16 bytes a row besides) would take more than half the index cache, as
    set, or as large as it may grow unasked (``half_memory_mb``)."""
    asked = settings.choice(LEAN_ENV, ("auto", "1", "0"))
    if asked != "auto":
        return asked == "1"
    cache_mb = index_cache_mb() if settings.text(CACHE_ENV) else half_memory_mb()
    return rows * (dim * bits // 8 + 16) > (cache_mb << 20) // 2


METADATA_CACHE_MB = 128


DELTA_SHARE = 0.03
"""An indexed table is optimised again (compacted, its index brought up to date, partitions
grown past LanceDB's split size split: work that once rewrote the whole index, see
``settle_index``) only once rows outside its index, or deleted rows, pass this share of its
rows; until then a query scans the rows outside the index exactly (3% of 500 films: 108,000
rows, tens of milliseconds) and deleted ones are skipped. So adding or removing one film costs
that film's rows, and the index's upkeep comes once every 15 or so films."""


MAX_VERSIONS = 400
"""Versions older than ``KEEP_VERSIONS`` an indexed table may gather before it is optimised
anyway: old versions (and the files of films removed since) are only dropped by an optimise.
400 is about 200 films added or removed, a few GB at most."""


def optimise_due(table: Any, vectors: bool) -> bool:
    """Whether optimising ``table`` is worth its cost now (see ``DELTA_SHARE``): always for a
    table without its vector index; for an indexed one, once enough rows are outside the index
    or deleted, or it has gathered ``MAX_VERSIONS``."""
    if not vectors or not has_vector_index(table):
        return True
    stats = table.index_stats("vector_idx")
    live = max(table.count_rows(), 1)
    deleted = max(stats.num_indexed_rows + stats.num_unindexed_rows - live, 0)
    return (stats.num_unindexed_rows > DELTA_SHARE * live or deleted > DELTA_SHARE * live
            or droppable_versions(table) > MAX_VERSIONS)


def droppable_versions(table: Any) -> int:
    """How many of ``table``'s versions an optimise would drop: those older than
    ``KEEP_VERSIONS``. Newer ones stay whatever it does, so they never make it due (counted,
    they made every optimise in the ten minutes after a large build rewrite the index again)."""
    versions = table.list_versions()
    if not versions:
        return 0
    stamp = versions[0]["timestamp"]
    now = datetime.now(stamp.tzinfo) if isinstance(stamp, datetime) else None
    if now is None:
        return len(versions)
    return sum(v["timestamp"] < now - KEEP_VERSIONS for v in versions)


def optimise_table(table: Any, text: bool, vectors: str | None, force: bool = False,
                   keyed: str | None = None) -> None:
    """Compact ``table`` and drop its old versions (retrying a commit another writer
    pre-empted); index its ``text`` for full-text search, its ``keyed`` column for lookups
    once it is large, or its vectors (and video ids) once it is large, ``vectors`` naming
    their kind ("frames" or "windows"). An indexed table is left as it is until that is due
    (``optimise_due``), unless ``force``."""
    if not force and not optimise_due(table, bool(vectors)):
        return
    _optimize(table)
    if text and "terms_idx" not in index_names(table):
        from lancedb.index import FTS

        # the terms are dialogue matching's own words and stems: split at spaces, as they are
        table.create_index("terms", config=FTS(
            with_position=False, base_tokenizer="whitespace", lower_case=False, stem=False,
            remove_stop_words=False, ascii_folding=False, max_token_length=None))
    rows = table.count_rows()
    if keyed and rows > ANN_ROWS and f"{keyed}_idx" not in index_names(table):
        from lancedb.index import BTree

        table.create_index(keyed, config=BTree())
    if not vectors:
        return
    if rows > ANN_ROWS and not has_vector_index(table):
        dim = table.schema.field("vector").type.list_size
        table.create_index("vector", config=index_config(rows, dim, vectors))
        settle_index(table)
    if rows > ANN_ROWS and "video_idx" not in index_names(table):
        from lancedb.index import Bitmap

        table.create_index("video", config=Bitmap())


def _optimize(table: Any) -> None:
    """LanceDB's optimise of ``table``, tried again where another writer's commit pre-empted
    it."""
    for attempt in range(3):
        try:
            table.optimize(cleanup_older_than=KEEP_VERSIONS)
            return
        except RuntimeError as exc:
            if "Retryable commit conflict" not in str(exc) or attempt == 2:
                raise


SETTLE_PASSES = 3
"""Optimises at most, right after an index is made (at 500 films the first split partitions,
117 s, the second changed the index again, 7 s, and the third left it as it was, 0.0 s)."""


def settle_index(table: Any) -> None:
    """Optimise a table whose vector index was just made until the index stays as it is.
    LanceDB's optimise splits IVF partitions of more than four times its target size (4,096
    rows) and joins small ones, rewriting the index; unsettled, that came with whatever
    optimise was next due (at 500 films, 378 s to drop old versions), and now comes here,
    once, right after the index is made (see ``PARTITION_ROWS``)."""
    for _ in range(SETTLE_PASSES):
        before = vector_index_uuid(table)
        _optimize(table)
        if vector_index_uuid(table) == before:
            return


def vector_index_uuid(table: Any) -> str | None:
    index = vector_index(table)
    return None if index is None else str(index.index_uuid)


def new_session(cache_mb: int | None = None) -> Any:
    """LanceDB's caches for one store: at most ``cache_mb`` (else ``index_cache_mb()``) of
    index in memory."""
    import lancedb

    return lancedb.Session(index_cache_size_bytes=(cache_mb or index_cache_mb()) << 20,
                           metadata_cache_size_bytes=METADATA_CACHE_MB << 20)


def connect(uri: str, session: Any) -> Any:
    """A connection whose tables always read the latest commit, by any process (the CLI adds
    videos while the app searches), caching in ``session``."""
    import lancedb

    return lancedb.connect(uri, read_consistency_interval=timedelta(0), session=session,
                           storage_options=settings.string_map(settings.STORE_OPTIONS) or None)


def prewarm(db: Any) -> None:
    """Read every table's indexes into LanceDB's cache before the first query (cold, a first
    query at 500 films waited 40 s on thousands of small index reads). The tables' files are
    not read ahead: a query's thousand re-ranked rows are random reads a disk serves in
    milliseconds, and reading 8 GB ahead in the background held the first answer after a
    restart at 3.3 s against 1.8 s without (bench/scale.py --films 500 --cold)."""
    for name in db.list_tables().tables:
        table = db.open_table(name)
        for index in table.list_indices():
            with contextlib.suppress(Exception):  # a kind that can't be prewarmed: read on use
                table.prewarm_index(index.name)


def index_names(table: Any) -> set[str]:
    return {index.name for index in table.list_indices()}


def has_vector_index(table: Any) -> bool:
    return vector_index(table) is not None


def vector_index(table: Any) -> Any | None:
    """``table``'s vector index (LanceDB's description of it), None where it has none."""
    return next((i for i in table.list_indices() if i.name == "vector_idx"), None)


PARTITION_ROWS = 4096
"""Rows an IVF_RQ partition holds on average: LanceDB's own target, past four times which its
optimise splits a partition (rewriting the index). bench/relayout.py --films-like --films 150
(1.08 million realistic frames): with sqrt(rows)/7 partitions (148) the index took 44 s to make
and its first optimise 56 s more; with rows/4,096 (264), 52 s and 14 s; with 528, 93 s and 5 s."""


def rq_partitions(rows: int) -> int:
    """IVF partitions of an IVF_RQ index of ``rows`` vectors: one per ``PARTITION_ROWS``, at
    most sqrt(rows), at least 16."""
    return max(16, min(rows // PARTITION_ROWS, int(np.sqrt(rows))))


def index_config(rows: int, dim: int, kind: str = "frames") -> Any:
    """Frames: 8-bit codes (IVF_SQ) where they fit half the index cache, precise with few
    probes; else 2-bit RaBitQ codes, a quarter of the size, all probed and re-ranked. Dialogue
    windows: 4-bit RaBitQ codes (``WINDOW_RQ_BITS``). Either: 1-bit codes where they are to be
    lean (``lean_codes``)."""
    from lancedb.index import IvfRq, IvfSq

    bits = RQ_BITS if kind == "frames" else WINDOW_RQ_BITS
    if lean_codes(rows, dim, bits):
        bits = LEAN_BITS
    elif kind == "frames" and rows * dim <= (index_cache_mb() << 20) // 2:
        return IvfSq(distance_type="cosine", num_partitions=max(16, int(np.sqrt(rows) / 2)))
    return IvfRq(distance_type="cosine", num_partitions=rq_partitions(rows), num_bits=bits,
                 sample_rate=64)


def vector_column(array: np.ndarray) -> Any:
    """Rows of vectors as a float16 fixed-size-list column."""
    import pyarrow as pa

    values = np.ascontiguousarray(array, np.float16)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])


def search_settings(table: Any) -> tuple[int, int] | None:
    """How a nearest-vector query uses ``table``'s ANN index: partitions probed and rows
    re-ranked on the stored vectors (lean codes: ``LEAN_REFINE_ROWS``); None where it has none
    (an exact scan)."""
    index = vector_index(table)
    if index is None:
        return None
    if index.index_type == "IvfSq":
        return SQ_PROBES, SQ_REFINE_ROWS
    return NPROBES, LEAN_REFINE_ROWS if code_bits(index) == LEAN_BITS else REFINE_ROWS


def code_bits(index: Any) -> int:
    """Bits a dimension of a vector index's codes (``vector_index``'s description): 8 for
    IVF_SQ, RaBitQ's own count for IVF_RQ."""
    return int((index.index_details.get("compression") or {}).get("num_bits", 8))
