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
# # 03 · Topics (LDA)
#
# Which topics run through the speeches, and how far can we trust them?
# A handful of speeches are far too few documents for a topic model, so the
# model reads paragraphs (heading lines joined to the paragraph they
# introduce). The pipeline chooses the number of topics K, fits an ensemble
# of LDA models at that K, checks how well the topics are reproduced from
# one random seed to the next, and fits a second, seeded model whose topics
# are anchored by the theme lexicon (三服务, 参谋助手, 队伍建设 …). The
# settings are in `speechtopics.toml` `[topics]`; this notebook fits
# nothing itself: it shows the run's topics, numbers and labels, the same
# as the report page.
#
# The first cell runs the pipeline (what `make report` does): everything
# cached is reused, so on a current run it only reads the results, and the
# tables and figures below are exactly those of `figures/index.html`.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = data/raw of the project
out_dir = ""  # output root; "" = data/ and figures/ of the project
params_file = ""  # settings file applied over speechtopics.toml; "" = none

# %%
from IPython.display import Image

import speechtopics as st

summary = st.run(raw_dir or None, out_dir or None, settings=params_file or None, progress=False)
r = st.results(out_dir or None)
print(summary.headline())

# %%
r.settings.topics

# %% [markdown]
# ## Choosing K
#
# For every K and seed, one LDA model is fitted on the units left after
# holding out a fifth of them (the same units for every fit). Each row of
# the sweep is one fit: three coherence measures of its top 20 words
# (`c_npmi` and `c_v` count co-occurrences in sliding windows, `u_mass` in
# whole units; higher is better for all three), the perplexity of the
# held-out units (lower is better) and `stability`, how well the other
# seeds at the same K reproduce this fit's top words (mean Jaccard after
# matching topics one to one).

# %%
r["topic_k_sweep"]

# %% [markdown]
# Averaged over seeds, each measure votes for every K within one standard
# error of its best value (the seeds cannot tell those K apart); the K
# with most votes is chosen, ties going to the smaller K. Perplexity is
# shown but does not vote: on few units it only rewards the smallest
# models. Read `reason` for the numbers behind the choice.

# %%
r["topic_k_summary"]

# %%
print(r["topic_k_choice"]["reason"].iloc[0])

# %% [markdown]
# In the figure, the grey points are single fits (one per seed) and the
# line joins their medians; the dashed line marks the chosen K and the last
# panel counts its votes. Where the points of a K scatter widely, the
# measure cannot separate it from its neighbours.

# %%
Image(r.figure("topic_coherence"))

# %% [markdown]
# ## The topics at the chosen K
#
# A single LDA fit on a hundred paragraphs is one of many equally good
# answers: another seed reproduces its top words at a Jaccard of about 0.3
# (the `stability` column above). The topics reported are therefore
# ensembles: for each seed, several fits are matched topic to topic and
# averaged, and the seeds' ensembles are averaged in turn. Labels join the
# theme whose lexicon terms the topic lifts most above their share of the
# corpus (when one stands out) to the topic's FREX words, words both
# frequent in the topic and rare in the others.
#
# `mean_jaccard` compares the topic's top 20 words between the ensembles
# of every pair of seeds (1 = the same words); `min_jaccard` is the worst
# pair; `single_fit_jaccard` is the same comparison between single fits,
# what one LDA run would give. Topics with `stable` = False (below
# `stability_threshold`) should not be interpreted on their own.

# %%
r["topic_stability"]

# %% [markdown]
# The top words of each topic, with their probability in the topic and
# their FREX score; the figure shows each topic's ten most probable words
# (unstable topics light and hatched).

# %%
topic_words = r["topic_words"]
topic_words[topic_words["rank"] <= 10]

# %%
Image(r.figure("topic_words"))

# %% [markdown]
# The fitted model itself is part of the run (`topic_model.npz`), read back
# without refitting: its topic–word matrix, and topic proportions for any
# tokenized text (here the first three paragraph units of the corpus).

# %%
model = r.topic_model
print(model.names_, model.labels_)
units = r["units"]
model.transform([tokens.split() for tokens in units["tokens"].head(3)]).round(3)

# %% [markdown]
# ## Where the topics are
#
# Topic proportions per speech and per top-level section (token-weighted
# means of the paragraphs; `引言` = the opening remarks before the first
# heading). Each bar of the first figure is one speech, split by the share
# of its words each topic accounts for; in the heatmap rows are the
# top-level sections in reading order, and the darker the cell, the larger
# the topic's share. A topic concentrated in one speech's sections is that
# speech's own vocabulary; a topic spread over sections of several speeches
# is a shared concern.

# %%
r["speech_topic"]

# %%
Image(r.figure("topic_prevalence"))

# %%
r["section_topic"]

# %%
Image(r.figure("topic_section_heatmap"))

# %% [markdown]
# ## Interactive view
#
# `topics_ldavis.html`, next to the figures, is the pyLDAvis page (topics as
# circles placed by how much their words overlap; the slider λ re-ranks a
# topic's words from most probable to most exclusive). It loads no script
# from the network: open it in any browser.

# %%
print(r.figure("topics_ldavis", "html"))

# %% [markdown]
# ## Seeded theme topics
#
# The second model has one topic per theme of the lexicon: the theme's
# seed words get extra prior weight (`seed_weight`) in its topic, and every
# paragraph starts out in the themes whose seed words it contains (a
# paragraph without seed words starts in the `free_topics`, which take
# what the themes do not cover). The theme topics then grow from the seed
# words to the words that occur with them.

# %%
theme_words = r["theme_topic_words"]
theme_words[theme_words["rank"] <= 10]

# %% [markdown]
# Stability of both models. Upper panel: the LDA topics at the chosen K;
# lower panel: the seeded topics. Bars are the mean Jaccard between seeds'
# ensembles (hatched = below the threshold, the dashed line), `|` the worst
# pair of seeds, ◇ single fits. The theme topics are pinned down by their
# seed words and by where those occur, so seeds agree on them almost
# completely; the free topics are as loose as plain LDA.

# %%
Image(r.figure("topic_stability"))

# %% [markdown]
# Rows are speeches, columns the theme topics (then the free topics
# `F1`…); the darker the cell, the larger the theme's share of the speech.

# %%
r["theme_topic_by_speech"]

# %%
Image(r.figure("theme_topic_prevalence"))

# %% [markdown]
# ## Which theme does each LDA topic resemble?
#
# The LDA topics matched one to one to the seeded topics by the
# Jensen–Shannon distance of their word distributions (0 = the same
# words with the same weights, 1 = no word in common). The same matching
# tells, between two runs of the pipeline, which topics are new, which
# vanished and how far the others moved (`topic_identity`).

# %%
st.match_topics(
    r.theme_topic_model.topic_word_frame(), model.topic_word_frame(), max_distance=1.0
).table()

# %%
r["topic_identity"]
