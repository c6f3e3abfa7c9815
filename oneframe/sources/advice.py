"""What a yt-dlp failure means for the user, and what to do: one piece of advice per cause.

The phrases are those yt-dlp and YouTube print today. Checked in order: a more specific cause
first (members-only mentions cookies too, so it comes before the bot check). yt-dlp's last
warning goes under "details", since it often names the real cause (an outdated JS runtime).
"""

from __future__ import annotations

from oneframe.core.errors import SourceError
from oneframe.sources.netguard import refusal

COOKIE_ADVICE = (
    "Export the cookies of a signed-in browser to a Netscape cookies.txt file (yt-dlp's wiki: "
    "sign in from a private window, export, then close that window so YouTube doesn't rotate "
    "them) and give it as the cookies file. Use an account you can afford to lose: YouTube may "
    "ban accounts used this way.")
UPDATE_ADVICE = (
    "YouTube changes often and needs yt-dlp's JavaScript challenge solver, run by deno. Update "
    "them (`make lock` then `make test` in the project, or `pip install -U "
    "\"yt-dlp[default,deno]\"`), and try again.")

ADVICE = (  # (phrases in yt-dlp's message or warnings, what to tell the user)
    (("no connection adapters were found for 'file:", "file:// urls are disabled",
      "unsupported url scheme", "no connection adapters were found"),
     "the link led (by a redirect) to something that is not a web address, such as a file on "
     "this computer (file://), which oneframe never follows. Give the video page's own https "
     "address."),
    (("unsupported url",), "this site is not supported by yt-dlp. Download the video yourself "
     "and add the file instead."),
    (("live event will begin", "premieres in", "this live event", "is_upcoming"),
     "it is a premiere or live stream that hasn't started. Add it once it is a video."),
    (("members-only", "join this channel", "available to this channel's members"),
     "the video is for the channel's members only. " + COOKIE_ADVICE.replace(
         "a signed-in browser", "a browser signed in to a member's account")),
    (("confirm your age", "age-restricted", "age restricted", "inappropriate for some users"),
     "the video is age-restricted. " + COOKIE_ADVICE),
    (("not made this video available in your country", "not available in your country",
      "geo restriction", "geo-restricted", "blocked it in your country"),
     "the video is not available in this server's country (a geo-block). Nothing oneframe can "
     "change: try from elsewhere, or download the video where it plays and add the file."),
    (("this content isn't available, try again later", "http error 429",
      "too many requests", "rate-limit", "rate limit"),
     "YouTube is limiting requests from this server for now (rate limit). Wait an hour or more "
     "and try again; signed-in cookies help. " + COOKIE_ADVICE),
    (("not a bot", "sign in to confirm"), "YouTube asks to sign in (\"confirm you're not a "
     "bot\"), as it does for many servers. " + COOKIE_ADVICE),
    (("private video", "video unavailable", "has been removed", "no longer available",
      "does not exist", "this video is private", "account associated"),
     "the video is private, removed or unavailable. Check the link in a browser."),
    (("http error 404", "404: not found"), "nothing was found at this address (HTTP 404). "
     "Check the link."),
    (("http error 403",), "the server refused access (HTTP 403). Try again later; on "
     "YouTube this usually means yt-dlp is out of date. " + UPDATE_ADVICE),
    (("javascript runtime", "js runtime", "n challenge", "signature extraction",
      "challenge solving", "ejs", "nsig"), "yt-dlp could not solve YouTube's JavaScript "
     "challenge. " + UPDATE_ADVICE),
    (("requested format is not available", "no video formats", "no formats"),
     "no video stream that oneframe can decode was offered. On YouTube this is usually an "
     "outdated yt-dlp or a missing JavaScript runtime rather than the video. " + UPDATE_ADVICE),
    (("max-filesize", "larger than max", "file is larger"), "the video is larger than this "
     "server adds from one link (ONEFRAME_MAX_DOWNLOAD_MB sets the limit)."),
    (("name or service not known", "temporary failure in name resolution", "failed to resolve",
      "connection refused", "network is unreachable", "timed out", "urlopen error",
      "connection reset", "remote end closed", "nodename nor servname", "no route to host",
      "unable to download webpage", "connectionerror", "transporterror"),
     "the network request failed. Check the internet connection and try again."),
)


def explain(url: str, exc: BaseException, warnings: list[str] | None = None) -> SourceError:
    """A SourceError whose message says what went wrong with ``url`` and what to do, with
    yt-dlp's last warning as its details."""
    if refused := refusal():  # a redirect or a name that led inside the network
        return SourceError(f"Could not fetch {url}: {refused}")
    message = str(exc).replace("ERROR: ", "").strip()
    warnings = [w.replace("WARNING: ", "").strip() for w in warnings or [] if w.strip()]
    details = warnings[-1] if warnings else None
    for seen in (message.lower(), " ".join(warnings).lower()):  # the error first, then why
        for phrases, advice in ADVICE:
            if any(p in seen for p in phrases):
                return SourceError(f"Could not fetch {url}: {advice}",
                                   details=details or message)
    return SourceError(f"Could not fetch {url}: {message or type(exc).__name__}",
                       details=details)
