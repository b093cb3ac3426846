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
#
# The first cell runs the pipeline (what `make report` does): everything
# cached is reused, so on a current run it only reads the results, and the
# tables and figures below are exactly those of `figures/index.html`.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none
doc_id = "003"  # the speech whose outline is printed below

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %% [markdown]
# ## Load report
#
# One row per file. `loaded` files go on to the analyses; `skipped` files
# carry the reason and what to do about it; `duplicate` files are exact
# copies (same cleaned text) of a file already loaded; `warning` rows are
# loaded but worth a look (metadata problems, converted traditional text).

# %%
r["load_report"]

# %% [markdown]
# ## Size, structure and noise per speech
#
# `chars_raw` → `chars_clean` is what cleaning removed; the `noise_*`
# columns say which rule removed how many characters (forum junk,
# watermarks, HTML entities, spaces). `sections` counts top-level headings
# (一、二、…), `paragraphs` the lines of the cleaned text, `tokens` the
# words left after stopwords.

# %%
r["corpus_overview"]

# %% [markdown]
# The figure shows the same table: in the left panel the hatched part of
# each bar is removed noise; the middle panel gives paragraphs with the
# number of top-level sections at the bar's end; the right panel the tokens
# each speech contributes to the analyses.

# %%
Image(r.figure("corpus_overview"))

# %% [markdown]
# ## Outline of one speech
#
# Headings as the segmenter found them, with their section path (the label
# analyses use for grouping) and the number of paragraphs under each.

# %%
corpus = st.load(raw_dir or None, out_dir or None, settings=params_file or None)
print(corpus.outline_text(doc_id))
