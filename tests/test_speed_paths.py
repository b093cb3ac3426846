"""The fast paths give exactly the slow paths' results.

* the rjieba backend segments like jieba with the same user dictionary, on
  the bundled speeches (tests/test_tokenize.py) and on seeded samples of the
  bench corpora (here);
* remembering each word's filter verdict changes no token;
* ordered parallel batches give the sequential tokens, in order;
* small inputs never start worker processes; ``auto`` falls back to jieba.
"""

from __future__ import annotations

import pickle
import random

import pytest
from conftest import bench_path
from streams import iter_lines, iter_tsv_column

import speechtopics.text.tokenize as tokenize_module
from speechtopics.config import PROJECT_ROOT
from speechtopics.config.sections import TokenizeSettings
from speechtopics.text.tokenize import Tokenizer

LEXICON = PROJECT_ROOT / "data" / "lexicon"
SAMPLE_SEED = 20240601


@pytest.fixture(scope="module")
def fast() -> Tokenizer:
    return Tokenizer.from_lexicon(LEXICON, backend="rjieba")


@pytest.fixture(scope="module")
def slow() -> Tokenizer:
    return Tokenizer.from_lexicon(LEXICON, backend="jieba")


def _bench_sample(name: str, size: int) -> list[str]:
    """A seeded sample of ``size`` texts of a bench corpus (skipped when the corpus is absent)."""
    if name == "xi-jhsjk-paragraphs":
        texts = list(iter_lines(bench_path(name, "paragraphs.txt")))
    else:
        texts = list(iter_tsv_column(bench_path(name, "data.tsv"), "text"))
    return random.Random(SAMPLE_SEED).sample(texts, size)


def _reference_tokens(tokenizer: Tokenizer, text: str) -> list[str]:
    """Tokens by the plain rule: strip every segmented word, keep those the filters accept."""
    if tokenizer.settings.keep_pos:
        prefixes = tokenizer.settings.keep_pos
        return [
            word.strip()
            for word, pos in tokenizer.tag(text)
            if pos.startswith(prefixes) and tokenizer.keep_token(word.strip())
        ]
    return [word.strip() for word in tokenizer.segment(text) if tokenizer.keep_token(word.strip())]


def _paragraphs(corpus) -> list[str]:
    return [unit.text for unit in corpus.units]


# --------------------------------------------------------------------------- rjieba = jieba


@pytest.mark.bench
@pytest.mark.parametrize(
    ("name", "size"), [("xi-jhsjk-paragraphs", 400), ("online-shopping-10cats", 1500)]
)
def test_fast_backend_segments_exactly_like_jieba_on_bench_sample(fast, slow, name, size):
    sample = _bench_sample(name, size)
    differing = [text for text in sample if fast.segment(text) != slow.segment(text)]
    assert differing == []
    assert [fast(text) for text in sample] == [slow(text) for text in sample]


# Where raw jieba-rs differs from jieba, with jieba's words (the fast backend must give them too).
JIEBA_SEGMENTATION = [
    # user words already in the dictionary raise jieba's total more than jieba-rs's
    ("是在第一次启动时决定是否安装", ["是", "在", "第一次", "启动时", "决定", "是否", "安装"]),
    # letters and digits joined by - . _ are split by jieba
    ("一般2-3天就到了", ["一般", "2", "-", "3", "天", "就", "到", "了"]),
    ("登录ctrip.com预订", ["登录", "ctrip", ".", "com", "预订"]),
    ("厚度23.5mm", ["厚度", "23.5", "mm"]),
    ("支持Wi-Fi和TF_SD卡", ["支持", "Wi", "-", "Fi", "和", "TF", "_", "SD", "卡"]),
    # equally likely routes through a repeated character
    ("好好好好好很不错", ["好好", "好", "好好", "很", "不错"]),
    ("赞赞赞赞赞赞赞", ["赞赞", "赞赞", "赞赞赞"]),
]


@pytest.mark.parametrize(
    ("text", "expected"), JIEBA_SEGMENTATION, ids=[row[0] for row in JIEBA_SEGMENTATION]
)
def test_fast_backend_matches_jieba_where_jieba_rs_differs(fast, slow, text, expected):
    assert slow.segment(text) == expected
    assert fast.segment(text) == expected


@pytest.mark.parametrize(
    ("text", "_"), JIEBA_SEGMENTATION, ids=[row[0] for row in JIEBA_SEGMENTATION]
)
def test_fast_backend_matches_jieba_without_hmm(text, _):
    settings = TokenizeSettings(hmm=False)
    fast = Tokenizer.from_lexicon(LEXICON, settings=settings, backend="rjieba")
    slow = Tokenizer.from_lexicon(LEXICON, settings=settings, backend="jieba")
    assert fast.segment(text) == slow.segment(text)


def test_a_user_word_repeating_a_long_unit_widens_the_tie_check(tmp_path):
    lexicon = tmp_path / "lexicon"
    lexicon.mkdir()
    # a five-character unit and the word saying it twice: routes through five repeats tie
    (lexicon / "userdict.txt").write_text(
        "平安和谐村 50 n\n平安和谐村平安和谐村 40 n\n", encoding="utf-8"
    )
    fast = Tokenizer.from_lexicon(lexicon, backend="rjieba")
    slow = Tokenizer.from_lexicon(lexicon, backend="jieba")
    text = "建设" + "平安和谐村" * 5 + "社会"
    expected = ["建设", "平安和谐村平安和谐村", "平安和谐村平安和谐村", "平安和谐村", "社会"]
    assert slow.segment(text) == expected
    assert fast.segment(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们要当好参谋助手，做好“三服务”工作。", ["当好", "参谋助手", "三服务"]),
        ("全市党政机关办公厅(室)主任会议", ["党政机关", "办公室主任"]),
    ],
)
def test_both_backends_give_the_same_tokens(fast, slow, text, expected):
    assert fast(text) == expected
    assert slow(text) == expected


@pytest.mark.slow
@pytest.mark.bench
def test_fast_backend_segments_like_jieba_on_every_bench_text(fast, slow):
    texts = list(iter_lines(bench_path("xi-jhsjk-paragraphs", "paragraphs.txt")))
    texts += list(iter_tsv_column(bench_path("online-shopping-10cats", "data.tsv"), "text"))
    texts += list(iter_tsv_column(bench_path("thucnews-titles", "data.tsv"), "text"))
    assert len(texts) == 7082 + 62774 + 20000
    differing = [text for text in texts if fast.segment(text) != slow.segment(text)]
    assert differing == []


def test_pos_tags_are_jiebas_on_both_backends(corpus):
    settings = TokenizeSettings(keep_pos=("n", "v"))
    fast = Tokenizer.from_lexicon(LEXICON, settings=settings, backend="rjieba")
    another_fast = Tokenizer.from_lexicon(LEXICON, settings=settings, backend="rjieba")
    slow = Tokenizer.from_lexicon(LEXICON, settings=settings, backend="jieba")
    lines = corpus.speech("004").text.split("\n")
    for line in lines:
        assert fast.tag(line) == slow.tag(line) == another_fast.tag(line)
        assert fast(line) == slow(line)
    # user words keep their tag from the user dictionary in every tokenizer
    assert ("办公室主任", "n") in fast.tag(lines[0]) and ("办公室主任", "n") in another_fast.tag(
        lines[0]
    )


# --------------------------------------------------------------------------- remembered verdicts


@pytest.mark.parametrize("doc_id", ["000", "001", "002", "003", "004"])
def test_remembered_verdicts_change_no_token(corpus, doc_id):
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    lines = corpus.speech(doc_id).text.split("\n")
    first = [tokenizer(line) for line in lines]
    assert len(tokenizer._verdicts) > 100  # words were remembered
    second = [tokenizer(line) for line in lines]
    assert first == second == [_reference_tokens(tokenizer, line) for line in lines]


def test_remembered_verdicts_with_the_pos_filter(corpus):
    nouns = Tokenizer.from_lexicon(LEXICON, settings=TokenizeSettings(keep_pos=("n",)))
    lines = corpus.speech("001").text.split("\n")
    assert [nouns(line) for line in lines] == [_reference_tokens(nouns, line) for line in lines]
    assert "办公室" in {token for line in lines for token in nouns(line)}


def test_verdict_memory_is_bounded(corpus, monkeypatch):
    monkeypatch.setattr(tokenize_module, "MAX_REMEMBERED_WORDS", 25)
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    lines = corpus.speech("003").text.split("\n")
    tokens = [tokenizer(line) for line in lines]
    assert len(tokenizer._verdicts) <= 25
    assert tokens == [_reference_tokens(tokenizer, line) for line in lines]


def test_tokenizer_pickles_without_segmenter_or_remembered_words(fast, corpus):
    lines = _paragraphs(corpus)[:20]
    expected = [fast(line) for line in lines]
    copy = pickle.loads(pickle.dumps(fast))
    assert copy._segmenter is None
    assert len(copy._verdicts) == 0
    assert copy.cache_key == fast.cache_key
    assert [copy(line) for line in lines] == expected


# --------------------------------------------------------------------------- parallel batches


def test_parallel_batches_give_the_sequential_tokens_in_order(corpus):
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    texts = _paragraphs(corpus)
    expected = [_reference_tokens(tokenizer, text) for text in texts]
    # about 2,000 characters a batch: a dozen batches over two workers
    streamed = list(tokenizer.tokenize_iter(iter(texts), n_jobs=2, batch_chars=2000))
    assert streamed == expected
    assert tokenizer.tokenize_many(texts, n_jobs=2) == expected


@pytest.mark.bench
def test_parallel_batches_on_a_bench_sample():
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    sample = _bench_sample("online-shopping-10cats", 3000)
    expected = [tokenizer(text) for text in sample]
    assert list(tokenizer.tokenize_iter(sample, n_jobs=2, batch_chars=20_000)) == expected


class _ParallelSpy:
    """Stands in for ``joblib.Parallel``: records that workers were asked for, runs in-process."""

    calls: list[int] = []

    def __init__(self, n_jobs, **kwargs):
        _ParallelSpy.calls.append(n_jobs)

    def __call__(self, tasks):
        for function, args, kwargs in tasks:
            yield function(*args, **kwargs)


def test_small_inputs_stay_in_process_large_ones_use_workers(corpus, monkeypatch):
    import joblib

    monkeypatch.setattr(joblib, "Parallel", _ParallelSpy)
    _ParallelSpy.calls = []
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    texts = _paragraphs(corpus)
    expected = [tokenizer(text) for text in texts]
    assert sum(map(len, texts)) < tokenize_module.PARALLEL_MIN_CHARS
    assert tokenizer.tokenize_many(texts) == expected
    assert _ParallelSpy.calls == []
    monkeypatch.setattr(tokenize_module, "PARALLEL_MIN_CHARS", 1000)
    monkeypatch.setattr(tokenize_module, "available_cores", lambda: 2)
    assert tokenizer.tokenize_many(texts) == expected
    assert _ParallelSpy.calls == []  # two cores: workers do not pay
    monkeypatch.setattr(tokenize_module, "available_cores", lambda: 4)
    assert tokenizer.tokenize_many(texts) == expected
    assert _ParallelSpy.calls == [4]
    assert tokenizer.tokenize_many(texts, n_jobs=1) == expected
    assert tokenizer.tokenize_many(texts, n_jobs=2) == expected
    assert _ParallelSpy.calls == [4, 2]


# --------------------------------------------------------------------------- fallback


def test_auto_backend_falls_back_to_jieba_when_rjieba_is_missing(monkeypatch, fast):
    monkeypatch.setattr(tokenize_module, "_rjieba_available", lambda: False)
    fallback = Tokenizer.from_lexicon(LEXICON)
    assert fallback.backend == "jieba"
    assert fallback.cache_key != fast.cache_key
    text = "发挥办公室参谋助手作用，加强督促检查，确保政令畅通"
    assert fallback(text) == fast(text) == ["办公室", "参谋助手", "督促检查", "政令畅通"]
