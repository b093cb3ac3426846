"""Where a theme's terms occur in one unit: as tokens, and as phrases in the text.

Most theme terms are single tokens of the project's tokenizer (the user
dictionary keeps ``干部队伍建设`` whole) and are counted where a token equals
the term. A term the tokenizer splits into several words — a formulation
such as ``为基层和群众服务`` (为 / 基层 / 和 / 群众 / 服务) — can never equal a
token, so it is counted where its text occurs in the unit's cleaned text
instead (a *phrase term*). Within one theme, phrase matches do not overlap
(leftmost first, then the longest term), and a token hit of the same theme
that lies inside a matched phrase is not counted a second time: if a theme
held both ``加强干部队伍建设`` (a phrase) and ``干部队伍建设`` (a token), the
sentence ``加强干部队伍建设`` would count once.

Phrase hits have no token of their own; their ``token_index`` is estimated
from the character offset (``n_tokens × offset / len(text)`` within the
unit), which is what the dispersion figure needs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ...text.lexicon import Theme


@dataclass(frozen=True)
class Hit:
    """One occurrence of a theme term in a unit.

    Attributes
    ----------
    theme, term : str
    token_index : int
        Index among the unit's tokens (estimated for a phrase, see the module notes).
    kind : {"token", "phrase"}
    """

    theme: str
    term: str
    token_index: int
    kind: str


@dataclass(frozen=True)
class ThemeMatcher:
    """The theme lexicon compiled for matching (tokens and phrases).

    Build it with :meth:`build`; without a tokenizer every term is matched
    as a token (the behaviour before phrase matching).

    Attributes
    ----------
    themes : tuple of Theme
    token_index : dict
        ``term -> theme names`` of the terms matched as tokens.
    phrase_pieces : dict
        ``phrase term -> its tokens`` (what the tokenizer makes of it alone).
    phrase_patterns : dict
        ``theme name -> compiled regex`` of its phrase terms (longest first).
    """

    themes: tuple[Theme, ...]
    token_index: dict[str, tuple[str, ...]]
    phrase_pieces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    phrase_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        themes: Sequence[Theme],
        tokenize: Callable[[str], Sequence[str]] | None = None,
    ) -> ThemeMatcher:
        """Compile ``themes``; ``tokenize`` (the project tokenizer) decides which terms are phrases.

        Parameters
        ----------
        themes : sequence of Theme
        tokenize : callable, optional
            ``text -> filtered tokens``. A term whose tokens are not exactly
            ``[term]`` is a phrase term. Without it no term is a phrase.
        """
        pieces: dict[str, tuple[str, ...]] = {}
        if tokenize is not None:
            for theme in themes:
                for term in theme.terms:
                    if term not in pieces:
                        pieces[term] = tuple(tokenize(term))
        phrases = {term: tokens for term, tokens in pieces.items() if list(tokens) != [term]}
        index: dict[str, list[str]] = defaultdict(list)
        patterns = {}
        for theme in themes:
            for term in theme.terms:
                if term not in phrases and theme.name not in index[term]:
                    index[term].append(theme.name)
            own = sorted({t for t in theme.terms if t in phrases}, key=lambda t: (-len(t), t))
            if own:
                patterns[theme.name] = re.compile("|".join(re.escape(t) for t in own))
        return cls(
            themes=tuple(themes),
            token_index={term: tuple(names) for term, names in index.items()},
            phrase_pieces=phrases,
            phrase_patterns=patterns,
        )

    @property
    def phrase_terms(self) -> list[str]:
        """The terms matched as phrases, in lexicon order."""
        return [t for theme in self.themes for t in theme.terms if t in self.phrase_pieces]

    def hits(self, tokens: Sequence[str], text: str = "") -> list[Hit]:
        """Every theme hit in one unit (any grain).

        Parameters
        ----------
        tokens : sequence of str
            The unit's filtered tokens.
        text : str
            The unit's cleaned text (phrases are searched here; ``""`` = none).

        Returns
        -------
        list of Hit
            Token hits in token order, then phrase hits by theme; a token hit
            inside a phrase of its theme is left out (see the module notes).
        """
        token_hits = [
            Hit(name, token, position, "token")
            for position, token in enumerate(tokens)
            for name in self.token_index.get(token, ())
        ]
        if not text or not self.phrase_patterns:
            return token_hits
        phrase_hits = []
        for name, pattern in self.phrase_patterns.items():
            for match in pattern.finditer(text):
                position = int(len(tokens) * match.start() / len(text)) if tokens else 0
                phrase_hits.append(Hit(name, match.group(), position, "phrase"))
        return _drop_tokens_inside_phrases(token_hits, phrase_hits, self.phrase_pieces) + (
            phrase_hits
        )

    def counts(self, tokens: Sequence[str], text: str = "") -> dict[str, int]:
        """``theme name -> hits`` in one unit, every theme included (zeros too)."""
        counted = Counter(hit.theme for hit in self.hits(tokens, text))
        return {theme.name: int(counted[theme.name]) for theme in self.themes}

    def term_counts(self, tokens: Sequence[str], text: str = "") -> Counter[tuple[str, str]]:
        """``(theme, term) -> hits`` in one unit: what the theme rates count, term by term."""
        return Counter((hit.theme, hit.term) for hit in self.hits(tokens, text))


def _drop_tokens_inside_phrases(
    token_hits: list[Hit], phrase_hits: Iterable[Hit], pieces: dict[str, tuple[str, ...]]
) -> list[Hit]:
    """Token hits without those a phrase of the same theme already counts.

    For every phrase hit, each of its pieces that is a token hit of the same
    theme removes the nearest such token hit (by token index) once.
    """
    remaining = list(token_hits)
    for phrase in phrase_hits:
        for piece in pieces.get(phrase.term, ()):
            candidates = [
                i
                for i, hit in enumerate(remaining)
                if hit.theme == phrase.theme and hit.term == piece
            ]
            if candidates:
                nearest = min(
                    candidates, key=lambda i: abs(remaining[i].token_index - phrase.token_index)
                )
                del remaining[nearest]
    return remaining
