"""The dashboard's shared code: cached access to the core, rendering, charts, the video route.

Pages (``pages/``) hold pages only; what they share lives here. Never imported by ``oneframe``.
"""
