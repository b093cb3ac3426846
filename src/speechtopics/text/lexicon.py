"""Reading the user-editable lexicons in ``data/lexicon/``.

* ``userdict.txt`` — jieba user dictionary: ``word [freq] [pos]`` per line;
* ``stopwords.txt`` — speech filler, one word per line;
* ``themes.toml`` — themes with a label, a definition and seed terms;
* ``noise.txt`` — site watermarks removed by cleaning;
* ``synonyms.txt`` — ``variant canonical`` pairs applied before segmentation;
* ``topic_labels.toml`` — labels the researcher gives topics, ``T1 = "label"``.

Lines starting with ``#`` are comments everywhere. A malformed file raises
:class:`LexiconError` naming the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_POS_RE = re.compile(r"^[a-zA-Z]{1,4}$")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class UserDictEntry:
    """One jieba user-dictionary entry."""

    word: str
    freq: int | None
    pos: str | None


@dataclass(frozen=True)
class Theme:
    """A theme: its name, label, short definition and seed terms."""

    name: str
    label: str
    definition: str
    terms: tuple[str, ...]


#: Lexicon files larger than this are refused (the project's are a few kB).
MAX_LEXICON_BYTES = 50 * 1024 * 1024
#: Largest user-dictionary frequency: jieba's own largest is under a million and
#: the segmenters add frequencies up in 64-bit integers, so a larger one is a typo.
MAX_USERDICT_FREQ = 10**12


def _decode_utf8(path: Path, data: bytes) -> str:
    """UTF-8 text of a lexicon file (a BOM is allowed); the error names the first bad line.

    Raises
    ------
    LexiconError
        Not UTF-8 (the message says when the bytes look like GBK/GB18030 or
        UTF-16, the usual encodings of files saved by Chinese Windows editors).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = ""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            guess = " (it looks like UTF-16)"
        else:
            try:
                data.decode("gb18030")
                guess = " (it looks like GBK/GB18030)"
            except UnicodeDecodeError:
                pass
        raise LexiconError(
            f"{path}, line {line}: not UTF-8 text{guess}; re-save the file as UTF-8"
        ) from exc


def _read_bytes(path: Path) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_LEXICON_BYTES:
            raise LexiconError(
                f"{path}: {size / 1e6:.0f} MB is too large for a lexicon file; is it the right file?"
            )
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise LexiconError(f"{path}: is a folder, not a file") from exc
    except OSError as exc:
        raise LexiconError(f"{path}: could not be read ({exc.strerror or exc})") from exc


def _read_lines(path: Path) -> list[tuple[int, str]]:
    path = Path(path)
    text = _decode_utf8(path, _read_bytes(path))
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((number, stripped))
    return lines


def load_userdict(path: Path) -> list[UserDictEntry]:
    """Parse a jieba user dictionary.

    Parameters
    ----------
    path : Path
        ``word [freq] [pos]`` per line, separated by spaces.

    Raises
    ------
    LexiconError
        A frequency that is not a positive whole number, a malformed POS
        tag, or too many fields — naming the file and line.
    """
    entries = []
    if not Path(path).exists():
        return entries
    for number, line in _read_lines(path):
        fields = line.split()
        if len(fields) > 3:
            raise LexiconError(
                f"{path}, line {number}: {line!r} has {len(fields)} fields; "
                "write 'word', 'word freq' or 'word freq pos' (a word has no spaces)"
            )
        word = fields[0]
        freq: int | None = None
        pos: str | None = None
        rest = fields[1:]
        if rest and rest[0].isdecimal():
            freq = int(rest.pop(0))
            if freq <= 0:
                raise LexiconError(
                    f"{path}, line {number}: frequency must be a positive whole number"
                )
            if freq > MAX_USERDICT_FREQ:
                raise LexiconError(
                    f"{path}, line {number}: frequency {freq} is larger than {MAX_USERDICT_FREQ:,}; "
                    "jieba's own frequencies stay below 1,000,000 (e.g. 参谋助手 20000 n)"
                )
        if rest:
            candidate = rest.pop(0)
            if not _POS_RE.match(candidate):
                raise LexiconError(
                    f"{path}, line {number}: {candidate!r} is neither a frequency (whole number) "
                    "nor a part-of-speech tag (letters, e.g. n, nz, vn)"
                )
            pos = candidate
        if rest:
            raise LexiconError(
                f"{path}, line {number}: frequency must come before the tag: {line!r}"
            )
        entries.append(UserDictEntry(word, freq, pos))
    return entries


def load_word_list(path: Path) -> list[str]:
    """Words of a one-word-per-line file (stopwords, noise), comments skipped."""
    if not Path(path).exists():
        return []
    return [line for _, line in _read_lines(path)]


@lru_cache(maxsize=1)
def load_reference_formulations(path: Path) -> list[str]:
    """The reference list ``data/lexicon/formulations.txt`` (one formulation a line, ``#`` comments)."""
    return load_word_list(path)


def packaged_stopwords() -> frozenset[str]:
    """The maintained Chinese stopword list of the ``stopwordsiso`` package."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("zh"))


def load_stopwords(
    path: Path | None, include_packaged: bool = True, keep: frozenset[str] = frozenset()
) -> frozenset[str]:
    """Stopwords: the packaged Chinese list plus the project's speech filler.

    Parameters
    ----------
    path : Path or None
        ``data/lexicon/stopwords.txt``.
    include_packaged : bool
        Add the ``stopwordsiso`` Chinese list.
    keep : frozenset of str
        Words that must never be stopwords (theme terms).
    """
    words: set[str] = set(packaged_stopwords()) if include_packaged else set()
    if path is not None:
        words.update(load_word_list(path))
    return frozenset(words - set(keep))


def _read_toml(path: Path) -> tuple[str, dict]:
    """The text and parsed data of a TOML lexicon file.

    Raises
    ------
    LexiconError
        Not UTF-8, or invalid TOML (with the line the parser names).
    """
    text = _decode_utf8(path, _read_bytes(path))
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            reason = message[: match.start()].strip()
            raise LexiconError(
                f"{path}, line {match.group(1)}, column {match.group(2)}: not valid TOML: {reason}"
            ) from exc
        if "end of document" in message:
            last = len(text.rstrip("\n").split("\n"))
            reason = message.replace("(at end of document)", "").strip()
            raise LexiconError(
                f"{path}, line {last} (end of file): not valid TOML: {reason} (an unclosed [ or quote?)"
            ) from exc
        raise LexiconError(f"{path}: not valid TOML: {message}") from exc


def load_themes(path: Path) -> list[Theme]:
    """Read ``themes.toml``: one table per theme with ``label``, ``definition`` and ``terms``.

    Raises
    ------
    LexiconError
        Invalid TOML (with the line the parser names) or a theme without terms.
    """
    path = Path(path)
    if not path.exists():
        return []
    text, data = _read_toml(path)
    themes = []
    for name, table in data.items():
        line = _table_line(text, name)
        if not isinstance(table, dict):
            raise LexiconError(
                f'{path}, line {line}: {name!r} must be a table (["{name}"]) with label, definition and terms'
            )
        terms = table.get("terms")
        if (
            not isinstance(terms, list)
            or not terms
            or not all(isinstance(t, str) and t.strip() for t in terms)
        ):
            raise LexiconError(
                f'{path}, line {line}: theme [{name}] needs terms = ["...", ...] (a non-empty list of words)'
            )
        for key in ("label", "definition"):
            if key in table and not isinstance(table[key], str):
                raise LexiconError(
                    f"{path}, line {line}: theme [{name}] {key} must be a quoted string"
                )
        themes.append(
            Theme(
                name=name,
                label=str(table.get("label", name)),
                definition=str(table.get("definition", "")),
                terms=tuple(dict.fromkeys(t.strip() for t in terms)),
            )
        )
    return themes


def _table_line(text: str, name: str) -> int:
    """Line of the ``[name]`` header (or ``name =`` key) in a TOML text; 1 when not found."""
    pattern = re.compile(
        rf"^\s*(?:\[\s*(?:\"{re.escape(name)}\"|'{re.escape(name)}'|{re.escape(name)})\s*\]"
        rf"|(?:\"{re.escape(name)}\"|'{re.escape(name)}'|{re.escape(name)})\s*=)"
    )
    for number, line in enumerate(text.split("\n"), start=1):
        if pattern.match(line):
            return number
    return 1


def load_synonyms(path: Path) -> dict[str, str]:
    """``variant canonical`` pairs (space or tab separated)."""
    pairs: dict[str, str] = {}
    if not Path(path).exists():
        return pairs
    for number, line in _read_lines(path):
        fields = line.split()
        if len(fields) != 2:
            raise LexiconError(
                f"{path}, line {number}: write 'variant canonical' (two fields), got {line!r}"
            )
        pairs[fields[0]] = fields[1]
    return pairs


_TOPIC_NUMBER = re.compile(r"T[1-9][0-9]*")


def load_topic_labels(path: Path) -> dict[str, str]:
    """Topic labels the researcher chose: ``topic_labels.toml``, ``T1 = "label"`` per line.

    Keys are the stable topic numbers of ``topic_words.csv`` (``T1``, ``T2`` …);
    a missing file means no labels.

    Raises
    ------
    LexiconError
        Invalid TOML, a key that is not a topic number, or a label that is
        not a non-empty string (naming the file and line).
    """
    path = Path(path)
    if not path.exists():
        return {}
    text, data = _read_toml(path)
    labels = {}
    for key, value in data.items():
        line = _table_line(text, key)
        if not _TOPIC_NUMBER.fullmatch(key):
            raise LexiconError(
                f'{path}, line {line}: {key!r} is not a topic number; write T1 = "label" '
                "with the numbers of topic_words.csv"
            )
        if not isinstance(value, str) or not value.strip():
            raise LexiconError(
                f'{path}, line {line}: write {key} = "label" (a quoted, non-empty label)'
            )
        labels[key] = " ".join(value.split())
    return labels
