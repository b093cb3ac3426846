"""Where a run reads and writes: :class:`Paths`, rooted at the project folder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Paths:
    """Where a run reads its input and writes its output.

    Attributes
    ----------
    raw : Path
        Folder of input speeches (never written).
    metadata : Path
        ``metadata.csv`` describing the speeches (may not exist).
    interim : Path
        Cleaned text and caches.
    processed : Path
        Result tables (CSV, JSON).
    figures : Path
        Figures (PNG, SVG) and ``index.html``.
    lexicon : Path
        User dictionary, stopwords, themes and noise lists.
    """

    raw: Path
    metadata: Path
    interim: Path
    processed: Path
    figures: Path
    lexicon: Path

    @property
    def cache(self) -> Path:
        """Folder of the on-disk cache (token lists, fitted models)."""
        return self.interim / "cache"

    @property
    def cleaned(self) -> Path:
        """Folder of cleaned speech texts, one UTF-8 file per speech."""
        return self.interim / "cleaned"

    @property
    def userdict(self) -> Path:
        return self.lexicon / "userdict.txt"

    @property
    def stopwords(self) -> Path:
        return self.lexicon / "stopwords.txt"

    @property
    def themes(self) -> Path:
        return self.lexicon / "themes.toml"

    @property
    def noise(self) -> Path:
        return self.lexicon / "noise.txt"

    @property
    def synonyms(self) -> Path:
        return self.lexicon / "synonyms.txt"

    @property
    def formulations(self) -> Path:
        return self.lexicon / "formulations.txt"

    @property
    def topic_labels(self) -> Path:
        """Labels the researcher gives topics (``T1 = "label"``; may not exist)."""
        return self.lexicon / "topic_labels.toml"

    def with_overrides(self, raw: Path | None = None, out: Path | None = None) -> Paths:
        """Return paths for another folder of speeches and/or another output root.

        Parameters
        ----------
        raw : Path, optional
            Folder of speeches; its ``metadata.csv`` is used when present.
        out : Path, optional
            Output root; ``interim/``, ``processed/`` and ``figures/`` go below it.
        """
        paths = self
        if raw is not None:
            raw = Path(raw).resolve()
            paths = replace(paths, raw=raw, metadata=raw / "metadata.csv")
        if out is not None:
            out = Path(out).resolve()
            paths = replace(
                paths,
                interim=out / "interim",
                processed=out / "processed",
                figures=out / "figures",
            )
        return paths


class PathsError(ValueError):
    """Folders that cannot be used together (outputs inside the folder of speeches)."""


def check_separate_folders(paths: Paths) -> None:
    """Refuse output folders that are the folder of speeches or inside it.

    The tool never writes into the speeches' folder; outputs there would
    also be loaded as speeches by the next run.

    Raises
    ------
    PathsError
        Naming the output folder and the folder of speeches.
    """
    raw = Path(paths.raw).resolve()
    for name in ("interim", "processed", "figures"):
        folder = Path(getattr(paths, name)).resolve()
        if folder == raw or folder.is_relative_to(raw):
            raise PathsError(
                f"the output folder {folder} ({name}) is inside the folder of speeches {raw}; "
                "outputs must go elsewhere (choose another --out), since the folder of "
                "speeches is only ever read"
            )
