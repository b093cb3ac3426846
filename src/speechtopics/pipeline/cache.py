"""Cache keys of stages: a key that cannot go stale.

A stage's key hashes everything that can change its output: the corpus
(units, tokens, metadata, themes, tokenizer), the settings sections and the
lexicon files it declared, the keys of the stages it takes output from, the
versions of the libraries that compute it, and the source of the whole
installed package (the simplest honest rule: any edit to any module makes
every stage recompute). Results are kept in the signed cache under
``data/interim/cache`` (:class:`speechtopics.io.SignedCache`): an entry that
is corrupted, altered or foreign fails its check and is recomputed, never
loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import VERSION, Paths, Settings
from ..corpus.model import Corpus
from ..io import file_sha256, json_sha256, library_versions, source_hash
from .stage import Stage, StageOutput

#: Libraries whose version can change a result (recorded in keys and the manifest).
LIBRARIES = (
    "jieba",
    "rjieba",
    "gensim",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "wordcloud",
    "pyLDAvis",
    "opencc",
    "joblib",
)


def corpus_key(corpus: Corpus) -> str:
    """Hash of what the analyses see: units, tokens, metadata, themes and tokenizer."""
    digest = hashlib.sha256()
    digest.update(corpus.tokenizer.cache_key.encode())
    digest.update(
        json_sha256(
            [[t.name, t.label, t.definition, list(t.terms)] for t in corpus.themes]
        ).encode()
    )
    for speech in corpus.speeches:
        digest.update(
            json.dumps(
                [speech.doc_id, speech.title, sorted(speech.meta.items())], ensure_ascii=False
            ).encode()
        )
    for unit in corpus.units:
        digest.update(
            json.dumps(
                [unit.to_dict(), corpus.tokens.get(unit.unit_id, [])], ensure_ascii=False
            ).encode()
        )
    return digest.hexdigest()


def stage_key(
    stage: Stage,
    corpus_hash: str,
    settings: Settings,
    paths: Paths,
    upstream_keys: Mapping[str, str],
    prepared: Any = None,
) -> str:
    """Cache key of a stage (see the module docstring)."""
    payload = {
        "stage": stage.name,
        "corpus": corpus_hash,
        "settings": stage.settings_view(settings).key(),
        "lexicon": {name: file_sha256(getattr(paths, name)) for name in stage.lexicon},
        "code": source_hash(("",)),
        "libraries": library_versions(LIBRARIES),
        "upstream": {name: upstream_keys.get(name, "unavailable") for name in stage.depends},
        "prepared": prepared,
        "version": VERSION,
    }
    return json_sha256(payload)


def compute_stage(name: str, key: str, stage: Stage, inputs: Any) -> StageOutput:
    """Run one stage (cached by ``name`` and ``key`` only), its figures rendered."""
    return stage.function(inputs).render_figures()


def stage_cache_entry(paths: Paths, name: str, key: str) -> Path:
    """The cache file of a stage's result (``key`` as recorded in the manifest's ``stages``)."""
    from ..io import cache_memory

    cached = cache_memory(paths.cache).cache(compute_stage, ignore=["stage", "inputs"])
    return cached.store.entry_path(cached.namespace, cached.key(name, key, None, None))
