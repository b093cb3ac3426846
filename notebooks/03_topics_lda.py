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
# Five speeches are far too few documents for a topic model, so the model
# reads paragraphs (heading lines joined to the paragraph they introduce).
# The notebook chooses the number of topics K, fits an ensemble of LDA
# models at that K, checks how well the topics are reproduced from one
# random seed to the next, and then fits a second, seeded model whose
# topics are anchored by the theme lexicon (三服务, 参谋助手, 队伍建设 …), to
# compare the themes across speeches and sections.

# %% tags=["parameters"]
raw_dir = ""  # folder of speeches; "" = the project's data/raw
out_dir = ""  # output root; "" = the project's data/ and figures/
grain = "paragraph"  # units the models read: "paragraph", "section", "sentence" or "document"
k_min = 3  # smallest number of topics tried
k_max = 15  # largest number of topics tried
seeds = [1, 2, 3, 4, 5]  # one fit per (K, seed) in the sweep; one ensemble per seed for stability
ensemble_runs = 20  # fits averaged into each seed's ensemble
n_jobs = 2  # worker processes

# %%
from dataclasses import replace

from speechtopics.analysis.topics.describe import (
    doc_topic_table,
    section_headings,
    section_topic,
    speech_topic,
    term_frequency,
    topic_labels,
    topic_word_frame,
    topic_words_table,
)
from speechtopics.analysis.topics.ensemble import fit_ensemble, topic_stability
from speechtopics.analysis.topics.fit import topic_units
from speechtopics.analysis.topics.identity import match_topics
from speechtopics.analysis.topics.seeded import fit_seeded, seed_terms
from speechtopics.analysis.topics.select import choose_k, k_summary, sweep_k
from speechtopics.analysis.vectors import bow_corpus, build_dictionary
from speechtopics.config import TopicSettings, load_settings, notebook_paths
from speechtopics.corpus.load import load
from speechtopics.io import write_bytes
from speechtopics.plots import save_figure
from speechtopics.plots.topics import (
    plot_theme_topic_prevalence,
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from speechtopics.report.ldavis import ldavis_page

paths = notebook_paths(raw_dir, out_dir)
corpus = load(paths)
settings = replace(
    TopicSettings.from_params(load_settings()),
    grain=grain,
    k_min=k_min,
    k_max=k_max,
    seeds=tuple(seeds),
    ensemble_runs=ensemble_runs,
    n_jobs=n_jobs,
)
settings

# %% [markdown]
# ## Units and vocabulary
#
# One row per unit the models are trained on. `unit_ids` lists the
# paragraphs joined into it: a heading line (fewer than `min_unit_tokens`
# tokens, such as `三、经受住三个考验`) is read together with the paragraph
# it introduces. The vocabulary keeps words found in at least `no_below`
# units and in at most `no_above` of them: a word seen once co-occurs with
# nothing, and `办公室`, in two thirds of the paragraphs, says nothing about
# any topic.

# %%
units = corpus.at_grain(settings.grain)
training = topic_units(units, settings.min_unit_tokens)
training[["doc_id", "unit_id", "section_path", "unit_ids", "n_tokens"]]

# %%
dictionary = build_dictionary(training["tokens"], settings.no_below, settings.no_above)
bow = bow_corpus(dictionary, training["tokens"])
print(f"{len(training)} training units, {len(dictionary)} words in the vocabulary")

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
sweep = sweep_k(
    training["tokens"],
    settings.k_values,
    settings.seeds,
    dictionary=dictionary,
    top_n=settings.top_n,
    holdout_fraction=settings.holdout_fraction,
    split_seed=settings.split_seed,
    **settings.fit_options,
)
sweep

# %% [markdown]
# Averaged over seeds, each measure votes for every K within one standard
# error of its best value (the seeds cannot tell those K apart); the K
# with most votes is chosen, ties going to the smaller K. Perplexity is
# shown but does not vote: on this few units it only rewards the smallest
# models. Read `reason` for the numbers behind the choice.

# %%
summary = k_summary(sweep)
choice = choose_k(sweep)
print(choice["reason"].iloc[0])
summary[["k", "c_npmi", "c_v", "u_mass", "perplexity", "stability", "votes"]]

# %% [markdown]
# In the figure, the grey points are single fits (one per seed) and the
# line joins their medians; the dashed line marks the chosen K and the last
# panel counts its votes. Where the points of a K scatter widely, the
# measure cannot separate it from its neighbours.

# %%
figure = plot_topic_coherence(sweep, choice, summary)
save_figure(figure, paths.figures / "notebooks", "topic_coherence")

# %% [markdown]
# ## The topics at the chosen K
#
# A single LDA fit on a hundred paragraphs is one of many equally good
# answers: another seed reproduces its top words at a Jaccard of about 0.3
# (the `stability` column above). The topics reported are therefore
# ensembles: for each seed, `ensemble_runs` fits are matched topic to topic
# and averaged, and the seeds' ensembles are averaged in turn. Labels join
# the theme whose lexicon terms the topic lifts most above their share of
# the corpus (when one stands out) to the topic's FREX words, words both
# frequent in the topic and rare in the others.

# %%
k = int(choice["k"].iloc[0])
ensemble = fit_ensemble(
    bow,
    dictionary,
    k,
    settings.seeds,
    settings.ensemble_runs,
    **settings.fit_options,
)
labels = topic_labels(
    ensemble.topic_word,
    ensemble.vocab,
    corpus.themes,
    term_frequency(dictionary, bow),
    frex_weight=settings.frex_weight,
    n_words=settings.label_words,
)
stability = topic_stability(ensemble, labels, settings.top_n, settings.stability_threshold)
stability

# %% [markdown]
# `mean_jaccard` compares the topic's top 20 words between the ensembles
# of every pair of seeds (1 = the same words); `min_jaccard` is the worst
# pair; `single_fit_jaccard` is the same comparison between single fits,
# what one LDA run would give. Topics with `stable` = False (below
# `stability_threshold`) should not be interpreted on their own.
#
# The top words of each topic, with their probability in the topic and
# their FREX score:

# %%
topic_words = topic_words_table(
    ensemble.topic_word,
    ensemble.vocab,
    ensemble.names,
    labels,
    settings.top_n,
    settings.frex_weight,
)
topic_words

# %% [markdown]
# One panel per topic: its ten most probable words, longest bar first.
# Unstable topics are drawn light and hatched.

# %%
figure = plot_topic_words(topic_words, stability)
save_figure(figure, paths.figures / "notebooks", "topic_words")

# %% [markdown]
# ## Where the topics are
#
# Topic proportions of every paragraph (rows sum to 1), then their
# token-weighted means per speech and per top-level section (`引言` = the
# opening remarks before the first heading).

# %%
doc_topic = doc_topic_table(ensemble.model, units, dictionary, ensemble.names)
doc_topic

# %%
by_speech = speech_topic(doc_topic, ensemble.names, corpus.speeches_frame())
by_speech

# %% [markdown]
# Each bar is one speech, split by the share of its words each topic
# accounts for. Compare the bars to see which speeches share a topic and
# which one stands apart.

# %%
figure = plot_topic_prevalence(by_speech, stability)
save_figure(figure, paths.figures / "notebooks", "topic_prevalence")

# %%
by_section = section_topic(doc_topic, ensemble.names, section_headings(corpus.units))
by_section

# %% [markdown]
# Rows are the top-level sections in reading order, columns the topics;
# the darker the cell, the larger the topic's share of the section. A topic
# concentrated in one speech's sections is that speech's own vocabulary; a
# topic spread over sections of several speeches is a shared concern.

# %%
figure = plot_topic_section_heatmap(by_section, stability)
save_figure(figure, paths.figures / "notebooks", "topic_section_heatmap")

# %% [markdown]
# ## Interactive view
#
# The pyLDAvis page (topics as circles placed by how much their words
# overlap; the slider λ re-ranks a topic's words from most probable to most
# exclusive) is written next to the figures. It loads no script from the
# network: open it in any browser.

# %%
write_bytes(paths.figures / "notebooks" / "topics_ldavis.html", ldavis_page(ensemble, bow, labels))

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
seeded_dictionary = build_dictionary(
    training["tokens"], settings.no_below, settings.no_above, keep=seed_terms(corpus.themes)
)
seeded_bow = bow_corpus(seeded_dictionary, training["tokens"])
seeded = fit_seeded(
    seeded_bow,
    seeded_dictionary,
    corpus.themes,
    settings.seeds,
    free_topics=settings.free_topics,
    seed_weight=settings.seed_weight,
    runs=settings.seeded_runs,
    **settings.fit_options,
)
seeded_labels = topic_labels(
    seeded.topic_word,
    seeded.vocab,
    theme_names=seeded.theme_of,
    frex_weight=settings.frex_weight,
    n_words=settings.label_words,
)
theme_words = topic_words_table(
    seeded.topic_word,
    seeded.vocab,
    seeded.names,
    seeded_labels,
    settings.top_n,
    settings.frex_weight,
)
theme_words[theme_words["rank"] <= 10]

# %% [markdown]
# Stability of both models. Upper panel: the LDA topics at the chosen K;
# lower panel: the seeded topics. Bars are the mean Jaccard between seeds'
# ensembles (hatched = below the threshold, the dashed line), `|` the worst
# pair of seeds, ◇ single fits. The theme topics are pinned down by their
# seed words and by where those occur, so seeds agree on them almost
# completely; the free topics are as loose as plain LDA.

# %%
theme_stability = topic_stability(
    seeded, seeded_labels, settings.top_n, settings.stability_threshold
)
figure = plot_topic_stability(stability, theme_stability, settings.stability_threshold)
save_figure(figure, paths.figures / "notebooks", "topic_stability")

# %% [markdown]
# The share of each theme topic in each speech (token-weighted), and per
# top-level section. Compare with the literal lexicon rates of notebook 04:
# a theme topic also counts the words that come with the theme's terms.

# %%
theme_doc_topic = doc_topic_table(seeded.model, units, seeded_dictionary, seeded.names)
theme_by_speech = speech_topic(theme_doc_topic, seeded.names, corpus.speeches_frame())
theme_by_speech

# %%
theme_by_section = section_topic(theme_doc_topic, seeded.names, section_headings(corpus.units))
theme_by_section

# %% [markdown]
# Rows are speeches, columns the theme topics (then the free topics
# `F1`…); the darker the cell, the larger the theme's share of the speech.

# %%
figure = plot_theme_topic_prevalence(theme_by_speech)
save_figure(figure, paths.figures / "notebooks", "theme_topic_prevalence")

# %% [markdown]
# ## Which theme does each LDA topic resemble?
#
# The LDA topics matched one to one to the seeded topics by the
# Jensen–Shannon distance of their word distributions (0 = the same
# words with the same weights, 1 = no word in common). The same matching
# tells, between two runs of the pipeline, which topics are new, which
# vanished and how far the others moved.

# %%
match_topics(
    topic_word_frame(seeded.topic_word, seeded.vocab, seeded.names),
    topic_word_frame(ensemble.topic_word, ensemble.vocab, ensemble.names),
    max_distance=1.0,
).table()
