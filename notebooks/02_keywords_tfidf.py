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
# # 02 · Keywords, keyness and similarity
#
# Which words set each speech apart? Three complementary answers:
# TF-IDF keywords (words frequent in a speech but rare in the others),
# keyness (a significance test of each word's frequency in one speech
# against all the others) and the cosine similarity of whole speeches.
# All counts use the project's tokenizer: the domain dictionary keeps terms
# such as 三服务 and 参谋助手 whole, and stopwords (同志们, 我们 …) are gone.
#
# The first cell runs the pipeline (what `make report` does): everything
# cached is reused, so on a current run it only reads the results, and the
# tables and figures below are exactly those of `figures/index.html`.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none
doc_id = "001"  # the speech whose keyness is listed below

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %% [markdown]
# ## TF-IDF keywords per speech
#
# Each speech is one document. A word's TF-IDF weight grows with how often
# the speech uses it and shrinks with the number of speeches that use it,
# so the top of each list is what this speech says that the others say
# less. `count` is the word's frequency in the speech; `document_frequency`
# the number of speeches containing it (1 = this speech only). Weights are
# comparable within a speech; across speeches only roughly (each speech's
# vector has length 1).

# %%
r["keywords_by_speech"]

# %% [markdown]
# One panel per speech, strongest keyword on top. Hatched bars are words no
# other speech uses; solid bars are shared words that this speech uses
# unusually often. The number after a bar is the word's count. A panel
# dominated by names and places marks the speech's setting; a panel of
# slogans and role words (三服务, 敬畏) marks its message.

# %%
Image(r.figure("keywords_per_speech"))

# %% [markdown]
# ## Keywords per top-level section
#
# The same weighting with every top-level section (一、二、…) of every
# speech as a document; `section_path` "" is the opening remarks before the
# first heading. Read down one speech to see how its sections divide the
# work: the section keywords usually echo the section heading.

# %%
r["keywords_by_section"]

# %% [markdown]
# ## Keyness of one speech against the rest
#
# For every word, a 2×2 table: its count in the target speech and in all
# other speeches together, against the remaining tokens of each. `chi2`
# (Yates-corrected unless `[features] keyness_yates = false`) and `g2`
# (log-likelihood) are signed: positive when the target uses the word more
# than expected, negative when less; `p` and `p_g2` are their p-values (1
# degree of freedom). `log_ratio` is the effect size: log₂ of the ratio of
# relative frequencies (1 = twice as frequent, 3 = eight times). With
# speeches this short, treat p-values as a ranking aid, not as proof: a word
# used 3 times in one speech and never elsewhere already reaches p < 0.05.

# %%
keyness = r["keyness"]
keyness[keyness["doc_id"] == doc_id].head(20)

# %% [markdown]
# The panels show, for each speech in turn, the words with the largest
# positive statistic; the label after each bar is the count in the speech /
# in all others. A word with `n / 0` is used by this speech alone.

# %%
Image(r.figure("keyness"))

# %% [markdown]
# ## Similarity between speeches
#
# Cosine similarity of the speeches' TF-IDF vectors: 1 means the same
# weighted vocabulary, 0 no word in common. Because TF-IDF down-weights the
# words every speech shares (办公室, 领导), the values measure overlap in
# distinctive vocabulary and are low in absolute terms; compare the pairs
# with each other. In the heatmap the diagonal is left white and the grey
# scale spans only the off-diagonal values, so darker cells are the most
# similar pairs.

# %%
r["speech_similarity"].pivot(index="doc_id", columns="other_doc_id", values="cosine")

# %%
Image(r.figure("similarity_heatmap"))
