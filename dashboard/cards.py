"""How results look: a hit's card (frame, time, score split, line, actions: Play, Similar, Take
it) and the player, which a link to a moment opens."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import streamlit as st

from dashboard import media, takeout
from dashboard.charts import CHANNEL_COLOURS
from dashboard.safe import plain, web_link
from oneframe.api import Hit, cues_to_vtt, moment_url
from oneframe.api import Searcher as LibrarySearch
from oneframe.core.timefmt import timestamp

STYLE = """<style>
.of-bar{display:flex;align-items:center;gap:.4rem;font-size:.78rem;line-height:1.3rem}
.of-bar span{width:4.3rem;opacity:.75}.of-bar em{opacity:.6}
.of-track{flex:1;height:.45rem;background:rgba(128,128,128,.25);border-radius:.3rem}
.of-track div{height:100%;border-radius:.3rem}
.of-caption{font-size:.88rem;margin:.3rem 0 .2rem 0}
.of-caption mark{background:#f5a52455;color:inherit;padding:0 .1rem;border-radius:.2rem}
.of-said{font-size:.72rem;opacity:.65;margin-top:.2rem}
.of-time{font-weight:700;font-size:1.05rem}
.of-badge{font-size:.72rem;padding:.05rem .4rem;border-radius:.6rem;background:#f5a52433;
  margin-left:.3rem}
</style>"""


def style() -> None:
    st.markdown(STYLE, unsafe_allow_html=True)


def highlighted(segments: Sequence[tuple[str, bool]]) -> str:
    """Caption HTML with matched words marked; every piece made inert (captions are untrusted)."""
    return "".join(f"<mark>{plain(piece)}</mark>" if hit else plain(piece)
                   for piece, hit in segments)


def score_bars(hit: Hit, by_image: bool = False) -> str:
    """The score split into picture and dialogue; an image query scores no dialogue at all."""
    def bar(label: str, value: float | None, colour: str) -> str:
        if value is None:
            missing = "not fetched yet" if not hit.pictured and label == "picture" else \
                "not scored" if label == "picture" else "no dialogue"
            return f"<div class='of-bar'><span>{label}</span><em>{missing}</em></div>"
        width = max(0.0, min(value, 1.0)) * 100
        return (f"<div class='of-bar'><span>{label}</span><div class='of-track'><div "
                f"style='width:{width:.0f}%;background:{colour}'></div></div>"
                f"<b>{value:.2f}</b></div>")

    bars = bar("picture", hit.visual, CHANNEL_COLOURS["picture"])
    return bars if by_image else bars + bar("dialogue", hit.dialog, CHANNEL_COLOURS["dialogue"])


def hit_card(hit: Hit, rank: int, key: str, badge: str | None = None, by_image: bool = False,
             image_width: int | str = "stretch", on_search_page: bool = True,
             playing: str = "playing") -> None:
    """One result: the frame, its time, the score split, the line, Play (into the page's
    player, session state ``playing``) and Similar (on the Search page)."""
    with st.container(border=True):
        if not hit.pictured:
            st.info("Picture not fetched yet: found by what was said.",
                    icon=":material/hide_image:")
        elif hit.frame.is_file():
            st.image(str(hit.frame), width=image_width)
        else:
            st.caption("(frame image missing from the library folder)")
        extra = f"<span class='of-badge'>{plain(badge)}</span>" if badge else ""
        st.markdown(
            f"<span class='of-time'>#{rank} · {timestamp(hit.time)}</span> "
            f"<span style='opacity:.7'>score {hit.score:.2f}</span>{extra}<br>"
            f"<span style='font-size:.8rem;opacity:.7'>{plain(hit.title)}</span>",
            unsafe_allow_html=True)
        st.markdown(score_bars(hit, by_image), unsafe_allow_html=True)
        if hit.text:
            kind = hit.source_name or "captions"
            said = (f"the line that matched, from the {kind}" if hit.matched_line
                    else f"said at this moment ({kind})")
            st.markdown(f"<div class='of-said'>{plain(said)}</div><div class='of-caption'>“"
                        f"{highlighted(hit.segments)}”</div>", unsafe_allow_html=True)
        if not hit.pictured:
            if link := web_link(hit.url):
                st.link_button("Open the video at this moment", link, width="stretch",
                               icon=":material/open_in_new:")
            return
        left, right = st.columns(2)
        # What a button does is bound to this card's video and time when it is drawn, not to
        # whatever result holds its rank when it is clicked (another session may have removed
        # the video meanwhile, and every rank moved).
        left.button("Play", key=f"{key}-play", width="stretch", icon=":material/play_arrow:",
                    help=f"Play the video from {timestamp(float(hit.start))}",
                    on_click=_play, args=(playing, hit.video, float(hit.start)))
        right.button("Similar", key=f"{key}-like", width="stretch",
                     icon=":material/image_search:", help="More like this: frames that look "
                     "like this one", on_click=_like,
                     args=(hit.video, float(hit.frame_time), on_search_page))
        takeout.card_menu(hit, key)


def _play(playing: str, video: str, seconds: float) -> None:
    st.session_state[playing] = (video, seconds)


def _like(video: str, seconds: float, on_search_page: bool) -> None:
    st.session_state["like"] = (video, seconds)  # by time: frame numbers change with a re-ingest
    st.session_state.pop("playing", None)
    st.session_state["to_search"] = not on_search_page


def gone(kind: str) -> None:
    """Say that a result's video was removed (by another session, or the command line) since
    its card was drawn."""
    st.warning(f"The video of that {kind} was removed from the library meanwhile.",
               icon=":material/delete:")


def open_link(index: LibrarySearch, params: dict[str, str]) -> None:
    """Open the player where a link to a moment points (``?play=ID&t=SECONDS``); a link to a
    video the library doesn't hold, or a time that isn't one, says so."""
    video = params.get("play", "")
    position = index.position.get(video)
    try:
        seconds = float(params.get("t", "0"))
    except ValueError:
        seconds = float("nan")
    if position is None:
        st.warning("That link is to a video this library doesn't hold (removed since?).",
                   icon=":material/link_off:")
    elif not 0 <= seconds <= max(index.records[position].duration, 0.0):
        st.warning("That link's time is not a time of its video; it plays from the start.",
                   icon=":material/link_off:")
        st.session_state["playing"] = (video, 0.0)
    else:
        st.session_state["playing"] = (video, seconds)


def player(index: LibrarySearch, playing: str = "playing") -> None:
    """The video and second in session state ``playing``, with its captions; a YouTube link
    for YouTube sources. Burned-in subtitles are already in the picture, so only a caption
    track is attached."""
    if not st.session_state.get(playing):
        return
    video, seconds = st.session_state[playing]
    position = index.position.get(video)
    if position is None:  # removed meanwhile
        st.session_state.pop(playing, None)
        gone("result")
        return
    record = index.records[position]
    with st.container(border=True):
        st.markdown(f"**{plain(record.title)}** from {timestamp(seconds)}")
        path = record.video_path
        if path is not None and path.is_file():
            cues = [c for c in index.cues_of(video) if c.source != "burned-in"]
            # Streamed by Home.py's route; a file path (read whole into memory) only where no
            # browser asked (tests).
            source = media.video_url(st.context.url, record.id) or str(path)
            st.video(source, start_time=int(seconds),
                     subtitles=cues_to_vtt(cues) if cues else None, autoplay=True)
        else:
            st.caption("The video file is not in the library folder, so it can't be played.")
        url = web_link(moment_url(record, seconds)) if record.id.startswith("yt-") else None
        if url:
            st.link_button("Open on YouTube at this moment", url)
        if st.button("Close player", key=f"close-{playing}"):
            st.session_state.pop(playing, None)
            st.rerun()


def shareable(hits: Sequence[Hit]) -> list[Hit]:
    """Hits as a browser user may have them: a web video's own link, else this app's link
    that opens the Search page playing the moment (not the file route, which downloads the
    whole video), frames by file name only."""
    out = []
    for hit in hits:
        url = hit.url if web_link(hit.url) else None
        if url is None:
            url = takeout.link(hit.video, float(hit.start if hit.start is not None else
                                                hit.time))
        out.append(dataclasses.replace(hit, url=url, frame=hit.frame.__class__(hit.frame.name)))
    return out
