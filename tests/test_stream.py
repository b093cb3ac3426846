"""Streaming corpora: texts read lazily, token files, dictionaries and bags of words.

A streamed corpus must give exactly what the in-memory path gives: the same
tokens per unit, the same dictionary, the same LDA model for the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_path
from streams import (
    BowStream,
    TokenFile,
    iter_lines,
    iter_tsv_column,
    resample_texts,
    write_token_file,
    write_tsv_texts,
)

from speechtopics.analysis.vectors import build_dictionary


@pytest.fixture(scope="module")
def paragraphs(corpus) -> list[str]:
    """Body paragraphs of the five bundled speeches (paragraph grain)."""
    return [unit.text for unit in corpus.units if unit.role != "title"]


@pytest.fixture(scope="module")
def token_file(tmp_path_factory, corpus, paragraphs) -> TokenFile:
    path = tmp_path_factory.mktemp("stream") / "tokens.txt"
    return write_token_file(iter(paragraphs), corpus.tokenizer, path)


# --------------------------------------------------------------------------- reading texts


def test_tsv_round_trip_keeps_order_and_flattens_tabs_and_newlines(tmp_path):
    texts = ["第一条\t评论", "第二条\n评论", "", "“引号”不是字段的引号"]
    path = tmp_path / "texts.tsv"
    assert write_tsv_texts(texts, path) == 4
    assert list(iter_tsv_column(path, "text")) == [
        "第一条 评论",
        "第二条 评论",
        "",
        "“引号”不是字段的引号",
    ]
    with pytest.raises(KeyError, match="no column 'review'"):
        next(iter_tsv_column(path, "review"))


@pytest.mark.bench
def test_reads_every_review_of_the_shopping_corpus():
    reviews = iter_tsv_column(bench_path("online-shopping-10cats", "data.tsv"), "text")
    first = next(reviews)
    assert first.startswith("做父母一定要有刘墉这样的心态")
    assert 1 + sum(1 for _ in reviews) == 62774


@pytest.mark.bench
def test_reads_every_paragraph_of_the_xi_corpus():
    lines = list(iter_lines(bench_path("xi-jhsjk-paragraphs", "paragraphs.txt")))
    assert len(lines) == 7082
    assert sum(map(len, lines)) == 1027211  # characters without the line ends
    assert lines[1] == "二、关于文件稿起草过程"


# --------------------------------------------------------------------------- resampling


def test_resampling_is_seeded_sized_and_drawn_from_the_source(paragraphs):
    first = list(resample_texts(paragraphs, 2, random_state=7))
    again = list(resample_texts(iter(paragraphs), 2, random_state=7))
    other = list(resample_texts(paragraphs, 2, random_state=8))
    assert len(first) == 2 * len(paragraphs)
    assert first == again
    assert first != other
    assert set(first) <= set(paragraphs)
    assert len(list(resample_texts(paragraphs, 0.5, random_state=7))) == round(
        0.5 * len(paragraphs)
    )
    assert list(resample_texts([], 8, random_state=7)) == []


# --------------------------------------------------------------------------- token files


def test_token_file_holds_the_tokens_of_every_unit_in_order(token_file, corpus, paragraphs):
    expected = [corpus.tokenizer(text) for text in paragraphs]
    assert len(token_file) == len(paragraphs)
    assert list(token_file) == expected
    assert list(token_file) == expected  # re-iterable, like a gensim corpus
    assert TokenFile(token_file.path).__len__() == len(paragraphs)  # counted when not given
    assert any("参谋助手" in tokens for tokens in token_file)


def test_parallel_token_file_is_byte_identical(tmp_path, corpus, paragraphs, token_file):
    parallel = write_token_file(
        paragraphs, corpus.tokenizer, tmp_path / "parallel.txt", n_jobs=2, batch_chars=2000
    )
    assert parallel.path.read_bytes() == token_file.path.read_bytes()


class _TokensWithASpace:
    def tokenize_iter(self, texts, n_jobs=1, batch_chars=0):
        for _ in texts:
            yield ["办公室", "参谋 助手"]


def test_a_token_holding_a_space_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unit 0"):
        write_token_file(["办公室参谋助手"], _TokensWithASpace(), tmp_path / "bad.txt")


# --------------------------------------------------------------------------- dictionary and bags of words


def test_streamed_dictionary_equals_the_in_memory_one(token_file):
    from gensim.corpora import Dictionary

    in_memory = Dictionary(list(token_file))
    streamed = build_dictionary(token_file, no_below=1, no_above=1.0)
    assert streamed.token2id == in_memory.token2id
    assert streamed.dfs == in_memory.dfs
    assert streamed.num_docs == len(token_file)


def test_dictionary_filters_rare_and_common_words(token_file):
    full = build_dictionary(token_file, no_below=1, no_above=1.0)
    filtered = build_dictionary(token_file, no_below=3, no_above=0.3)
    assert 0 < len(filtered) < len(full)
    n_units = len(token_file)
    for word_id, df in filtered.dfs.items():
        assert 3 <= df <= 0.3 * n_units, filtered[word_id]
    assert "参谋助手" in filtered.token2id


def test_bow_stream_is_re_iterable_and_counts_every_kept_token(token_file):
    dictionary = build_dictionary(token_file, no_below=1, no_above=1.0)
    bows = BowStream(token_file, dictionary)
    assert len(bows) == len(token_file)
    first = list(bows)
    assert first == list(bows)
    assert sum(count for bow in first for _, count in bow) == sum(
        len(tokens) for tokens in token_file
    )


def test_lda_on_the_stream_equals_lda_in_memory(token_file):
    from gensim.models import LdaModel

    dictionary = build_dictionary(token_file, no_below=2)
    streamed = BowStream(token_file, dictionary)
    in_memory = list(streamed)
    settings = {
        "id2word": dictionary,
        "num_topics": 3,
        "passes": 2,
        "chunksize": 40,
        "random_state": 11,
    }
    model_streamed = LdaModel(corpus=streamed, **settings)
    model_in_memory = LdaModel(corpus=in_memory, **settings)
    np.testing.assert_array_equal(model_streamed.get_topics(), model_in_memory.get_topics())
