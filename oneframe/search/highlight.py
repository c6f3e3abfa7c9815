"""A matched line as it is shown: the words (or, in scripts without spaces, the letters of the
pairs) that matched the query marked."""

from __future__ import annotations

import unicodedata

from oneframe.dialogue.languages import DEFAULT
from oneframe.dialogue.text import common_words, unspaced, words


def highlight(text: str, matched: set[str], lang: str = DEFAULT) -> list[tuple[str, bool]]:
    """``text`` split into ``(piece, is_match)`` segments, whitespace kept; in a script
    without spaces, the letters of the matched pairs."""
    common = common_words(lang)
    pieces = text.split(" ")
    gaps = [(" " if i else "", False) for i in range(len(pieces))]
    if any(map(unspaced, text)):
        return _merged(gaps, [_letters(piece, matched - common, lang) for piece in pieces])
    return _merged(gaps, [[(piece, bool(matched) and any(
        w in matched and w not in common for w in words(piece, lang)))] for piece in pieces])


def _letters(piece: str, matched: set[str], lang: str) -> list[tuple[str, bool]]:
    """A piece of a line in a script without spaces, each letter (with its marks) marked
    where a matched pair holds it; a matched word in another script, whole."""
    if any(w in matched for w in words(piece, lang) if not any(map(unspaced, w))):
        return [(piece, True)]
    letters: list[str] = []
    for char in piece:
        if letters and unicodedata.category(char)[0] == "M":
            letters[-1] += char
        else:
            letters.append(char)
    flags = [False] * len(letters)
    for i in range(len(letters) - 1):
        pair = unicodedata.normalize("NFKC", letters[i] + letters[i + 1]).casefold()
        if pair in matched:
            flags[i] = flags[i + 1] = True
    return list(zip(letters, flags, strict=True))


def _merged(gaps: list[tuple[str, bool]],
            pieces: list[list[tuple[str, bool]]]) -> list[tuple[str, bool]]:
    """Pieces and the gaps before them as segments, neighbours of one kind joined (in time
    linear in the line's length: a megabyte-long line is joined once)."""
    runs: list[tuple[list[str], bool]] = []
    for gap, parts in zip(gaps, pieces, strict=True):
        joined = ([(gap[0], bool(runs) and runs[-1][1] and bool(parts) and parts[0][1])]
                  if gap[0] else []) + parts
        for piece, hit in joined:
            if runs and runs[-1][1] == hit:
                runs[-1][0].append(piece)
            elif piece:
                runs.append(([piece], hit))
    return [("".join(texts), hit) for texts, hit in runs]
