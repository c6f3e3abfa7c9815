"""Untrusted text (titles, file names, captions, links, messages that quote them) made inert.

Streamlit renders Markdown, HTML (where allowed), ``:material/...:`` icons, ``:red[...]``
colours, ``$...$`` maths and bare links in almost every text it shows, labels and alerts
included. A video title is written by whoever uploaded it, so it is shown as the characters it
is: every character that could start any of that syntax becomes a numeric character reference,
which Markdown and HTML both show literally and never parse.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SYNTAX = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character
_LINK_LIKE = re.compile(r"(?<=:)(?=//)|(?i:(?<=\bwww))(?=\.)|(?=@)")
"""Where Markdown's autolinking starts (``scheme://``, ``www.``, ``name@host``): it reads the
text after character references are decoded, so alerts turned such text into links."""
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` to show as it is, in Markdown or HTML: ASCII punctuation as ``&#NN;``, the
    rest (letters, digits, spaces, any other script) unchanged, and an invisible word joiner
    inside whatever looks like the start of a link, so that it is never made one."""
    unlinked = _LINK_LIKE.sub(WORD_JOINER, str(text))
    return _SYNTAX.sub(lambda m: f"&#{ord(m.group())};", unlinked)


def web_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) link fit for an ``href``, else None (``javascript:``...)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
