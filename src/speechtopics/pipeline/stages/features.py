"""The ``features`` stage: keywords, keyness, similarity and their figures."""

from __future__ import annotations

from ...analysis.features import feature_tables, word_frequencies
from ...plots import FigureStyle
from ...plots.features import (
    plot_keyness,
    plot_keywords_per_speech,
    plot_similarity_heatmap,
    plot_wordcloud,
)
from ..stage import StageInputs, StageOutput


def features_stage(inputs: StageInputs) -> StageOutput:
    """The ``features`` stage: keyword, keyness and similarity tables and their figures.

    Tables: see :func:`feature_tables`. Figures: ``keywords_per_speech``,
    ``keyness``, ``similarity_heatmap`` and, with ``[figures] wordclouds``,
    ``wordcloud_<doc_id>`` per speech.
    """

    corpus, options = inputs.corpus, inputs.settings.features
    results = feature_tables(corpus, options)
    output = StageOutput(tables=dict(results.tables), messages=list(results.messages))
    if results.document_fit is None:
        return output
    titles = corpus.speech_titles()
    figures = inputs.settings.figures
    style = FigureStyle.from_settings(figures)
    output.add_figure(
        "keywords_per_speech",
        plot_keywords_per_speech(results.tables["keywords_by_speech"], titles, style=style),
        style,
    )
    if "keyness" in results.tables:
        figure = plot_keyness(
            results.tables["keyness"],
            titles,
            options.top_n,
            options.keyness_measure,
            min_count=figures.keyness_min_count,
            style=style,
        )
        output.add_figure("keyness", figure, style)
    if "speech_similarity" in results.tables:
        output.add_figure(
            "similarity_heatmap",
            plot_similarity_heatmap(results.tables["speech_similarity"], titles, style=style),
            style,
        )
    if not figures.wordclouds:
        return output
    for doc_id in results.documents["doc_id"]:
        figure = plot_wordcloud(
            word_frequencies(results.documents, doc_id),
            doc_id,
            titles.get(doc_id, ""),
            max_words=options.wordcloud_max_words,
            random_state=inputs.settings.analysis.seed,
            style=style,
        )
        output.add_figure(f"wordcloud_{doc_id}", figure, style)
    return output
