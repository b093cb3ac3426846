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
# # 05 · Clusters
#
# Which paragraphs talk about the same thing, across speeches? Paragraphs
# are clustered in two spaces — their TF-IDF vectors and their topic
# proportions from the run's topic model — with k-means and Ward, the number
# of clusters chosen by silhouette (`[cluster]` settings). A dendrogram of
# whole speeches shows which speeches resemble each other as a whole.
#
# The first cell runs the pipeline (what `make report` does): everything
# cached is reused, so on a current run it only reads the results, and the
# tables and figures below are exactly those of `figures/index.html`.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none
cluster_to_read = 1  # cluster whose paragraphs are printed at the end

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %% [markdown]
# ## Choosing k
#
# For every space, method and k, the mean silhouette of the paragraphs
# (from −1 to 1: how much closer a paragraph is to its own cluster than to
# the next). The chosen k has the highest silhouette. Values near 0 mean
# the paragraphs do not fall into well-separated groups, so the clusters
# are a useful partition for reading, not natural kinds. Topic vectors of
# short paragraphs are nearly pure (one topic dominates each paragraph), so
# their silhouette is high and peaks near the number of topics: it
# measures the topic model's sharpness more than the text.

# %%
r["cluster_k_selection"]

# %% [markdown]
# The figure draws the same table: one panel per space, one line per
# method, a star on the chosen k. The two panels have their own vertical
# scales.

# %%
Image(r.figure("cluster_silhouette"))

# %% [markdown]
# ## Clusters at the chosen k
#
# The summary says, per clustering, how far the clusters simply reproduce
# the speeches (`nmi_speech`, `ari_speech` near 1) or cut across them (near
# 0), and how far they follow top-level sections (`nmi_section`).
#
# It also says whether there is cluster structure at all. The highest
# silhouette always picks some k, even in text without groups; so the same
# clustering is repeated on copies of the space in which every column (an
# LSA dimension, a term or a topic) is shuffled over the paragraphs, which
# keeps each column's values but makes their combinations random.
# `structure` is true only when the chosen k's silhouette beats every such
# copy (`silhouette_null_max`) by `[cluster] structure_margin`. When the
# clustering the figures show has no structure, the map and spread figures
# say so instead of drawing k arbitrary clusters. The default space, LSA
# (TF-IDF reduced to `[cluster] lsa_components` dimensions), recovered
# known classes best on labelled news titles and product reviews
# (`benchmarks/cluster_quality.py`).

# %%
r["cluster_summary"]

# %% [markdown]
# ## What each cluster is about
#
# Terms ranked by how much more weight they carry in the cluster's
# paragraphs than in the others (mean TF-IDF inside minus outside), so that
# words every paragraph uses (办公室, 工作) do not name every cluster.
# Clusters of the topic space are described by the same TF-IDF words.

# %%
r["cluster_top_terms"]

# %% [markdown]
# ## Map of the paragraphs
#
# Each point is a paragraph; nearby points use similar words (t-SNE keeps
# neighbours, not distances: the size of gaps between groups means little;
# the SVD map keeps the main directions of variation). The left panel marks
# the speech, the right panel the cluster, with a different marker shape for
# each so the figure also reads in grey. A cluster that forms a patch on the
# right while mixing markers on the left is a theme shared by several speeches.
#
# The run draws the map only when the clustering it shows has structure and
# a mean silhouette of at least `[figures] cluster_map_min_silhouette`: a
# map of paragraphs that form no groups would show noise as groups. When it
# was left out, the cell prints the run's reason instead.

# %%
left_out = "\n".join(m for m in summary.messages if "cluster map left out" in m)
Image(r.figure("cluster_map")) if r.figure("cluster_map").exists() else print(left_out)

# %% [markdown]
# ## How each speech spreads over the clusters
#
# Each bar is one speech, cut into its clusters' shares of its paragraphs.
# A speech concentrated in one or two clusters has its own vocabulary
# (often its occasion: a city meeting, a training session); a speech spread
# evenly covers the shared themes.

# %%
r["cluster_spread"]

# %%
Image(r.figure("cluster_spread"))

# %% [markdown]
# ## Reading one cluster
#
# The paragraphs of cluster `cluster_to_read` in the clustering the figures
# show, in corpus order: check that the distinctive terms describe them.

# %%
shown = r.settings.cluster
assignments = r["cluster_assignments"]
members = assignments[
    (assignments["space"] == shown.map_space)
    & (assignments["method"] == shown.map_method)
    & (assignments["cluster"] == cluster_to_read)
]
units = r["units"].set_index("unit_id")
units.loc[members["unit_id"], ["doc_id", "section_path", "text"]]

# %% [markdown]
# ## Which speeches resemble each other
#
# Whole speeches compared by the cosine distance of their TF-IDF vectors
# and joined step by step (average linkage by default): speeches joined at
# a smaller distance are more alike. The table lists the merges in order.
# With few speeches all distances are close; read the order of the merges
# rather than their heights.

# %%
r["cluster_speech_linkage"]

# %%
Image(r.figure("speech_dendrogram"))
