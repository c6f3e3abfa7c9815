"""The app as a server: its routes beside Streamlit's, and what it does once as it starts.

``streamlit run Home.py`` finds ``app`` in Home.py (an ``st.App``) and serves it; these are
what that app is given: the route that streams library videos (``media``), the route that
takes uploaded videos (``upload_route``), and a lifespan hook that, before any session, makes
pages run by navigation and starts the warm-up (sweep, then models and the library's index).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from dashboard import media, upload_route, warmup

ROUTES = [*media.ROUTES, *upload_route.ROUTES]


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """At start: pages by navigation, and the warm-up in the background; nothing at stop."""
    warmup.serve_pages_by_navigation()
    warmup.start()
    yield
