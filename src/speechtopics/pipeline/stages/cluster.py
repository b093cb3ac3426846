"""The ``cluster`` stage: paragraph clusters in TF-IDF and topic space, and the speech dendrogram."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...analysis.cluster.partition import (
    chosen_k,
    cluster_assignments,
    cluster_spread,
    cluster_summary,
    cluster_top_terms,
    k_range,
    k_selection_table,
)
from ...analysis.cluster.sampling import sample_message
from ...analysis.cluster.spaces import build_spaces
from ...analysis.cluster.speeches import speech_linkage, speech_linkage_table
from ...analysis.cluster.structure import structure_table
from ...plots import FigureStyle
from ...plots import cluster as plots
from ...plots.compare import note_figure
from ..stage import StageInputs, StageOutput


def _upstream_doc_topic(upstream: dict[str, Any]) -> pd.DataFrame | None:
    topics = upstream.get("topics")
    doc_topic = getattr(topics, "data", {}).get("doc_topic") if topics is not None else None
    if not isinstance(doc_topic, pd.DataFrame) or doc_topic.empty:
        return None
    if "unit_id" in doc_topic.columns:
        doc_topic = doc_topic.set_index("unit_id")
    doc_topic = doc_topic.select_dtypes("number")
    return doc_topic if not doc_topic.empty else None


def _speech_dendrogram(output: StageOutput, corpus, settings, titles, style) -> None:
    """The speech dendrogram and its linkage table (two speeches or more)."""
    documents = corpus.at_grain("document")
    if len(documents) < 2:
        output.messages.append(
            f"speech dendrogram skipped: {len(documents)} speech(es), it needs at least 2"
        )
        return
    tree = speech_linkage(documents, settings.dendrogram_linkage, settings.sublinear_tf)
    doc_ids = documents["doc_id"].tolist()
    output.tables["cluster_speech_linkage"] = speech_linkage_table(tree, doc_ids)
    figure = plots.plot_speech_dendrogram(
        tree, doc_ids, titles, linkage_method=settings.dendrogram_linkage, style=style
    )
    output.add_figure("speech_dendrogram", figure, style)


def _spaces(output: StageOutput, units, inputs: StageInputs) -> dict:
    """The spaces to cluster in, with a message for every unit or space left out."""
    settings = inputs.settings.cluster
    doc_topic = _upstream_doc_topic(inputs.upstream)
    if doc_topic is None and "topic" in settings.spaces:
        output.messages.append(
            "topic-vector clustering skipped: the topics stage gave no doc_topic"
        )
    spaces = build_spaces(
        units,
        doc_topic if "topic" in settings.spaces else None,
        settings.min_tokens,
        settings.min_df,
        settings.sublinear_tf,
        lsa_components=settings.lsa_components if "lsa" in settings.spaces else 0,
        random_state=inputs.settings.analysis.seed,
    )
    if "topic" in spaces and spaces["topic"].n_units < spaces["tfidf"].n_units:
        output.messages.append(
            f"topic space: {spaces['tfidf'].n_units - spaces['topic'].n_units} unit(s) have no topic vector "
            f"(topics grain {inputs.settings.topics.grain!r}, clustering grain "
            f"{settings.grain!r}); they get cluster -1 there"
        )
    left_out = len(units) - spaces["tfidf"].n_units
    if left_out:
        output.messages.append(
            f"{left_out} of {len(units)} {settings.grain} units left out of clustering "
            f"(fewer than {settings.min_tokens} tokens or no term above min_df); cluster -1"
        )
    for name in [name for name in spaces if name in settings.spaces]:
        space = spaces[name]
        ks = k_range(settings.k_min, settings.k_max, space.n_units)
        if not ks:
            output.messages.append(
                f"{name} clustering skipped: {space.n_units} {settings.grain} units, too few for "
                f"k = {settings.k_min}…{settings.k_max} (silhouette needs k ≤ units − 1)"
            )
            del spaces[name]
        elif ks[-1] < settings.k_max:
            output.messages.append(
                f"{name}: k range cut to {ks[0]}…{ks[-1]} ({space.n_units} units)"
            )
    return spaces


def _structure_messages(output: StageOutput, structure: pd.DataFrame) -> None:
    """One message per clustering whose silhouette does not beat the no-structure reference."""
    for row in structure[~structure["structure"].astype(bool)].itertuples(index=False):
        output.messages.append(
            f"no cluster structure in {row.space}/{row.method}: the best silhouette "
            f"{row.silhouette:.3f} (k = {row.k}) does not beat column-permuted copies "
            f"({row.silhouette_null_max:.3f}); its {row.k} clusters are an arbitrary partition"
        )


def _no_structure_figures(output: StageOutput, row, style) -> None:
    """No map, and a sentence instead of the spread figure: there is no cluster structure to draw."""
    note = (
        f"{row.space} 空间 {row.method}：最佳轮廓系数 {row.silhouette:.3f}（k = {row.k}）"
        f"不高于把每个词在段落间随机打乱后的参照值 {row.silhouette_null_max:.3f}，"
        f"这 {row.k} 个聚类只是任意划分，不画出。"
    )
    output.messages.append(
        f"cluster map left out: {row.space}/{row.method} has no cluster structure "
        "(see the message above); a map would show an arbitrary partition as groups"
    )
    output.add_figure("cluster_spread", note_figure("没有聚类结构", note, style=style), style)


def cluster_stage(inputs: StageInputs) -> StageOutput:
    """The ``cluster`` stage: paragraph clusters in TF-IDF and topic space, and the speech dendrogram.

    Tables: ``cluster_k_selection``, ``cluster_assignments``,
    ``cluster_top_terms``, ``cluster_spread``, ``cluster_summary`` (with
    ``silhouette_null_max`` and ``structure``: whether the chosen k beats
    column-permuted copies of the space), ``cluster_speech_linkage``.
    Figures: ``cluster_silhouette``, ``cluster_map`` (only when the shown
    clustering has structure and a mean silhouette of at least ``[figures]
    cluster_map_min_silhouette``), ``cluster_spread`` (a sentence instead of
    clusters when there is no structure), ``speech_dendrogram``.

    Past ``[cluster] sample_units`` units in a space, silhouettes, Ward, the
    structure check and the t-SNE map work on a seeded sample (one message
    says so); k-means clusters every unit.
    """
    output = StageOutput()
    corpus, settings = inputs.corpus, inputs.settings.cluster
    seed = inputs.settings.analysis.seed
    titles = corpus.speech_titles()
    style = FigureStyle.from_settings(inputs.settings.figures)
    _speech_dendrogram(output, corpus, settings, titles, style)
    units = corpus.at_grain(settings.grain)
    spaces = _spaces(output, units, inputs)
    clustered = {name: spaces[name] for name in settings.spaces if name in spaces}
    if not clustered:
        return output

    largest = max(space.n_units for space in clustered.values())
    if largest > settings.sample_units:
        output.messages.append(sample_message(largest, settings.sample_units, settings.grain))
    selection = k_selection_table(
        clustered,
        settings.k_min,
        settings.k_max,
        seed,
        settings.n_init,
        sample_units=settings.sample_units,
    )
    structure = structure_table(
        clustered,
        selection,
        seed,
        settings.n_init,
        settings.null_permutations,
        settings.structure_margin,
        sample_units=settings.sample_units,
    )
    assignments = cluster_assignments(
        units, clustered, chosen_k(selection), seed, settings.n_init, settings.sample_units
    )
    top_terms = cluster_top_terms(spaces["tfidf"], assignments, settings.top_n)
    output.tables["cluster_k_selection"] = selection
    output.tables["cluster_assignments"] = assignments
    output.tables["cluster_top_terms"] = top_terms
    output.tables["cluster_spread"] = cluster_spread(assignments)
    output.tables["cluster_summary"] = cluster_summary(assignments, selection).merge(
        structure[["space", "method", "silhouette_null_max", "structure"]],
        on=["space", "method"],
        how="left",
    )
    _structure_messages(output, structure)
    _cluster_figures(output, inputs, clustered, structure, titles, style)
    return output


def _map_silhouette(selection: pd.DataFrame, space: str, method: str) -> float:
    """Mean silhouette of the chosen k of one clustering (NaN when it was not run)."""
    rows = selection[
        (selection["space"] == space) & (selection["method"] == method) & selection["chosen"]
    ]
    return float(rows["silhouette"].iloc[0]) if len(rows) else float("nan")


def _cluster_figures(
    output: StageOutput, inputs: StageInputs, clustered, structure, titles, style
) -> None:
    """Silhouette, map (only with structure and enough silhouette) and spread figures."""
    settings, figures = inputs.settings.cluster, inputs.settings.figures
    selection = output.tables["cluster_k_selection"]
    assignments, top_terms = (
        output.tables["cluster_assignments"],
        output.tables["cluster_top_terms"],
    )
    map_space = settings.map_space if settings.map_space in clustered else next(iter(clustered))
    map_method = settings.map_method
    output.add_figure("cluster_silhouette", plots.plot_silhouette(selection, style=style), style)
    shown = structure[(structure["space"] == map_space) & (structure["method"] == map_method)]
    if len(shown) and not bool(shown["structure"].iloc[0]):
        _no_structure_figures(output, shown.iloc[0], style)
        return
    silhouette = _map_silhouette(selection, map_space, map_method)
    if silhouette >= figures.cluster_map_min_silhouette:
        figure = plots.plot_cluster_map(
            assignments,
            top_terms,
            titles,
            space=map_space,
            method=map_method,
            projection=settings.map_projection,
            style=style,
        )
        output.add_figure("cluster_map", figure, style)
    else:
        output.messages.append(
            f"cluster map left out: mean silhouette {silhouette:.3f} of {map_space}/{map_method} "
            f"is below [figures] cluster_map_min_silhouette = {figures.cluster_map_min_silhouette:g} "
            "(the paragraphs form no clear groups; a map would show noise as groups)"
        )
    figure = plots.plot_cluster_spread(
        output.tables["cluster_spread"], top_terms, titles, map_space, map_method, style=style
    )
    output.add_figure("cluster_spread", figure, style)
