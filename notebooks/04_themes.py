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
# # 04 · Themes, keywords in context and formulations (提法)
#
# How much does each speech talk about 三服务, the 参谋助手 role, 队伍建设
# and the other themes of `data/lexicon/themes.toml` — per speech, per
# section, per level and year — and where in the speech? Then the exact
# words: every occurrence of a term in context (KWIC), and the numbered
# slogans, quoted set phrases and role metaphors (提法) that structure this
# genre, found from the text by rules.
#
# A theme *hit* is a token equal to one of the theme's terms; rates are hits
# per 1,000 tokens of the same unit (titles left out). Edit `themes.toml` to
# change a theme; every term must be a word the tokenizer produces.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = the project's data/raw
out_dir = ""  # output root; "" = the project's data/ and figures/
theme_name = "队伍建设"  # the theme whose terms and contexts are listed in detail
kwic_term = "参谋助手"  # a word or phrase looked up in context
kwic_docs = []  # only these speeches, e.g. ["000"]; [] = all
kwic_window = 15  # characters of context on each side
group_by = ["level", "year"]  # metadata columns compared
formulation_context = 12  # characters of context in formulation examples

# %%
from speechtopics.analysis.themes.formulations import (
    find_formulations,
    formulation_counts,
    formulation_occurrences,
    formulation_recall,
    formulations_by_speech,
)
from speechtopics.analysis.themes.kwic import kwic, kwic_theme
from speechtopics.analysis.themes.rates import (
    section_outline,
    section_starts,
    speech_texts,
    speech_titles,
    term_count_matrix,
    term_counts_by_speech,
    theme_by_name,
    theme_lexicon_table,
    theme_positions,
    theme_rate_matrix,
    theme_rates_by_group,
    theme_rates_by_section,
    theme_rates_by_speech,
)
from speechtopics.config import notebook_paths
from speechtopics.corpus.load import load
from speechtopics.plots import save_figure
from speechtopics.plots.themes import (
    plot_formulations,
    plot_theme_by_group,
    plot_theme_dispersion,
    plot_theme_heatmap,
    plot_theme_section_heatmap,
)
from speechtopics.text.lexicon import load_reference_formulations

paths = notebook_paths(raw_dir, out_dir)
corpus = load(paths)
titles = speech_titles(corpus.speeches)
texts = speech_texts(corpus.speeches)
documents = corpus.at_grain("document")

# %% [markdown]
# ## The themes
#
# One row per theme: its definition and the terms counted for it. A term
# may belong to two themes and then counts for both.

# %%
theme_lexicon_table(corpus.themes)

# %% [markdown]
# ## Theme rates per speech
#
# Rows are speeches, columns themes, cells hits per 1,000 tokens. Compare
# along a column (which speech stresses 三服务?) rather than along a row:
# themes with many broad terms (政治, 落实) reach higher rates by
# construction.

# %%
speech_rates = theme_rates_by_speech(documents, corpus.themes)
theme_rate_matrix(speech_rates)

# %% [markdown]
# The heatmap shows the same numbers; darker is more frequent. Columns run
# from the theme most frequent in the whole corpus to the least; the row
# label gives each speech's number of tokens, the base of its rates.

# %%
figure = plot_theme_heatmap(speech_rates, titles)
save_figure(figure, paths.figures / "notebooks", "theme_heatmap")

# %% [markdown]
# ## The exact words behind one theme
#
# For every term of the chosen theme: how often it is a token in each
# speech (what the rates count). The second table gives the literal count
# of the string in the cleaned text, as `grep -o` would: it is larger where
# the term sits inside a longer word (队伍 in 干部队伍建设), which the
# token count deliberately does not count.

# %%
term_counts = term_counts_by_speech(documents, texts, corpus.themes)
term_count_matrix(term_counts, theme_name)

# %%
term_count_matrix(term_counts, theme_name, count="substring_count")

# %% [markdown]
# ## Theme rates per section
#
# Each top-level section (一、二、… and 开场 for the opening remarks) with
# its rates. Speeches are separated by black lines and sections keep their
# reading order. A short section (few tokens in its label) gives unstable
# rates: one or two hits make a dark cell.

# %%
section_rates = theme_rates_by_section(
    corpus.at_grain("section"), corpus.themes, section_outline(corpus.units)
)
theme_rate_matrix(section_rates, ["doc_id", "section_path", "section_heading"])

# %%
figure = plot_theme_section_heatmap(section_rates)
save_figure(figure, paths.figures / "notebooks", "theme_section_heatmap")

# %% [markdown]
# ## Theme rates by level and year
#
# Speeches pooled by metadata: `rate_per_1k` divides the group's summed hits
# by its summed tokens; `mean_speech_rate_per_1k` averages the speeches'
# own rates. Speeches without the metadata form the group 未注明. With one
# or two speeches per group these are descriptions of those speeches, not
# estimates for a level or a year.

# %%
group_rates = theme_rates_by_group(speech_rates, corpus.speeches_frame(), group_by)
group_rates

# %%
figure = plot_theme_by_group(group_rates)
save_figure(figure, paths.figures / "notebooks", "theme_by_group")

# %% [markdown]
# ## Where in the speech each theme appears
#
# One panel per theme, one row per speech; each black tick is one hit at its
# position in the speech (0 = first token, 1 = last). The alternating
# white and grey background marks the top-level sections. A cluster of
# ticks is a passage devoted to the theme (队伍建设 in the last section of
# 000 and 002); evenly spread ticks mean the theme runs through the speech.

# %%
positions = theme_positions(corpus.units_frame(), corpus.themes)
figure = plot_theme_dispersion(
    positions, section_starts(corpus.units_frame()), titles, [t.name for t in corpus.themes]
)
save_figure(figure, paths.figures / "notebooks", "theme_dispersion")

# %% [markdown]
# ## Keywords in context
#
# Every occurrence of a word or phrase in the cleaned text with
# `kwic_window` characters on each side (cut at the paragraph's edge),
# the section it is in and its character offset in the speech. Phrases the
# tokenizer splits are found too, since this is a literal search.

# %%
kwic(corpus.units, kwic_term, window=kwic_window, doc_ids=kwic_docs or None)

# %% [markdown]
# The same for every term of the chosen theme: read down the `keyword`
# column to see which of its terms carry the theme in each speech.

# %%
kwic_theme(corpus.units, theme_by_name(corpus.themes, theme_name), window=kwic_window)

# %% [markdown]
# ## Formulations (提法)
#
# Found by rules, not from a list: quoted numbered slogans (“三服务”,
# “四个表率”, “三严三实”), numbered phrases in section headings (四种能力) or
# followed by as many items as their numeral says (三个结合), quoted parallel
# phrases (“讲大局、强责任、提能力、抓落实”), and role metaphors — quoted
# names ending in a role character (“参谋部”, “润滑油”) or nouns after 是,
# 当好, 作为 … (是一个大管家). `evidence` says which rule accepted each one.
# Plain enumerations (一是…二是…, 第一…) are never formulations.

# %%
found = find_formulations(corpus.units, corpus.tokenizer.segment)
found

# %% [markdown]
# Then every occurrence of each formulation, quoted or not, is counted per
# speech. An occurrence must start and end on word boundaries, so 不管部
# inside 不管部长 and 服务部 inside 服务部门 do not count, and an ordinal
# (第三个转变) is not the slogan (三个转变). `example` shows the first
# occurrence in each speech.

# %%
occurrences = formulation_occurrences(
    corpus.units, list(found["formulation"]), corpus.tokenizer.segment, context=formulation_context
)
counts = formulation_counts(found, occurrences)
counts

# %% [markdown]
# Which speech uses which formulation: a dot per formulation and speech,
# its area growing with the count (written next to it when above 1).
# Formulations shared by several speeches come first within each kind;
# the rest follow the first speech that uses them, so each speech's own
# vocabulary of slogans and metaphors forms a block.

# %%
by_speech = formulations_by_speech(counts, corpus.doc_ids)
figure = plot_formulations(by_speech, titles)
save_figure(figure, paths.figures / "notebooks", "formulations")
by_speech

# %% [markdown]
# ## Checking the rules against a hand-made list
#
# `data/lexicon/formulations.txt` lists the formulations a reader found in
# the bundled speeches. `in_text` gives the speeches whose text contains the
# string, `found_in` those where the rules counted it; rows with
# `found = False` are what the rules miss (set phrases without quotation
# marks, such as 踏石留印、抓铁有痕).

# %%
recall = formulation_recall(
    load_reference_formulations(paths.lexicon / "formulations.txt"), counts, texts
)
recall[~recall["found"]]

# %%
recall["found"].sum(), (recall["in_text"] != "").sum()
