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
# # 04 · Themes
#
# How often, and where, each speech speaks of the themes a reader of these
# speeches would name: 三服务, the 参谋助手 role, 队伍建设, 综合协调, 狠抓落实 …
# (the lexicon in `data/lexicon/themes.toml`), the words around them, and
# the formulations (提法) the speeches coin.
#
# A theme *hit* is a token equal to one of the theme's terms; rates are hits
# per 1,000 tokens of the same unit (titles left out). Edit `themes.toml` to
# change a theme; every term must be a word the tokenizer produces.
#
# The first cell runs the pipeline (what `make report` does): everything
# cached is reused, so on a current run it only reads the results, and the
# tables and figures below are exactly those of `figures/index.html`.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none
theme_name = "队伍建设"  # the theme whose terms and contexts are listed in detail
kwic_term = "参谋助手"  # a word or phrase looked up in context
kwic_docs = []  # only these speeches, e.g. ["000"]; [] = all

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %% [markdown]
# ## Theme rates per speech
#
# Rows are speeches, columns themes, cells hits per 1,000 tokens. Compare
# along a column (which speech stresses 三服务?) rather than along a row:
# themes with many broad terms (政治, 落实) reach higher rates by
# construction.

# %%
r["theme_rates_by_speech"].pivot(index="doc_id", columns="theme", values="rate_per_1k")

# %% [markdown]
# The heatmap shows the same numbers; darker is more frequent. Columns run
# from the theme most frequent in the whole corpus to the least; the row
# label gives each speech's number of tokens, the base of its rates.

# %%
Image(r.figure("theme_heatmap"))

# %% [markdown]
# ## The exact words behind one theme
#
# For every term of the chosen theme: how often it is a token in each
# speech (what the rates count), and the literal count of the string in the
# cleaned text, as `grep -o` would: it is larger where the term sits inside
# a longer word (队伍 in 干部队伍建设), which the token count deliberately
# does not count.

# %%
terms = r["term_counts_by_speech"]
terms[terms["theme"] == theme_name].pivot(index="term", columns="doc_id", values="token_count")

# %% [markdown]
# ## Theme rates per section
#
# Each top-level section (一、二、… and 引言 for the opening remarks) with
# its rates. Speeches are separated by black lines and sections keep their
# reading order. A short section (few tokens) gives unstable rates: one or
# two hits make a dark cell.

# %%
r["theme_rates_by_section"]

# %%
Image(r.figure("theme_section_heatmap"))

# %% [markdown]
# ## Theme rates by metadata group
#
# Speeches pooled by metadata (`[themes] group_by`): `rate_per_1k` divides
# the group's summed hits by its summed tokens; `mean_speech_rate_per_1k`
# averages the speeches' own rates. Speeches without the metadata form the
# group 未注明. With one or two speeches per group these are descriptions
# of those speeches, not estimates for a level or a year.

# %%
r["theme_rates_by_group"]

# %%
Image(r.figure("theme_by_group"))

# %% [markdown]
# ## Where in the speech each theme appears
#
# One panel per theme, one row per speech; each black tick is one hit at its
# position in the speech (0 = first token, 1 = last). The alternating
# white and grey background marks the top-level sections. A cluster of
# ticks is a passage devoted to the theme; evenly spread ticks mean the
# theme runs through the speech.

# %%
Image(r.figure("theme_dispersion"))

# %% [markdown]
# ## Keywords in context
#
# Every occurrence of a word or phrase in the cleaned text with
# `[themes] kwic_window` characters on each side (cut at the paragraph's
# edge), the section it is in and its character offset in the speech.
# Phrases the tokenizer splits are found too, since this is a literal
# search. The second table does the same for every term of the chosen
# theme: read down the `keyword` column to see which of its terms carry the
# theme in each speech.

# %%
corpus = st.load(raw_dir or None, out_dir or None, settings=params_file or None)
window = r.settings.themes.kwic_window
st.kwic(corpus.units, [kwic_term], window=window, doc_ids=kwic_docs or None)

# %%
st.kwic(corpus.units, corpus.theme_terms(theme_name), window=window)

# %% [markdown]
# ## Formulations (提法)
#
# Found by rules, not from a list: quoted numbered slogans (“三服务”,
# “四个表率”, “三严三实”), numbered phrases in section headings (四种能力) or
# followed by as many items as their numeral says (三个结合), quoted parallel
# phrases (“讲大局、强责任、提能力、抓落实”), and role metaphors — quoted
# names ending in a role character (“参谋部”, “润滑油”) or nouns after 是,
# 当好, 作为 … (是一个大管家). `evidence` says which rule accepted each one.
# Plain enumerations (一是…二是…, 第一…) are never formulations. Every
# occurrence, quoted or not, is counted per speech; an occurrence must start
# and end on word boundaries, and an ordinal (第三个转变) is not the slogan
# (三个转变).

# %%
r["formulations"]

# %% [markdown]
# Which speech uses which formulation: a dot per formulation and speech,
# its area growing with the count (written next to it when above 1).
# Formulations shared by several speeches come first within each kind;
# the rest follow the first speech that uses them, so each speech's own
# vocabulary of slogans and metaphors forms a block.

# %%
Image(r.figure("formulations"))

# %% [markdown]
# Recall against the reference list `data/lexicon/formulations.txt`
# (formulations a reader noted): `in_text` says where the reference occurs,
# `found` whether the rules found it.

# %%
r["formulation_recall"]
