# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (speechtopics)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Comparing speeches by metadata, and growing the theme lexicon
#
# Do county-level speeches stress 三服务 more than city-level ones? Did
# 狠抓落实 rise over the years? This notebook compares theme rates and
# topic shares between groups of speeches (by `level`, `year` or any column
# of `metadata.csv`) with intervals that say how sure we can be, compares
# two groups term by term, and lists candidate terms for a theme from the
# corpus itself.
#
# **How to read an interval.** Every number below is a mean over speeches:
# each speech counts once, however long it is. The 95% interval around it
# comes from the bootstrap: the group's speeches are drawn again with
# replacement, thousands of times (`[compare] n_boot`, seeded by
# `[analysis] seed`), and the interval holds the middle 95% of the means of
# those redrawn groups. It answers "how much would this mean move if the
# group had been made of other, similar speeches?". Two groups whose
# intervals overlap a lot are not shown to differ; a wide interval means the
# speeches of the group disagree, or are few.
#
# **Why one speech is not a group.** The sampling unit is the speech, not
# the paragraph: the paragraphs of one speech share an author, an occasion
# and a year, so a hundred paragraphs of one speech tell us about that
# speech, not about its level or year. A "group" of one speech has no
# spread to measure, so it gets no interval, and a difference between two
# single speeches is a difference between two texts. Groups with fewer than
# `[compare] min_group_size` speeches (default 3) are therefore listed, but
# never drawn or tested as groups; the tables say so in their `note`
# column. On the five bundled speeches no level or year has three
# speeches, so every comparison below says that the data is too thin: run
# the notebook on a larger folder (`raw_dir`) to see intervals.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none
by = "level"  # metadata column whose groups are compared
group_a = "县"  # the two groups compared term by term (values of `by`)
group_b = "市"
theme_name = "三服务"  # theme whose candidate terms are listed
theme_number = 1  # its place in themes.toml (for the network figure)
suggest_method = "auto"  # "auto", "word2vec" or "pmi"

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %% [markdown]
# ## Where the data is too thin
#
# Before any comparison, the run lists what it could not estimate and why:
# groupings without two groups of `min_group_size` speeches, and trends
# without `[compare] min_years` distinct known years.

# %%
r["compare_notes"]

# %% [markdown]
# ## Theme rates by group, with intervals
#
# One row per group and theme: `n_speeches`, `mean` (the mean of the
# speeches' rates per 1,000 tokens), `se` (the bootstrap standard error),
# `ci_low`–`ci_high` (the 95% interval) and `note` (why a group has none).

# %%
means = r["theme_group_means"]
means[means["by"] == by]

# %% [markdown]
# The figure draws the groups that have an interval: a point for the mean
# and a bar for the interval, one panel per theme. Groups too small to
# compare are named under the figure; when fewer than two groups qualify,
# the figure says so instead of drawing.

# %%
Image(r.figure(f"theme_means_by_{by}"))

# %% [markdown]
# The same for the shares of the reported LDA topics (`topic_group_means`,
# figure `topic_means_by_…`): a topic's share of a speech is the
# token-weighted mean of its paragraphs' topic proportions.

# %%
topic_means = r["topic_group_means"]
topic_means[topic_means["by"] == by]

# %% [markdown]
# ## Effects of the metadata (regression)
#
# Like stm's `estimateEffect`: each theme's rate is regressed on the
# metadata (`[compare] by`; one categorical term per column, a linear or
# spline term in `year`) by least squares, one speech one observation, with
# robust (HC3) intervals. `estimate` is the difference from the
# `reference` group (the largest) or the change per year, in rate per
# 1,000 tokens; `n_speeches` is the number of speeches in the fit. Rows
# without an estimate say in `note` what was left out and why.

# %%
r["theme_effects"]

# %% [markdown]
# ## Over the years
#
# The curve is the fitted rate per year with its 95% band, the grey dots
# the speeches; years with enough speeches get their own mean and interval.
# With fewer than `min_years` distinct known years the figure says so
# instead of drawing a trend.

# %%
Image(r.figure("theme_year_trend"))

# %% [markdown]
# Terms whose use rose or fell most: the slope of each term's rate per
# 1,000 tokens on the year across speeches, with its interval, a test and a
# `q` value corrected for testing every term at once (only `q` below 0.05
# is worth a second look), and the plain ratio of the later years' rate to
# the earlier years' (`log2_ratio`: +1 = doubled).

# %%
r["term_trends"].head(20)

# %%
Image(r.figure("term_trends"))

# %% [markdown]
# ## Two groups side by side
#
# `st.compare` takes two values of a metadata column (or two lists of
# doc_ids) and returns the keyness of group A against group B (the same χ²
# and G² as the keyness of each speech, with A as the target), the theme
# rates of both with the interval of their difference, and example lines
# of the terms that set each side apart. With fewer than `min_group_size`
# speeches on a side the difference has no interval: it is a difference
# between those speeches.

# %%
comparison = st.compare(
    group_a, group_b, by=by, raw=raw_dir or None, out=out_dir or None, settings=params_file or None
)
print(*comparison.notes, sep="\n")
comparison.themes

# %% [markdown]
# The terms most characteristic of A, then of B (`chi2` signed: positive
# = relatively more frequent in A), and lines where they occur.

# %%
comparison.top_terms("a", 10)

# %%
comparison.top_terms("b", 10)

# %%
comparison.examples

# %% [markdown]
# ## Growing a theme's lexicon from the corpus
#
# A theme is only as good as its terms. `st.suggest` lists words the
# corpus itself associates with the theme: with `word2vec`, the nearest
# neighbours of the theme's terms in an embedding trained on the corpus
# (seeded, one thread: the same corpus gives the same list); with `pmi`,
# the words that share sentences with the theme's terms more often than
# chance (`score` in bits; `cooccurrences` = shared sentences). `auto`
# uses embeddings only on large corpora (`[suggest] word2vec_min_tokens`),
# since on a few speeches they are noise. Each candidate comes with its
# count and two example lines; accept a candidate by adding it to
# `data/lexicon/themes.toml` yourself: nothing is added automatically.
# Terms the tokenizer splits (为基层和群众服务) can be added too: they are
# counted wherever their text occurs.

# %%
st.suggest(
    theme_name,
    raw=raw_dir or None,
    out=out_dir or None,
    settings=params_file or None,
    method=suggest_method,
)

# %% [markdown]
# The run lists the same for every theme (`theme_suggestions`) and draws
# each theme's co-occurrence network: the theme's terms (dark) linked where
# they share a sentence, and each to the words it shares most sentences
# with (light; PMI), line width growing with the number of shared
# sentences. Isolated dark nodes are terms used apart from the rest of the
# theme.

# %%
suggestions = r["theme_suggestions"]
suggestions[suggestions["theme"] == theme_name]

# %%
Image(r.figure(f"theme_network_{theme_number:02d}"))
