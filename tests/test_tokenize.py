"""Tokenization: domain terms whole, filters, backends and the token cache."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from speechtopics.config import PROJECT_ROOT
from speechtopics.config.sections import TokenizeSettings
from speechtopics.corpus.load import load
from speechtopics.text.tokenize import Tokenizer

LEXICON = PROJECT_ROOT / "data" / "lexicon"

# domain term, a sentence of the bundled speeches where it must come out whole
DOMAIN_TERMS = [
    ("三服务", "不断提升“三服务”工作科学化水平"),
    ("参谋助手", "发挥办公室参谋助手作用"),
    ("办文办会", "一天到晚忙的就是办文办会、综合协调、接访处访等扯皮烦心的事"),
    ("综合协调", "四是要有综合协调能力"),
    ("督促检查", "加强督促检查，确保政令畅通"),
    ("队伍建设", "二是要始终加强班子队伍建设"),
    ("作风建设", "四是要加强作风建设，培养良好的思想作风和工作作风"),
    ("以文辅政", "坚持以文辅政"),
    ("上情下达", "做到上情下达、下情上传"),
    ("首问责任制", "落实首问责任制"),
    ("八项规定", "严格落实中央八项规定精神"),
    ("三严三实", "带头贯彻落实“三严三实”"),
    ("政令畅通", "确保政令畅通"),
    ("后勤保障", "更好地发挥后勤保障作用"),
    ("运转枢纽", "发挥着运转枢纽、参谋助手、联系基层和群众的窗口作用"),
    ("为决策服务", "全面提高为决策服务、为机关服务、为基层和群众服务的水平"),
]


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer.from_lexicon(LEXICON)


@pytest.mark.parametrize(("term", "sentence"), DOMAIN_TERMS, ids=[row[0] for row in DOMAIN_TERMS])
def test_domain_term_stays_whole(tokenizer, term, sentence):
    assert term in tokenizer(sentence)


def test_domain_terms_whole_in_the_speeches(corpus):
    all_tokens = {token for tokens in corpus.tokens.values() for token in tokens}
    for term, _ in DOMAIN_TERMS:
        if any(term in speech.text for speech in corpus.speeches):
            assert term in all_tokens, term


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        (
            "同志们，我们要进一步切实做好办公室工作。",
            ["同志们", "我们", "进一步", "切实", "，", "。"],
            ["办公室"],
        ),
        (
            "会议还表彰了2007年度办公室工作先进单位",
            ["2007", "了", "还"],
            ["表彰", "办公室", "单位"],
        ),
        ("一是创先争优意识比较强;二是机关办公秩序进一步规范", ["一是", "二是", ";"], ["机关"]),
        ("建设XXX强县的关键时期", ["XXX"], ["关键时期"]),
    ],
)
def test_filters(tokenizer, text, absent, present):
    tokens = tokenizer(text)
    for token in absent:
        assert token not in tokens
    for token in present:
        assert token in tokens
    assert all(len(token) >= 2 for token in tokens)


def test_pos_filter_keeps_only_requested_tags():
    nouns = Tokenizer.from_lexicon(LEXICON, settings=TokenizeSettings(keep_pos=("n",)))
    tokens = nouns("办公室要认真研究新情况、新问题，积极探索新特点")
    assert "办公室" in tokens
    assert "研究" not in tokens and "探索" not in tokens


def test_synonyms_map_variants_to_one_form(tokenizer):
    assert tokenizer("全市党政机关办公厅(室)主任会议") == ["党政机关", "办公室主任"]
    assert tokenizer("办公厅(室)系统的范围") == ["办公室", "系统", "范围"]
    off = Tokenizer.from_lexicon(LEXICON, settings=TokenizeSettings(use_synonyms=False))
    assert "办公厅" in off("全市党政机关办公厅(室)主任会议")


def test_owns_its_segmenter_and_leaves_global_jieba_alone(tokenizer):
    import jieba

    tokenizer("当好参谋助手")
    assert tokenizer.userdict_path.is_absolute()
    assert tokenizer.segmenter is not jieba.dt
    assert not jieba.dt.initialized or "参谋助手" not in jieba.dt.FREQ


@pytest.mark.parametrize("doc_id", ["000", "001", "002", "003", "004"])
def test_fast_backend_segments_exactly_like_jieba(corpus, doc_id):
    slow = Tokenizer.from_lexicon(LEXICON, backend="jieba")
    fast = Tokenizer.from_lexicon(LEXICON, backend="rjieba")
    for line in corpus.speech(doc_id).text.split("\n"):
        assert fast.segment(line) == slow.segment(line)


def test_works_as_scikit_learn_analyzer(tokenizer, corpus):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=tokenizer)
    vectorizer.fit([speech.text for speech in corpus.speeches])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert {"参谋助手", "三服务", "综合协调"} <= vocabulary
    assert "同志们" not in vocabulary


def test_cache_hit_and_invalidation(tmp_path, paths, params):
    lexicon = tmp_path / "lexicon"
    shutil.copytree(LEXICON, lexicon)
    local = replace(paths, lexicon=lexicon, interim=tmp_path / "interim")
    tokens = ("speeches_tokenized", "speeches_from_cache")

    def token_stats(corpus) -> dict[str, int]:
        return {name: corpus.stats[name] for name in tokens}

    first = load(local, params)
    assert token_stats(first) == {"speeches_tokenized": 5, "speeches_from_cache": 0}
    second = load(local, params)
    assert token_stats(second) == {"speeches_tokenized": 0, "speeches_from_cache": 5}
    # Files already read and cleaned are not read again either.
    assert (first.stats["files_read"], second.stats["files_from_cache"]) == (5, 5)
    assert second.tokens == first.tokens
    # Editing the user dictionary invalidates every speech's tokens.
    with (lexicon / "userdict.txt").open("a", encoding="utf-8") as handle:
        handle.write("抗冰救灾 5000 n\n")
    third = load(local, params)
    assert token_stats(third) == {"speeches_tokenized": 5, "speeches_from_cache": 0}
    assert "抗冰救灾" in {t for tokens in third.tokens.values() for t in tokens}
    # Adding one speech tokenizes only that speech.
    raw = tmp_path / "raw"
    shutil.copytree(paths.raw, raw)
    shutil.copy(raw / "004_9e5568bb09b9a10f.txt", raw / "copy_of_004_with_note.txt")
    with (raw / "copy_of_004_with_note.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n附记：本文为会议记录稿。\n")
    local_raw = replace(local, raw=raw)
    fourth = load(local_raw, params)
    assert token_stats(fourth) == {"speeches_tokenized": 1, "speeches_from_cache": 5}


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_lone_surrogates_do_not_break_tokenizing(backend):
    # A shell argument with bytes that are not UTF-8 arrives as lone surrogates.
    tokenizer = Tokenizer.from_lexicon(LEXICON, backend=backend)
    assert tokenizer("办\udcb0公室要当好参谋助手") == ["公室", "当好", "参谋助手"]
