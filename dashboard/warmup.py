"""What the server does once at start, before any session: pages by navigation, warm models."""

from __future__ import annotations

import logging
import threading

LOG = logging.getLogger("oneframe")


def serve_pages_by_navigation() -> None:
    """Run every page through Home.py's ``st.navigation`` from the first request on.

    Streamlit decides on its first session whether ``pages/`` is an old-style page folder; until
    Home.py had run once, a deep link (a bookmarked ``/search`` after a restart) ran the page
    bare, without the sidebar. Deciding here, before any session, avoids that.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def warm() -> None:
    """Load the picture and dialogue models (and run each once), then the library's search
    index, so that a first query is quick."""
    from oneframe.api import (
        Library,
        load_encoder,
        load_sentence_encoder,
        resolve_dialog_model,
        resolve_model,
    )
    from oneframe.core.errors import OneframeError

    try:
        models = {resolve_model()} | {r.model for r in Library().list() if r.has_pictures}
    except OneframeError:
        models = {resolve_model()}
    for model in sorted(models):
        try:
            load_encoder(model).embed_texts(["a first query"])
        except OneframeError as exc:  # the page says it again, where a user reads it
            LOG.warning("oneframe: %s", exc)
    try:
        load_sentence_encoder(resolve_dialog_model()).embed(["a first query"])
    except OneframeError as exc:
        LOG.warning("oneframe: %s", exc)
    from dashboard import ui

    library = Library()
    if library.state():  # what the first search will ask for, outside any session
        quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext": expected here
        try:
            ui.cached_index(str(library.root), library.state()).warm()
        finally:
            quiet.setLevel(level)


def sweep() -> None:
    """Clear what an earlier run left: the library's abandoned staging folders and half-removed
    entries, and upload copies in the temporary folder whose owner is gone."""
    from dashboard import uploads
    from oneframe.api import Library
    from oneframe.core.errors import OneframeError

    try:
        Library().sweep()
    except OneframeError as exc:
        LOG.warning("oneframe: %s", exc)
    uploads.sweep()


def resume() -> None:
    """Go on adding the collections an earlier run of the server left unfinished."""
    from dashboard.collections import RUNS
    from oneframe.api import Library, ServePolicy
    from oneframe.core.errors import OneframeError

    try:
        if started := RUNS.resume_all(Library(), ServePolicy.from_env()):
            LOG.warning("oneframe: resuming %d unfinished collections", len(started))
    except OneframeError as exc:
        LOG.warning("oneframe: %s", exc)


def start() -> threading.Thread:
    """Sweep, then warm the models, in a background thread; the server answers meanwhile."""
    thread = threading.Thread(target=lambda: (sweep(), resume(), warm()),
                              name="oneframe-warmup", daemon=True)
    thread.start()
    return thread
