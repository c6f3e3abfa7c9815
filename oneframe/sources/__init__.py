"""Where a video comes from: a link (yt-dlp) or a file, looked at and fetched; what
yt-dlp's failures mean; what the web app may read and fetch for a visitor (its policy and the
network guard at the socket).

Imports: ``core``, ``encoders``, ``media``, ``dialogue``."""
