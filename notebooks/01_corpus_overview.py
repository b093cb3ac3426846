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
# # 01 · Corpus overview
#
# What is in the corpus: which files loaded (and which did not, and why),
# how much web noise cleaning removed from each speech, and each speech's
# outline. Every later notebook stands on this.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = the project's data/raw
out_dir = ""  # output root; "" = the project's data/ and figures/
doc_id = "003"  # the speech whose outline is printed below

# %%
from speechtopics.analysis.overview import corpus_overview, load_report_table
from speechtopics.config import notebook_paths
from speechtopics.corpus.load import load
from speechtopics.plots import save_figure
from speechtopics.plots.corpus import plot_corpus_overview
from speechtopics.text.segment import format_outline, outline

paths = notebook_paths(raw_dir, out_dir)
corpus = load(paths)

# %% [markdown]
# ## Load report
#
# One row per file. `loaded` files go on to the analyses; `skipped` files
# carry the reason and what to do about it; `duplicate` files are exact
# copies (same cleaned text) of a file already loaded; `warning` rows are
# loaded but worth a look (metadata problems, converted traditional text).

# %%
load_report_table(corpus.report)

# %% [markdown]
# ## Size, structure and noise per speech
#
# `chars_raw` → `chars_clean` is what cleaning removed; the `noise_*`
# columns say which rule removed how many characters (forum junk,
# watermarks, HTML entities, spaces). `sections` counts top-level headings
# (一、二、…), `paragraphs` the lines of the cleaned text, `tokens` the
# words left after stopwords.

# %%
overview = corpus_overview(corpus)
overview

# %% [markdown]
# The figure shows the same table: in the left panel the hatched part of
# each bar is removed noise (002 is the noisy forum copy); the middle panel
# gives paragraphs with the number of top-level sections at the bar's end;
# the right panel the tokens each speech contributes to the analyses.

# %%
figure = plot_corpus_overview(overview)
save_figure(figure, paths.figures / "notebooks", "corpus_overview")

# %% [markdown]
# ## Outline of one speech
#
# Headings as the segmenter found them, with their section path (the label
# analyses use for grouping) and the number of paragraphs under each.

# %%
units = [unit for unit in corpus.units if unit.doc_id == doc_id]
print(format_outline(outline(units)))
