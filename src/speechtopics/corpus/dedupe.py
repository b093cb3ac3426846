"""Near-duplicate speeches: 5-character shingles and their containment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..text.clean import cjk_only

#: Length of the character shingles compared for near-duplicates.
SHINGLE_SIZE = 5
#: Two speeches are near-duplicates when this share of the shorter one's
#: shingles also occurs in the other.
NEAR_DUPLICATE_CONTAINMENT = 0.9


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """Character ``size``-grams of the Chinese characters of a text (document grain).

    Punctuation, spacing, digits and Latin letters are ignored, so the same
    speech copied from two sites (different punctuation or line breaks)
    gives the same shingles. A text shorter than ``size`` is one shingle.
    """
    chars = cjk_only(text)
    if not chars:
        return frozenset()
    if len(chars) <= size:
        return frozenset([chars])
    return frozenset(chars[i : i + size] for i in range(len(chars) - size + 1))


def shingle_containment(first: frozenset[str], second: frozenset[str]) -> float:
    """Share of the smaller set's shingles found in the other (0 for an empty set)."""
    smaller = min(len(first), len(second))
    if smaller == 0:
        return 0.0
    return len(first & second) / smaller


def find_near_duplicates(
    texts: Sequence[tuple[str, str]],
    threshold: float = NEAR_DUPLICATE_CONTAINMENT,
    size: int = SHINGLE_SIZE,
) -> list[dict[str, Any]]:
    """Pairs of texts that are mostly the same (document grain).

    Parameters
    ----------
    texts : sequence of (name, text)
        In load order; the later file of a pair is reported with the earlier
        one as its twin.
    threshold : float
        Minimum shingle containment (shared shingles over the shingles of
        the shorter text).
    size : int
        Shingle length in Chinese characters.

    Returns
    -------
    list of dict
        ``{"file", "near_duplicate_of", "containment"}``, one per pair, in
        load order of ``file`` then of its twin.
    """
    if len(texts) < 2:
        return []
    import numpy as np
    from scipy import sparse

    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    sizes = np.zeros(len(texts), dtype=np.int64)
    for row, (_name, text) in enumerate(texts):
        grams = shingles(text, size)
        sizes[row] = len(grams)
        for gram in sorted(grams):
            rows.append(row)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    if not vocabulary:
        return []
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(texts), len(vocabulary))
    )
    shared = (matrix @ matrix.T).tocoo()
    pairs: list[dict[str, Any]] = []
    for first, second, count in zip(shared.row, shared.col, shared.data, strict=True):
        if first >= second:
            continue
        smaller = min(sizes[first], sizes[second])
        containment = float(count) / float(smaller) if smaller else 0.0
        if containment >= threshold:
            pairs.append(
                {
                    "file": texts[second][0],
                    "near_duplicate_of": texts[first][0],
                    "containment": containment,
                    "_order": (int(second), int(first)),
                }
            )
    pairs.sort(key=lambda pair: pair["_order"])
    for pair in pairs:
        del pair["_order"]
    return pairs
