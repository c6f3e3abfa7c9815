"""The picture channel of search: frame vectors grouped by the model that made them, scored
against a text query, an image or a stored frame.

Videos indexed with different models (or the same model id that has since changed width) form
groups of their own; a group whose model can't be loaded now, or no longer fits its vectors,
is left out of a search with a warning that names the model, and the rest is searched.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oneframe.core.errors import ModelError
from oneframe.encoders.dual import load_encoder
from oneframe.encoders.models import device
from oneframe.encoders.precision import setting
from oneframe.encoders.query_cache import cached_vector
from oneframe.library.manifest import NO_PICTURES
from oneframe.search.fusion import (
    NEUTRAL_CAPTIONS,
    neutral_background,
    picture_match,
    rescale_relative,
)
from oneframe.search.vectors import products

Group = tuple[str, int]  # (model id, vector width)


def text_vector(model: str, text: str) -> np.ndarray:
    """The text's vector by ``model``; a text asked before comes from disk, no model loaded."""
    return _text_vector(model, text, setting(device()))


@functools.lru_cache(maxsize=1024)
def _text_vector(model: str, text: str, setting: str) -> np.ndarray:
    return cached_vector("picture-text", model, text,
                         lambda: load_encoder(model).embed_texts([text])[0])


def query_vectors(models: set[str], query: str | None, image: np.ndarray | None,
                  stored: tuple[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per picture model, the query's vector: a stored frame's (its own model only), an
    image's, or a text's. A model that can't load now is left out (searches say so)."""
    if stored is not None:
        return {stored[0]: stored[1]} if stored[0] in models else {}
    found = {}
    for model in sorted(models):
        try:
            found[model] = (load_encoder(model).embed_images([image])[0] if image is not None
                            else text_vector(model, query or ""))
        except ModelError:
            continue
    return found


def _neutral_vectors(model: str) -> np.ndarray:
    return np.stack([text_vector(model, caption) for caption in NEUTRAL_CAPTIONS])


def logit_scale(model: str) -> float:
    """The model's own logit scale (kept on disk beside its query vectors)."""
    return _logit_scale(model, setting(device()))


@functools.lru_cache(maxsize=16)
def _logit_scale(model: str, setting: str) -> float:
    return float(cached_vector("picture-scale", model, "",
                               lambda: np.array([load_encoder(model).logit_scale]))[0])


@dataclass
class PictureScores:
    """Per frame of the index, in [0, 1]; the videos left out, and why."""

    values: np.ndarray
    left_out: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


class PictureIndex:
    """The frame vectors of a set of videos, grouped by model and width."""

    def __init__(self, models: Sequence[str], embeddings: Sequence[np.ndarray],
                 frame_offset: np.ndarray, caches: Sequence[dict[Any, Any]] | None = None) -> None:
        """``caches``: per video, a dict that keeps what is worked out once per video (its
        frames' neutral-caption background) for the next index of that video."""
        self.frame_offset = frame_offset
        self.caches = list(caches) if caches is not None else [{} for _ in embeddings]
        self.frames = int(frame_offset[-1])
        self.groups: dict[Group, list[int]] = {}
        for i, (model, vectors) in enumerate(zip(models, embeddings, strict=True)):
            if model == NO_PICTURES:  # dialogue only: its picture scores 0
                continue
            self.groups.setdefault((model, int(vectors.shape[1])), []).append(i)
        self.group_of = {i: g for g, members in self.groups.items() for i in members}
        self.parts = {g: [embeddings[i] for i in members] for g, members in self.groups.items()}
        """Per group, its videos' vectors as they are (memory-mapped): never copied into one."""

    def prepare(self) -> None:
        """Work out every video's neutral background now (kept in its cache), so that their
        first text query does not; needs the models (:class:`ModelError` if one can't load)."""
        for group, members in self.groups.items():
            self._background(group, logit_scale(group[0]), list(range(len(members))))

    def score(self, chosen: np.ndarray, query: str | None = None,
              image: np.ndarray | None = None, like: tuple[int, int] | None = None
              ) -> PictureScores:
        """Every frame of the ``chosen`` video positions scored by the query's picture.

        A text query scores how much better it describes a frame than neutral captions do
        (absolute: a nonsense query scores about 0); an image or a stored frame (``like``:
        video position, frame) is rescaled per query, the median frame 0 and the best 1.
        """
        out = PictureScores(np.zeros(self.frames, np.float32))
        wanted = set(chosen.tolist())
        by_text = like is None and image is None
        for group, members in self.groups.items():
            if not wanted.intersection(members):
                continue
            try:
                vector = self._query_vector(group, query, image, like)
            except ModelError as exc:
                self._leave_out(out, members, f"Videos indexed with '{group[0]}' were left out: "
                                f"{exc}")
                continue
            if vector is None:  # a stored frame of another group: not comparable
                continue
            if len(vector) != group[1]:
                self._leave_out(out, members, f"Videos indexed with '{group[0]}' were left out: "
                                f"their frame vectors are {group[1]} wide, and that model now "
                                f"makes {len(vector)}. Add them again to search them.")
                continue
            self._score_group(out.values, group, vector, wanted, by_text)
        if not by_text:  # rescaled over the frames that have a picture (not dialogue-only)
            pictured = np.intersect1d(chosen, np.asarray(list(self.group_of), np.int64))
            frames = np.flatnonzero(np.isin(np.repeat(np.arange(len(self.frame_offset) - 1),
                                                      np.diff(self.frame_offset)), pictured))
            out.values[frames] = rescale_relative(out.values[frames])
        return out

    def _leave_out(self, out: PictureScores, members: list[int], warning: str) -> None:
        out.left_out.update(members)
        out.warnings.append(warning)

    def _query_vector(self, group: Group, query: str | None, image: np.ndarray | None,
                      like: tuple[int, int] | None) -> np.ndarray | None:
        if like is not None:
            if self.group_of[like[0]] != group:
                return None
            return self.parts[group][self.groups[group].index(like[0])][like[1]].astype(
                np.float32)
        if image is not None:
            return load_encoder(group[0]).embed_images([image])[0]
        return text_vector(group[0], query or "")

    def _score_group(self, out: np.ndarray, group: Group, vector: np.ndarray, wanted: set[int],
                     by_text: bool) -> None:
        members = self.groups[group]
        chosen = [k for k, v in enumerate(members) if v in wanted]
        scores = self._score_members(group, chosen, vector.astype(np.float32), by_text)
        at = 0
        for k in chosen:
            v = members[k]
            size = int(self.frame_offset[v + 1] - self.frame_offset[v])
            out[self.frame_offset[v]:self.frame_offset[v + 1]] = scores[at:at + size]
            at += size

    def _score_members(self, group: Group, chosen: list[int], q: np.ndarray,
                       by_text: bool) -> np.ndarray:
        """Cosines of the ``chosen`` members' frames to ``q``, in turn; for a text query, as
        matches."""
        cosines = products([self.parts[group][k] for k in chosen], q[:, None])[:, 0]
        if not by_text:
            return cosines
        scale = logit_scale(group[0])
        return picture_match(cosines, self._background(group, scale, chosen), scale)

    def _background(self, group: Group, scale: float, chosen: list[int]) -> np.ndarray:
        """Per frame of the ``chosen`` members: how well the neutral captions describe it
        (worked out once per loaded video)."""
        key = ("background", group, scale, setting(device()))
        parts, neutral = [], None
        for k in chosen:
            cache = self.caches[self.groups[group][k]]
            part = cache.get(key)
            if part is None:
                if neutral is None:  # only for a video not scored before
                    neutral = _neutral_vectors(group[0]).T
                part = cache[key] = neutral_background(
                    products(self.parts[group][k], neutral), scale)
            parts.append(part)
        return np.concatenate(parts)
