"""speechtopics: find and compare themes in Chinese speeches about office work.

The public API (see :mod:`speechtopics.api`)::

    import speechtopics as st
    corpus = st.load()          # speeches, paragraph units, tokens
    summary = st.run()          # every table and figure (what `make report` does)
    r = st.results()            # the last run's tables (DataFrames) and topic models
    st.kwic(corpus.units, ["参谋助手"])   # every occurrence in context

Importing a submodule does not import the API: it is loaded on first use.
"""

from __future__ import annotations

from .config import VERSION as __version__

_API = ("load", "run", "results", "settings", "paths", "kwic", "match_topics", "Results")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'speechtopics' has no attribute {name!r}")
