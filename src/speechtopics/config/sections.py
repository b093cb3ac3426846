"""The settings sections: one frozen dataclass per ``[section]`` of ``speechtopics.toml``.

Their field defaults are the only defaults in the package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from .checks import SettingsError, check_keys_and_types, check_values, coerce

Grain = Literal["document", "section", "paragraph", "sentence"]

# --------------------------------------------------------------------------- sections


def _range(minimum: float | None = None, maximum: float | None = None, **kw: Any) -> dict:
    """Field metadata: allowed range (``below`` = maximum excluded)."""
    return {"min": minimum, "max": maximum, **kw}


@dataclass(frozen=True)
class PathSettings:
    """``[paths]``: folders and files, relative to the project folder."""

    raw: str = "data/raw"
    metadata: str = "data/metadata.csv"
    interim: str = "data/interim"
    processed: str = "data/processed"
    figures: str = "figures"
    lexicon: str = "data/lexicon"


@dataclass(frozen=True)
class CleanSettings:
    """``[clean]``: ``traditional_to_simplified`` converts with OpenCC t2s."""

    traditional_to_simplified: bool = True


@dataclass(frozen=True)
class TokenizeSettings:
    """``[tokenize]``: segmentation backend and token filters.

    Attributes
    ----------
    backend : {"auto", "jieba", "rjieba"}
        ``auto`` uses the fast rjieba backend when installed.
    min_token_length : int
        Shorter tokens are dropped.
    drop_numbers, keep_latin, use_synonyms, hmm : bool
        Drop number tokens; keep Latin-letter tokens; apply ``synonyms.txt``;
        let jieba guess unknown words with its HMM.
    keep_pos : tuple of str
        Part-of-speech tag prefixes to keep (empty keeps every tag).
    """

    backend: Literal["auto", "jieba", "rjieba"] = "auto"
    min_token_length: int = field(default=2, metadata=_range(1))
    drop_numbers: bool = True
    keep_latin: bool = False
    keep_pos: tuple[str, ...] = ()
    use_synonyms: bool = True
    hmm: bool = True


@dataclass(frozen=True)
class AnalysisSettings:
    """``[analysis]``: ``seed``, the ``random_state`` of every seeded step without its own seed."""

    seed: int = field(default=20240601, metadata=_range(0))


@dataclass(frozen=True)
class TopicSettings:
    """``[topics]``: parameters of the topic analysis.

    Attributes
    ----------
    grain : str
        Analysis units: ``paragraph`` (default), ``section``, ``sentence`` or ``document``.
    engine : {"tomotopy", "gensim"}
        Engine of the K sweep and the reported topics (the seeded theme
        topics always use gensim, whose per-word prior and guided start they need).
    k_min, k_max : int
        Range of K searched.
    seeds : tuple of int
        One ensemble per seed; stability compares them.
    sweep_seeds : int
        The first this many seeds fit every K of the sweep.
    sweep_points : int
        K of the sweep's first round, spread over the range; the second round
        fits the K around the best (0 = every K at once).
    sweep_share : float
        Share of the reported models' iterations (or passes) each sweep fit runs.
    gibbs_iterations : int
        tomotopy: most Gibbs iterations of a fit.
    passes, iterations : int
        gensim: most passes of a fit, E-step iterations per unit and pass.
    tolerance : float
        A fit stops early once an iteration check (tomotopy: log-likelihood
        per word over 50 iterations; gensim: mean change of the topics in a
        pass) improves by less than this.
    top_n : int
        Top words per topic for coherence, stability and the ``topic_words`` table.
    stability_threshold : float
        Topics whose mean top-``top_n`` Jaccard across seeds is below this are flagged unstable.
    no_below : int
        Keep words found in at least this many units.
    no_above : float
        Keep words found in at most this share of the units.
    min_unit_tokens : int
        Units with fewer tokens are merged into the next unit of the same speech (0 = no merging).
    holdout_fraction : float
        Share of units held out for perplexity in the sweep.
    split_seed : int
        Seed of the held-out split (the same split for every K and seed).
    ensemble_runs : int
        Fits averaged into one seed's ensemble (1 = single fits), on corpora
        of up to ``ensemble_tokens`` training tokens.
    ensemble_tokens : int
        Above this many tokens, fewer fits per seed (in proportion, at least
        3): larger corpora give stable topics with fewer fits.
    refit_above : float
        A rerun after speeches were added, changed or removed keeps K and
        starts from the previous topics while at most this share of the
        speeches changed; above it, everything is refitted.
    warm_weight : float
        Weight of the previous topics in a warm start (share of an average
        topic's tokens added as prior pseudo-counts).
    alpha : str or float
        Document–topic prior: ``symmetric``, ``asymmetric`` or a positive number.
    free_topics : int
        Seeded model: topics without seed words, besides one per theme.
    seed_weight : float
        Seeded model: pseudo-count added to a theme's seed words in its topic's ``eta``.
    seeded_runs : int
        Seeded model: fits averaged per seed (its lexicon-guided start makes one enough).
    frex_weight : float
        Weight of exclusivity (vs frequency) in FREX.
    label_words : int
        FREX words in a topic label.
    n_jobs : int
        Worker processes for the fits.
    """

    grain: Grain = "paragraph"
    engine: Literal["tomotopy", "gensim"] = "tomotopy"
    k_min: int = field(default=3, metadata=_range(2))
    k_max: int = field(default=15, metadata=_range(2))
    seeds: tuple[int, ...] = field(default=(1, 2, 3), metadata=_range(0, distinct=True))
    sweep_seeds: int = field(default=2, metadata=_range(1))
    sweep_points: int = field(default=5, metadata=_range(0))
    sweep_share: float = field(default=0.4, metadata=_range(0, 1, above=0))
    gibbs_iterations: int = field(default=500, metadata=_range(1))
    passes: int = field(default=10, metadata=_range(1))
    iterations: int = field(default=400, metadata=_range(1))
    tolerance: float = field(default=0.005, metadata=_range(0))
    top_n: int = field(default=20, metadata=_range(1))
    stability_threshold: float = field(default=0.6, metadata=_range(0, 1))
    no_below: int = field(default=2, metadata=_range(1))
    no_above: float = field(default=0.5, metadata=_range(0, 1, above=0))
    min_unit_tokens: int = field(default=20, metadata=_range(0))
    holdout_fraction: float = field(default=0.2, metadata=_range(0, 1, below=1))
    split_seed: int = field(default=20240601, metadata=_range(0))
    ensemble_runs: int = field(default=10, metadata=_range(1, 1000))
    ensemble_tokens: int = field(default=150_000, metadata=_range(1))
    refit_above: float = field(default=0.2, metadata=_range(0, 1))
    warm_weight: float = field(default=0.2, metadata=_range(0))
    alpha: Literal["symmetric", "asymmetric"] | float = "symmetric"
    free_topics: int = field(default=3, metadata=_range(0))
    seed_weight: float = field(default=2.0, metadata=_range(0))
    seeded_runs: int = field(default=1, metadata=_range(1, 1000))
    frex_weight: float = field(default=0.5, metadata=_range(0, 1))
    label_words: int = field(default=3, metadata=_range(1))
    n_jobs: int = field(default=2, metadata=_range(1))

    @property
    def k_values(self) -> list[int]:
        """The K swept: ``k_min..k_max``."""
        return list(range(int(self.k_min), int(self.k_max) + 1))

    def runs_per_seed(self, training_tokens: int) -> int:
        """Fits per seed for a corpus of ``training_tokens`` (see ``ensemble_tokens``)."""
        if training_tokens <= self.ensemble_tokens:
            return self.ensemble_runs
        scaled = math.ceil(self.ensemble_runs * self.ensemble_tokens / training_tokens)
        return min(self.ensemble_runs, max(3, scaled))


@dataclass(frozen=True)
class ClusterSettings:
    """``[cluster]``: clustering of analysis units and the speech dendrogram.

    Attributes
    ----------
    grain : str
        Units clustered: ``paragraph`` (default), ``section``, ``sentence`` or ``document``.
    k_min, k_max : int
        Range of k; k is chosen by silhouette.
    min_tokens : int
        Units with fewer tokens (headings, 同志们：) are left out (cluster -1).
    min_df : int or float
        TF-IDF: keep terms found in at least this many units (or this share of them).
    sublinear_tf : bool
        TF-IDF with ``1 + log(tf)``.
    n_init : int
        k-means restarts (seed = ``[analysis] seed``).
    top_n : int
        Distinctive terms listed per cluster.
    spaces : tuple of str
        Spaces clustered: ``lsa`` (TF-IDF reduced by TruncatedSVD to
        ``lsa_components`` dimensions and normalised; the best on the labelled
        bench corpora), ``tfidf`` (the sparse rows) and ``topic`` (topic
        proportions, when topics were fitted).
    lsa_components : int
        Dimensions of the LSA space (at most units − 1).
    null_permutations : int
        Column-permuted copies of a space clustered at the chosen k as the
        no-structure reference (0 = no check).
    structure_margin : float
        The chosen k's silhouette must exceed every reference silhouette by
        this much for the clusters to count as structure.
    sample_units : int
        Past this many units in a space, the parts whose cost grows with the
        square of the units (silhouettes, the Ward tree, the structure check,
        the t-SNE map) work on a seeded sample of this many units (seed =
        ``[analysis] seed``). k-means still clusters every unit; units outside
        the sample get the Ward cluster with the nearest centroid and no
        t-SNE coordinates.
    map_space, map_method, map_projection : str
        Clustering shown in the map and spread figures and its 2-D projection.
    dendrogram_linkage : str
        Speech dendrogram linkage (cosine distance; ``ward`` on Euclidean).
    """

    grain: Grain = "paragraph"
    k_min: int = field(default=2, metadata=_range(2))
    k_max: int = field(default=10, metadata=_range(2))
    min_tokens: int = field(default=5, metadata=_range(0))
    min_df: int | float = field(default=2, metadata=_range(0, above=0))
    sublinear_tf: bool = True
    n_init: int = field(default=10, metadata=_range(1))
    top_n: int = field(default=10, metadata=_range(1))
    spaces: tuple[Literal["lsa", "tfidf", "topic"], ...] = ("lsa", "topic")
    lsa_components: int = field(default=100, metadata=_range(2))
    null_permutations: int = field(default=3, metadata=_range(0, 100))
    structure_margin: float = field(default=0.01, metadata=_range(0, 1))
    sample_units: int = field(default=2000, metadata=_range(200))
    map_space: Literal["lsa", "tfidf", "topic"] = "lsa"
    map_method: Literal["kmeans", "ward"] = "kmeans"
    map_projection: Literal["tsne", "svd"] = "tsne"
    dendrogram_linkage: Literal["average", "complete", "single", "ward"] = "average"


@dataclass(frozen=True)
class ThemeSettings:
    """``[themes]``: theme rates, KWIC and formulations.

    Attributes
    ----------
    kwic_window : int
        Characters of context on each side of a keyword.
    group_by : tuple of str
        Metadata columns whose groups get pooled theme rates.
    formulation_context : int
        Characters of context kept on each side of a formulation's example.
    min_saying_speeches : int
        A quoted saying no rule classifies counts as a formulation when it
        occurs in at least this many speeches.
    formulations_max_rows : int
        Rows of the formulations figure (most widely used first).
    """

    kwic_window: int = field(default=15, metadata=_range(1))
    group_by: tuple[str, ...] = ("level", "year")
    formulation_context: int = field(default=12, metadata=_range(0))
    min_saying_speeches: int = field(default=2, metadata=_range(1))
    formulations_max_rows: int = field(default=100, metadata=_range(1))


@dataclass(frozen=True)
class FeatureSettings:
    """``[features]``: keywords, keyness and word clouds.

    Attributes
    ----------
    top_n : int
        Keywords per speech / section and keyness terms per speech in the figures.
    sublinear_tf : bool
        TF-IDF with ``1 + log(tf)``.
    keyness_yates : bool
        Yates-corrected χ².
    keyness_measure : {"chi2", "g2"}
        Statistic the keyness table and figure are sorted by.
    keyness_min_count : int
        Keyness rows only for terms the corpus uses at least this often.
    wordcloud_max_words : int
        Words per word cloud.
    """

    top_n: int = field(default=15, metadata=_range(1))
    sublinear_tf: bool = True
    keyness_yates: bool = True
    keyness_measure: Literal["chi2", "g2"] = "chi2"
    keyness_min_count: int = field(default=1, metadata=_range(1))
    wordcloud_max_words: int = field(default=100, metadata=_range(1))


@dataclass(frozen=True)
class CompareSettings:
    """``[compare]``: theme rates and topic prevalence compared across metadata, with intervals.

    Attributes
    ----------
    by : tuple of str
        Metadata columns whose groups are compared (``level``, ``year``,
        ``region``, ``speaker`` or a column of the user's own).
    min_group_size : int
        Groups with fewer speeches get no interval, no regression term and no
        place in a figure (one speech is a speech, not a group).
    n_boot : int
        Bootstrap resamples of speeches (seed = ``[analysis] seed``).
    ci_level : float
        Coverage of the intervals (0.95 = 95 %).
    min_years : int
        Distinct known years needed before a trend over years is estimated or drawn.
    year_term : {"linear", "spline"}
        How the regression uses ``year``: a straight line, or a cubic
        B-spline with three degrees of freedom.
    trend_min_count : int
        Terms used fewer times in the whole corpus are left out of the term trends.
    top_n : int
        Rising and falling terms listed per direction, keyness terms per side.
    kwic_lines : int
        Example lines (KWIC) per distinguishing term.
    """

    by: tuple[str, ...] = ("level", "year")
    min_group_size: int = field(default=3, metadata=_range(2))
    n_boot: int = field(default=2000, metadata=_range(100, 100000))
    ci_level: float = field(default=0.95, metadata=_range(0.5, 1, below=1))
    min_years: int = field(default=5, metadata=_range(3))
    year_term: Literal["linear", "spline"] = "linear"
    trend_min_count: int = field(default=10, metadata=_range(1))
    top_n: int = field(default=15, metadata=_range(1))
    kwic_lines: int = field(default=2, metadata=_range(0))


@dataclass(frozen=True)
class SuggestSettings:
    """``[suggest]``: candidate theme terms from the corpus, and the co-occurrence networks.

    Attributes
    ----------
    method : {"auto", "word2vec", "pmi"}
        ``word2vec``: neighbours of the theme's terms in a Word2Vec model
        trained on the corpus (seed = ``[analysis] seed``, one worker);
        ``pmi``: words co-occurring with the theme's terms in the same
        sentence; ``auto``: word2vec from ``word2vec_min_tokens`` tokens on.
    word2vec_min_tokens : int
        Corpus size (tokens) from which ``auto`` trusts embeddings.
    top_n : int
        Candidates per theme.
    min_count : int
        Candidates used fewer times in the corpus are not suggested.
    vector_size, window, epochs : int
        Word2Vec dimensions, context window (tokens) and training passes.
    network_neighbours : int
        Strongest neighbours per theme term in the co-occurrence network.
    """

    method: Literal["auto", "word2vec", "pmi"] = "auto"
    word2vec_min_tokens: int = field(default=200000, metadata=_range(0))
    top_n: int = field(default=20, metadata=_range(1))
    min_count: int = field(default=3, metadata=_range(1))
    vector_size: int = field(default=100, metadata=_range(2))
    window: int = field(default=5, metadata=_range(1))
    epochs: int = field(default=10, metadata=_range(1))
    network_neighbours: int = field(default=3, metadata=_range(1))


@dataclass(frozen=True)
class FigureSettings:
    """``[figures]``: how figures are sized, written and which are drawn.

    Attributes
    ----------
    width : {"single", "double"} or float
        Printed width: ``single`` column (3.5 in), ``double`` column (7.0 in)
        or inches. Every figure is laid out for this width (it never grows
        past it) with text of at least 6 pt at that size.
    formats : tuple of {"png", "svg", "pdf"}
        Files written per figure (PDF and SVG for papers, PNG for slides and the report page).
    dpi : int
        Resolution of the PNG files.
    max_rows : int
        Rows (speeches, sections, formulations) one figure shows; more rows are
        cut to the first or largest ones and the figure and caption say so.
    max_panels : int
        Small panels (one per speech or topic) one figure shows.
    wordclouds : bool
        Draw a word cloud per speech (off: word size is a poor measure of anything).
    cluster_map_min_silhouette : float
        The paragraph cluster map is drawn only when the chosen clustering's mean
        silhouette reaches this (below it the map shows noise as groups).
    keyness_min_count : int
        Keyness bars leave out terms the speech uses fewer times than this.
    """

    width: Literal["single", "double"] | float = field(default="double", metadata=_range(2, 20))
    formats: tuple[Literal["png", "svg", "pdf"], ...] = ("png", "svg", "pdf")
    dpi: int = field(default=300, metadata=_range(72, 1200))
    max_rows: int = field(default=40, metadata=_range(5))
    max_panels: int = field(default=12, metadata=_range(1))
    wordclouds: bool = False
    cluster_map_min_silhouette: float = field(default=0.1, metadata=_range(-1, 1))
    keyness_min_count: int = field(default=3, metadata=_range(1))

    @property
    def width_inches(self) -> float:
        """The printed width in inches (``single`` = 3.5, ``double`` = 7.0)."""
        return {"single": 3.5, "double": 7.0}.get(self.width, self.width)  # type: ignore[arg-type]


@dataclass(frozen=True)
class EngineSettings:
    """``[engine]``: where a run computes: in this Python process or on Apache Spark.

    Attributes
    ----------
    name : {"local", "spark"}
        ``local`` (default) runs every stage in this process; ``spark`` runs
        load, tokens, keywords, theme rates, KWIC and topics (MLlib LDA) as
        Spark jobs (needs ``pip install 'speechtopics[spark]'`` and Java 17).
    master : str
        Spark master URL: ``local[2]`` (in-process, two cores),
        ``spark://host:7077``, ``yarn``, ``k8s://…``.
    driver_memory : str
        JVM heap of the Spark driver (in local mode the executors share it).
    quick_jvm : bool
        Start the JVM with its quick (C1-only) compiler: the session starts in
        half the time, but MLlib's LDA runs about three times slower.
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions``.
    files_per_task : int
        Speech files read and cleaned per Spark task.
    speeches_per_task : int
        Speeches segmented and tokenized per Spark task.
    reader : {"list", "binaryFile"}
        ``list``: the driver lists the folder of speeches and the tasks open
        the files (a folder every executor sees); ``binaryFile``: Spark lists
        and reads them (the bytes travel through the JVM; Spark's file
        sources pass over empty files, so those are missing from the load
        report).
    source : str
        A Parquet or JSON-lines dataset of speeches (``doc_id``, ``text``,
        optional ``file``, ``title`` and metadata columns) read instead of the
        folder of speeches; ``""`` reads the folder.
    store : str
        Folder of the Parquet store of units and tokens reused by later runs
        (relative to the project folder; ``""`` = ``<interim>/spark``).
    driver_max_units : int
        Corpora of at most this many paragraph units are also brought to the
        driver for the analyses Spark does not run (keyness, similarity, word
        clouds, formulations, theme positions, clustering, per-speech figures);
        larger ones skip them, and the run summary says so.
    lda_iterations : int
        MLlib LDA: iterations of a reported fit (sweep fits run
        ``[topics] sweep_share`` of them).
    lda_subsampling : float
        MLlib online LDA: share of the units in each mini-batch.
    lda_partitions : int
        Partitions of the topic units (fixed, so that a seed gives the same topics).
    coherence_sample : int
        Units collected to the driver to score the topics' coherence.
    """

    name: Literal["local", "spark"] = "local"
    master: str = "local[2]"
    driver_memory: str = "1g"
    quick_jvm: bool = False
    shuffle_partitions: int = field(default=8, metadata=_range(1))
    files_per_task: int = field(default=32, metadata=_range(1))
    speeches_per_task: int = field(default=16, metadata=_range(1))
    reader: Literal["list", "binaryFile"] = "list"
    source: str = ""
    store: str = ""
    driver_max_units: int = field(default=250_000, metadata=_range(0))
    lda_iterations: int = field(default=50, metadata=_range(1))
    lda_subsampling: float = field(default=0.5, metadata=_range(0, 1, above=0))
    lda_partitions: int = field(default=4, metadata=_range(1))
    coherence_sample: int = field(default=2000, metadata=_range(10))


@dataclass(frozen=True)
class Settings:
    """Every setting of a run, one typed object per ``speechtopics.toml`` section."""

    paths: PathSettings = field(default_factory=PathSettings)
    clean: CleanSettings = field(default_factory=CleanSettings)
    tokenize: TokenizeSettings = field(default_factory=TokenizeSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    themes: ThemeSettings = field(default_factory=ThemeSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    compare: CompareSettings = field(default_factory=CompareSettings)
    suggest: SuggestSettings = field(default_factory=SuggestSettings)
    figures: FigureSettings = field(default_factory=FigureSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "settings") -> Settings:
        """Settings from a nested mapping over the defaults, checked (``source`` names it in errors)."""
        return Settings().updated(data, source)

    def updated(self, changes: Mapping[str, Any], source: str = "settings") -> Settings:
        """A copy with ``changes`` (``{section: {key: value}}``) applied and checked.

        Raises
        ------
        SettingsError
            Listing every unknown key, wrong type or impossible value.
        """
        problems = check_keys_and_types(self, changes, source)
        if problems:
            raise SettingsError(problems)
        sections = {}
        for section in fields(self):
            current = getattr(self, section.name)
            given = changes.get(section.name) or {}
            values = {key: coerce(current, key, value) for key, value in given.items()}
            sections[section.name] = replace(current, **values)
        settings = Settings(**sections)
        problems = check_values(settings, source)
        if problems:
            raise SettingsError(problems)
        sources = dict(getattr(self, "_sources", {}))
        for section, values in changes.items():
            sources.update({(section, key): source for key in values})
        object.__setattr__(settings, "_sources", sources)  # not a field: equality ignores it
        return settings

    def source_of(self, section: str, key: str) -> str:
        """Where ``[section] key`` was set (a file name or ``parameters``); ``defaults`` when nowhere."""
        return getattr(self, "_sources", {}).get((section, key), "defaults")

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain data (tuples as lists), as in the TOML file and the manifest."""
        plain = asdict(self)
        return {
            section: {
                key: list(value) if isinstance(value, tuple) else value
                for key, value in values.items()
            }
            for section, values in plain.items()
        }


#: Names of the settings sections, in file order.
SETTINGS_SECTIONS: tuple[str, ...] = tuple(section.name for section in fields(Settings))
