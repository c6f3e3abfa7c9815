"""Collections on the pages: a channel, playlist or feed read and chosen from, its videos added
in the background (dialogue first, pictures after), and one progress view per collection.

The runs live in the server process (:data:`RUNS`), not in a session: they go on while no page
is open, every visitor sees them, and the server resumes unfinished ones when it starts (the
queue is in the library).
"""

from __future__ import annotations

import logging
import threading
from datetime import date

import streamlit as st

from dashboard.safe import plain
from oneframe.api import (
    Cancelled,
    Choice,
    Collection,
    CollectionRun,
    Collections,
    IngestOptions,
    Library,
    Listing,
    ServePolicy,
    pending,
    read_list,
    retry_failed,
    start_collection,
)
from oneframe.core.errors import OneframeError

LOG = logging.getLogger("oneframe")
SHOWN_ROWS = 400
"""The most videos of a list shown to tick (the choices above reach all of them)."""


class Runs:
    """The collection runs of this server process, one per collection at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: dict[str, tuple[threading.Thread, CollectionRun]] = {}
        self.errors: dict[str, str] = {}

    def start(self, library: Library, cid: str, policy: ServePolicy | None) -> None:
        """Work collection ``cid``'s queue in the background (unless it is already)."""
        with self.lock:
            if self.alive(cid):
                return
            run = CollectionRun(library, cid, policy=policy)
            thread = threading.Thread(target=self._run, args=(cid, run), daemon=True,
                                      name=f"oneframe-collection-{cid}")
            self.runs[cid] = (thread, run)
            self.errors.pop(cid, None)
            thread.start()

    def _run(self, cid: str, run: CollectionRun) -> None:
        try:
            with ACTIVE:  # a few collections at a time; the others wait their turn
                if not run.stop.is_set():
                    run.run()
        except Cancelled:
            pass
        except OneframeError as exc:
            self.errors[cid] = exc.for_visitor()
        except Exception:
            LOG.exception("oneframe: the collection %s stopped", cid)
            self.errors[cid] = ("Adding this collection stopped on an unexpected error (the "
                                "details are in the server's log). Resume it to go on.")

    def alive(self, cid: str) -> bool:
        found = self.runs.get(cid)
        return found is not None and found[0].is_alive()

    def run_of(self, cid: str) -> CollectionRun | None:
        found = self.runs.get(cid)
        return found[1] if found is not None and found[0].is_alive() else None

    def cancel(self, cid: str, wait: float = 0.0) -> None:
        """Stop a run (what it added is kept), waiting up to ``wait`` seconds for it to end."""
        found = self.runs.get(cid)
        if found is not None and found[0].is_alive():
            found[1].stop.set()
            found[0].join(wait)

    def resume_all(self, library: Library, policy: ServePolicy | None) -> list[str]:
        """Start every collection the web app added with work left that no process is adding:
        a restarted server goes on where it was (the command line's are resumed there)."""
        started = []
        collections = Collections(library)
        for collection in collections.all():
            if collection.origin == "web" and pending(collection) and \
                    not collections.is_running(collection.id):
                self.start(library, collection.id, policy)
                started.append(collection.id)
        return started


ACTIVE_RUNS = 2
"""Collections a server adds at once (each fetches captions in a few workers; pictures are
fetched one video at a time across all of them)."""
ACTIVE = threading.BoundedSemaphore(ACTIVE_RUNS)
RUNS = Runs()


def read(url: str, policy: ServePolicy) -> Listing | None:
    """The list at ``url`` (kept for this session), or None with the reason shown."""
    kept = st.session_state.get("listing")
    if kept is not None and kept.source == url:
        return kept
    try:
        with st.spinner("Reading the list, page by page…"):
            listing = read_list(url, policy=policy)
    except OneframeError as exc:
        st.error(plain(exc.for_visitor()))
        return None
    st.session_state["listing"] = listing
    return listing


def choose(listing: Listing, library: Library, options: IngestOptions,
           policy: ServePolicy) -> None:
    """What the list holds, which of it to add, and the button that starts it."""
    items = listing.items
    dated = [i.published for i in items if i.published]
    with_captions = sum(i.captions == "file" for i in items)
    st.subheader(f"{plain(listing.title)}: {len(items)} videos")
    st.caption(f"A {listing.kind}" + (f", {min(dated)} to {max(dated)}" if dated else "")
               + (f"; {with_captions} with a caption file beside them" if with_captions else
                  "; captions are looked for as each video is added") + ".")
    how = st.radio("Add", ["All of them", "The newest", "Published since", "Those ticked"],
                   horizontal=True, key="list_how")
    choice = Choice()
    if how == "The newest":
        choice.newest = int(st.number_input("How many", 1, len(items), min(25, len(items)),
                                            key="list_newest"))
    elif how == "Published since":
        choice.since = st.date_input("Since", date.fromisoformat(min(dated)) if dated else
                                     date.today(), key="list_since").isoformat()
    shown = items[:SHOWN_ROWS]
    table = st.data_editor(
        [{"add": True, "title": i.title, "minutes": round(i.duration / 60, 1) if i.duration
          else None, "published": i.published, "captions": i.captions or "?"} for i in shown],
        key="list_table", hide_index=True, disabled=["title", "minutes", "published",
                                                     "captions"],
        column_config={"add": st.column_config.CheckboxColumn("Add", width="small")},
        height=min(38 + 35 * len(shown), 320))
    if how == "Those ticked":
        choice.only = {i.url for i, row in zip(shown, table, strict=True) if row["add"]}
    chosen = choice.apply(items)
    st.caption("A list is read and added without a cookies file (one is for a single video "
               "at a time): members-only or age-restricted videos of it fail, with the reason.")
    dialogue_only = st.checkbox(
        "Dialogue only for now (fetch the pictures later, on the Library page)",
        key="list_dialogue_only", help="Each video's captions are fetched first and it is "
        "searchable by its lines within seconds; its picture (a download and embedding per "
        "video) follows unless you leave it for later.")
    if st.button(f"Add {len(chosen)} videos: dialogue first", type="primary",
                 key="list_add", disabled=not chosen, icon=":material/playlist_add:"):
        try:
            collection = start_collection(library, listing, options.replaced(cookies=None),
                                          choice, pictures=not dialogue_only, origin="web")
        except OneframeError as exc:
            st.error(plain(exc.for_visitor()))
            return
        RUNS.start(library, collection.id, policy)
        st.session_state["collection"] = collection.id
        st.session_state.pop("listing", None)
        st.rerun()


def progress(collection: Collection, library: Library, policy: ServePolicy | None,
             key: str) -> None:
    """One collection's progress: listed, searchable by dialogue, with pictures, failed; an
    estimate; Cancel or Resume; the failed videos with why, and Retry."""
    c = collection.counts()
    total = max(c["listed_total"], 1)
    run = RUNS.run_of(collection.id)
    st.markdown(f"**{plain(collection.name)}** · {c['listed_total']} listed · "
                f"{c['searchable']} searchable by dialogue · {c['pictures']} with pictures"
                + (f" · {c['waiting']} without captions" if c["waiting"] else "")
                + (f" · {c['failed']} failed" if c["failed"] else ""))
    st.progress(min(c["looked_at"] / total, 1.0),
                text=f"Dialogue: {c['looked_at']} of {c['listed_total']} looked at")
    if collection.pictures or any(i.first for i in collection.items) or c["pictures"]:
        wanted = c["pictures"] + sum(
            i.state in ("dialogue", "waiting") and (collection.pictures or i.first)
            for i in collection.items)
        st.progress(min(c["pictures"] / max(wanted, 1), 1.0),
                    text=f"Pictures: {c['pictures']} of {wanted} fetched")
    if run is not None:
        left = _estimate(collection, run)
        st.caption("Adding in the background" + (f": about {left} left" if left else "")
                    + ". You can search meanwhile; this keeps going.")
        st.button("Cancel", key=f"{key}-cancel", on_click=RUNS.cancel, args=(collection.id,),
                  icon=":material/close:")
    else:
        if error := RUNS.errors.get(collection.id):
            st.error(plain(error))
        if pending(collection) and not Collections(library).is_running(collection.id):
            if collection.origin == "web":
                st.button("Resume", key=f"{key}-resume", on_click=RUNS.start,
                          args=(library, collection.id, policy), icon=":material/play_arrow:")
            else:
                st.caption("Added from the command line, which goes on with it: "
                           f"`oneframe refresh {plain(collection.id)}`.")
    failed = [i for i in collection.items if i.state == "failed"]
    if failed:
        with st.expander(f"{len(failed)} failed"):
            for item in failed[:50]:
                st.markdown(f"**{plain(item.title)}**: "
                            f"{plain(item.error_visitor or item.error or '')}")
            if st.button("Retry them", key=f"{key}-retry", icon=":material/refresh:"):
                retry_failed(library, collection.id)
                RUNS.start(library, collection.id, policy)
                st.rerun()


def _estimate(collection: Collection, run: CollectionRun) -> str | None:
    """Time left in the current stage, from its pace so far."""
    rate = run.report.rate()
    if rate is None:
        return None
    if run.report.stage == "dialogue":
        left = sum(i.state == "listed" for i in collection.items)
    else:
        left = sum(i.state in ("dialogue", "waiting") and (collection.pictures or i.first)
                   for i in collection.items)
    seconds = rate * left
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
