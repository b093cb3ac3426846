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
# Word clouds at the end give the raw vocabulary of each speech at a glance.
# All counts use the project's tokenizer: the domain dictionary keeps terms
# such as 三服务 and 参谋助手 whole, and stopwords (同志们, 我们 …) are gone.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = the project's data/raw
out_dir = ""  # output root; "" = the project's data/ and figures/
top_n = 15  # keywords / keyness terms per speech
sublinear_tf = True  # TF-IDF with 1 + log(tf) instead of raw counts
yates = True  # Yates continuity correction for chi²
doc_id = "001"  # the speech examined in detail below
group_level = "县"  # speeches of this level (metadata) are compared as a group with the rest
seed = 20240601  # word-cloud layout

# %%
from speechtopics.analysis.features import (
    keyness,
    keyness_by_speech,
    keywords_by_section,
    keywords_by_speech,
    similarity_wide,
    speech_similarity,
    word_frequencies,
)
from speechtopics.analysis.themes.rates import speech_titles
from speechtopics.config import notebook_paths
from speechtopics.corpus.load import load
from speechtopics.plots import save_figure
from speechtopics.plots.features import (
    plot_keyness,
    plot_keywords_per_speech,
    plot_similarity_heatmap,
    plot_wordcloud,
)

paths = notebook_paths(raw_dir, out_dir)
corpus = load(paths)
speeches = corpus.speeches_frame()
titles = speech_titles(speeches)
speech_units = corpus.at_grain("document")
section_units = corpus.at_grain("section")

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
speech_keywords = keywords_by_speech(
    speech_units, corpus.tokenizer, top_n=top_n, sublinear_tf=sublinear_tf
)
speech_keywords

# %% [markdown]
# One panel per speech, strongest keyword on top. Hatched bars are words no
# other speech uses; solid bars are shared words that this speech uses
# unusually often. The number after a bar is the word's count. A panel
# dominated by names and places (存荣, 合肥, 区委) marks the speech's
# setting; a panel of slogans and role words (三服务, 敬畏) marks its message.

# %%
figure = plot_keywords_per_speech(speech_keywords, titles)
save_figure(figure, paths.figures / "notebooks", "keywords_per_speech")

# %% [markdown]
# ## Keywords per top-level section
#
# The same weighting with every top-level section (一、二、…) of every
# speech as a document; `section_path` "" is the opening remarks before the
# first heading. Read down one speech to see how its sections divide the
# work: the section keywords usually echo the section heading.

# %%
section_keywords = keywords_by_section(
    section_units, corpus.tokenizer, top_n=top_n, sublinear_tf=sublinear_tf
)
section_keywords[section_keywords["doc_id"] == doc_id]

# %% [markdown]
# ## Keyness of one speech against the rest
#
# For every word, a 2×2 table: its count in the target speech and in all
# other speeches together, against the remaining tokens of each. `chi2`
# (Yates-corrected unless `yates = False`) and `g2` (log-likelihood) are
# signed: positive when the target uses the word more than expected,
# negative when less; `p` and `p_g2` are their p-values (1 degree of
# freedom). `log_ratio` is the effect size: log₂ of the ratio of relative
# frequencies (1 = twice as frequent, 3 = eight times). With speeches this
# short, treat p-values as a ranking aid, not as proof: a word used 3 times
# in one speech and never elsewhere already reaches p < 0.05.

# %%
speech_keyness = keyness(speech_units, doc_id, yates=yates)
speech_keyness.head(top_n)

# %% [markdown]
# The bottom of the same table: words the speech avoids compared with the
# others (negative statistics).

# %%
speech_keyness.tail(10)

# %% [markdown]
# ## Keyness of every speech
#
# Each speech in turn is the target. The panels show the `top_n` words with
# the largest positive chi²; the label after each bar is the count in the
# speech / in all others. Light dotted bars would be words whose test is
# not significant at 0.05. A word with `n / 0` is used by this speech alone.

# %%
all_keyness = keyness_by_speech(speech_units, yates=yates)
figure = plot_keyness(all_keyness, titles, top_n=top_n)
save_figure(figure, paths.figures / "notebooks", "keyness")

# %% [markdown]
# ## Keyness of a group of speeches
#
# The target can be several speeches: here all speeches whose metadata
# `level` is `group_level` against all the others. Words at the top are what
# speeches at that level share and the others lack.

# %%
group = speeches.loc[speeches["level"] == group_level, "doc_id"].tolist()
print(f"target: {group}")
keyness(speech_units, group, yates=yates).head(top_n)

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
similarity = speech_similarity(speech_units, corpus.tokenizer, sublinear_tf=sublinear_tf)
similarity_wide(similarity)

# %%
figure = plot_similarity_heatmap(similarity, titles)
save_figure(figure, paths.figures / "notebooks", "similarity_heatmap")

# %% [markdown]
# ## Word clouds
#
# The raw vocabulary of each speech (up to 100 words): word size follows
# frequency, darker words are larger. Unlike TF-IDF, a word cloud does not
# discount words every speech uses, so 办公室 and 领导 dominate; use it to
# get a feel for a speech, and the tables above to compare speeches. The
# layout is fixed by `seed`.

# %%
for speech_id in speech_units["doc_id"]:
    figure = plot_wordcloud(
        word_frequencies(speech_units, speech_id), speech_id, titles[speech_id], random_state=seed
    )
    save_figure(figure, paths.figures / "notebooks", f"wordcloud_{speech_id}")
