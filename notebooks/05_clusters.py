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
# # 05 · Clusters of paragraphs and speeches
#
# Which paragraphs say similar things, across speeches? The paragraphs are
# clustered twice: on their words (TF-IDF) and on their topic mix
# (document–topic proportions of a seeded LDA), each with k-means and with
# Ward's hierarchical clustering. The number of clusters k is the one with
# the best silhouette. Then: what words set each cluster apart, where the
# paragraphs lie on a map, how each speech spreads over the clusters, and
# which speeches resemble each other as a whole.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = the project's data/raw
out_dir = ""  # output root; "" = the project's data/ and figures/
grain = "paragraph"  # units to cluster: "paragraph", "section" or "sentence"
k_min = 2  # smallest number of clusters tried
k_max = 10  # largest number of clusters tried
min_tokens = 5  # units with fewer tokens (headings, 同志们：) are left out
min_df = 2  # a term must occur in at least this many units
n_init = 10  # k-means restarts
seed = 20240601  # seed of k-means, SVD, t-SNE and LDA
num_topics = 6  # topics of the LDA that gives the topic vectors
top_n = 10  # distinctive terms per cluster
map_space = "tfidf"  # clustering shown in the map and spread figures: "tfidf" or "topic"
map_method = "kmeans"  # "kmeans" or "ward"
map_projection = "tsne"  # "tsne" or "svd"
cluster_to_read = 1  # cluster whose paragraphs are printed at the end
dendrogram_linkage = "average"  # "average", "complete", "single" (cosine) or "ward"

# %%
from speechtopics.analysis.cluster.partition import (
    chosen_k,
    cluster_assignments,
    cluster_members,
    cluster_spread,
    cluster_summary,
    cluster_term_lists,
    cluster_top_terms,
    k_selection_table,
    spread_matrix,
)
from speechtopics.analysis.cluster.spaces import build_spaces, lda_doc_topic
from speechtopics.analysis.cluster.speeches import speech_linkage, speech_linkage_table
from speechtopics.analysis.themes.rates import speech_titles
from speechtopics.config import notebook_paths
from speechtopics.corpus.load import load
from speechtopics.plots import save_figure
from speechtopics.plots.cluster import (
    plot_cluster_map,
    plot_cluster_spread,
    plot_silhouette,
    plot_speech_dendrogram,
)

paths = notebook_paths(raw_dir, out_dir)
corpus = load(paths)
titles = speech_titles(corpus.speeches_frame())
units = corpus.at_grain(grain)

# %% [markdown]
# ## Two spaces to cluster in
#
# The TF-IDF space gives each paragraph a weight per word: words frequent in
# the paragraph and rare elsewhere weigh most. The topic space gives each
# paragraph its mix of LDA topics (here one seeded LDA fit; the pipeline's
# `cluster` stage uses the topics stage's model instead). Paragraphs with
# fewer than `min_tokens` tokens — headings, salutations — are left out and
# get cluster −1 in the tables below.

# %%
doc_topic = lda_doc_topic(units, num_topics, random_state=seed, min_tokens=min_tokens)
spaces = build_spaces(units, doc_topic, min_tokens=min_tokens, min_df=min_df)
{name: space.matrix.shape for name, space in spaces.items()}

# %% [markdown]
# ## Choosing k
#
# For every space, method and k the table gives the mean silhouette: for
# each paragraph, how much closer it is to its own cluster than to the next
# one (1 = tight, well-separated clusters; 0 = on the border; below 0 =
# probably in the wrong cluster). `chosen` marks the best k per space and
# method.
#
# Read the size of the numbers before the shape of the curve. On TF-IDF
# vectors of paragraphs the silhouette stays close to 0: paragraphs of these
# speeches share a common vocabulary and do not fall into sharply separated
# groups, so the clusters are a useful partition for reading, not natural
# kinds. Topic vectors of short paragraphs are nearly pure (one topic
# dominates each paragraph), so their silhouette is high and peaks near the
# number of topics: it measures the LDA's sharpness more than the text.

# %%
k_selection = k_selection_table(spaces, k_min, k_max, random_state=seed, n_init=n_init)
k_selection

# %% [markdown]
# The figure draws the same table: one panel per space, one line per
# method, a star on the chosen k. The two panels have their own vertical
# scales.

# %%
figure = plot_silhouette(k_selection)
save_figure(figure, paths.figures / "notebooks", "cluster_silhouette")

# %% [markdown]
# ## Clusters at the chosen k
#
# One row per paragraph, space and method: its cluster (1 = the largest,
# −1 = left out) and its coordinates on the 2-D maps. The summary says, per
# clustering, how far the clusters simply reproduce the speeches
# (`nmi_speech`, `ari_speech` near 1) or cut across them (near 0), and how
# far they follow top-level sections (`nmi_section`).

# %%
assignments = cluster_assignments(
    units, spaces, chosen_k(k_selection), random_state=seed, n_init=n_init
)
cluster_summary(assignments, k_selection)

# %% [markdown]
# ## What each cluster is about
#
# Terms ranked by how much more weight they carry in the cluster's
# paragraphs than in the others (mean TF-IDF inside minus outside), so that
# words every paragraph uses (办公室, 工作) do not name every cluster.
# Clusters of the topic space are described by the same TF-IDF words.

# %%
top_terms = cluster_top_terms(spaces["tfidf"], assignments, top_n=top_n)
cluster_term_lists(top_terms, map_space, map_method)

# %% [markdown]
# ## Map of the paragraphs
#
# Each point is a paragraph; nearby points use similar words (t-SNE keeps
# neighbours, not distances: the size of gaps between groups means little;
# the SVD map keeps the main directions of variation). The left panel marks
# the speech, the right panel the cluster, with a different marker shape for
# each so the figure also reads in grey. A cluster that forms a patch on the
# right while mixing markers on the left is a theme shared by several speeches.

# %%
figure = plot_cluster_map(
    assignments, top_terms, titles, space=map_space, method=map_method, projection=map_projection
)
save_figure(figure, paths.figures / "notebooks", "cluster_map")

# %% [markdown]
# ## How each speech spreads over the clusters
#
# Counts of paragraphs per speech and cluster (−1 = left out as too short);
# the long table `cluster_spread` also has the shares.

# %%
spread = cluster_spread(assignments)
spread_matrix(spread, map_space, map_method)

# %% [markdown]
# Each bar is one speech, cut into its clusters' shares of its paragraphs
# (counts inside the segments, the speech's paragraph count at the end). A
# speech concentrated in one or two clusters has its own vocabulary (often
# its occasion: a city meeting, a training session); a speech spread evenly
# covers the shared themes.

# %%
figure = plot_cluster_spread(spread, top_terms, titles, space=map_space, method=map_method)
save_figure(figure, paths.figures / "notebooks", "cluster_spread")

# %% [markdown]
# ## Reading one cluster
#
# The paragraphs of cluster `cluster_to_read` in the clustering shown above,
# in corpus order: check that the distinctive terms describe them.

# %%
cluster_members(assignments, units, map_space, map_method, cluster_to_read)

# %% [markdown]
# ## Which speeches resemble each other
#
# Whole speeches compared by the cosine distance of their TF-IDF vectors
# and joined step by step (average linkage by default): speeches joined at a
# smaller distance (further right) are more alike. The table lists the
# merges in order. With five speeches all distances are close; read the
# order of the merges rather than their heights.

# %%
documents = corpus.at_grain("document")
speech_tree = speech_linkage(documents, dendrogram_linkage)
speech_linkage_table(speech_tree, documents["doc_id"].tolist())

# %%
figure = plot_speech_dendrogram(
    speech_tree, documents["doc_id"].tolist(), titles, linkage_method=dendrogram_linkage
)
save_figure(figure, paths.figures / "notebooks", "speech_dendrogram")
