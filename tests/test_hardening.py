"""Messy folders of speeches: every bad input is built in a temporary corpus.

Each case says what the loader must do with the file: load it (and how it
was read), skip it with a reason the user can act on, or load it and warn.
Cases already pinned in test_corpus.py (the common encodings, empty and
binary files, exact duplicates, the basic metadata problems) are not
repeated here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tracemalloc
from pathlib import Path

import opencc
import pytest
from conftest import bench_path

from speechtopics.cli import main
from speechtopics.config import PROJECT_ROOT
from speechtopics.corpus.decode import decode_bytes
from speechtopics.corpus.dedupe import find_near_duplicates, shingle_containment, shingles
from speechtopics.corpus.files import load_corpus
from speechtopics.corpus.metadata import read_metadata
from speechtopics.corpus.naming import safe_doc_id
from speechtopics.corpus.readers import MAX_FILE_BYTES
from speechtopics.text.clean import clean_text, default_rules
from speechtopics.text.lexicon import (
    LexiconError,
    load_stopwords,
    load_synonyms,
    load_themes,
    load_userdict,
    load_word_list,
)

RAW = PROJECT_ROOT / "data" / "raw"
LEXICON = PROJECT_ROOT / "data" / "lexicon"
RULES = default_rules(["老秘网"])


def cleaner(text: str):
    return clean_text(text, RULES)


def speech_text(prefix: str) -> str:
    (path,) = RAW.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def speech_lines(prefix: str) -> list[str]:
    return [line for line in speech_text(prefix).split("\n") if line.strip()]


def load_one(tmp_path: Path, name: str, data: bytes):
    """Load a folder holding one file; returns (speeches, report)."""
    (tmp_path / name).write_bytes(data)
    return load_corpus(tmp_path, None, cleaner)


def warnings_of(report, file: str) -> str:
    return " | ".join(w["message"] for w in report.warnings if w["file"] == file)


def reason_of(report, file: str) -> str:
    reasons = {row["file"]: row["reason"] for row in report.skipped}
    assert file in reasons, f"{file} was not skipped: {report.to_json_dict()}"
    return reasons[file]


# --------------------------------------------------------------------------- encodings

S2T = opencc.OpenCC("s2t")
LINES_004 = speech_lines("004")
TEXT_004 = "\n".join(LINES_004)


def _mixed(first: str, second: str, at: int) -> bytes:
    """The 004 speech in ``first`` with line ``at`` (0-based) in ``second``."""
    parts = [line.encode(first) for line in LINES_004]
    line = S2T.convert(LINES_004[at]) if second == "big5" else LINES_004[at]
    parts[at] = line.encode(second, errors="ignore")
    return b"\n".join(parts)


# file name, bytes, expected encoding, text the loaded speech must end with, warning fragment ("" = none)
DECODED = [
    (
        "utf32le.txt",
        b"\xff\xfe\x00\x00" + TEXT_004.encode("utf-32-le"),
        "utf-32-le",
        "称职的办公室主任。",
        "",
    ),
    (
        "utf32be.txt",
        b"\x00\x00\xfe\xff" + TEXT_004.encode("utf-32-be"),
        "utf-32-be",
        "称职的办公室主任。",
        "",
    ),
    ("utf16le_no_bom.txt", TEXT_004.encode("utf-16-le"), "utf-16-le", "称职的办公室主任。", ""),
    # Half-downloaded files cut inside their last character lose only that character.
    (
        "cut_utf8.txt",
        TEXT_004.encode("utf-8")[:-1],
        "utf-8",
        "称职的办公室主任",
        "ends in the middle of a character",
    ),
    (
        "cut_gbk.txt",
        TEXT_004.encode("gbk")[:-1],
        "gb18030",
        "称职的办公室主任",
        "last 1 byte(s) were left out",
    ),
    (
        "cut_utf16.txt",
        b"\xff\xfe" + TEXT_004.encode("utf-16-le")[:-1],
        "utf-16-le",
        "称职的办公室主任",
        "ends in the middle",
    ),
    # Traditional characters saved as GBK (not Big5): read as GB18030, converted and flagged.
    (
        "traditional_gbk.txt",
        S2T.convert(TEXT_004).encode("gbk"),
        "gb18030",
        "称职的办公室主任。",
        "traditional characters converted",
    ),
    (
        "traditional_utf8.txt",
        S2T.convert(TEXT_004).encode("utf-8"),
        "utf-8",
        "称职的办公室主任。",
        "traditional characters converted",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "encoding", "ending", "warning"), DECODED, ids=[row[0] for row in DECODED]
)
def test_more_encodings_decoded_and_recorded(tmp_path, name, data, encoding, ending, warning):
    speeches, report = load_one(tmp_path, name, data)
    assert [s.encoding for s in speeches] == [encoding]
    assert speeches[0].text.endswith(ending)
    assert speeches[0].text.startswith("全区办公室主任会议上的讲话\n同志们，今天召开这个会议")
    if warning:
        assert warning in warnings_of(report, name)
    else:
        assert warnings_of(report, name) == ""


# file name, bytes, words the skip reason must contain
MIXED = [
    ("utf8_with_a_gbk_line.txt", _mixed("utf-8", "gbk", 10), "the text is UTF-8 except line 11"),
    (
        "gbk_with_a_utf8_line.txt",
        _mixed("gbk", "utf-8", 4),
        "the text is GB18030/GBK except line 5",
    ),
    ("gbk_with_a_big5_line.txt", _mixed("gbk", "big5", 7), "except line 8"),
    (
        "utf8_then_gbk.txt",
        "\n".join(LINES_004[:12]).encode() + b"\n" + "\n".join(LINES_004[12:]).encode("gbk"),
        "UTF-8 except lines 13, 14",
    ),
    ("bom_then_gbk.txt", b"\xef\xbb\xbf" + _mixed("utf-8", "gbk", 2), "line 3 does not decode"),
    (
        "shift_jis.txt",
        "事務所の仕事は大切です。会議を開きます。".encode("shift_jis") * 20,
        "could not be decoded reliably",
    ),
]


@pytest.mark.parametrize(("name", "data", "words"), MIXED, ids=[row[0] for row in MIXED])
def test_mixed_encodings_skipped_naming_the_lines(tmp_path, name, data, words):
    speeches, report = load_one(tmp_path, name, data)
    assert speeches == []
    reason = reason_of(report, name)
    assert words in reason
    assert "UTF-8" in reason  # the fix: re-save as UTF-8


def test_decoder_never_garbles_bench_speeches_in_gbk_and_big5():
    """51 real speeches re-encoded as GBK (simplified) and Big5 (traditional): no false alarm."""
    docs = bench_path("xi-speeches-2020", "docs")
    for path in sorted(docs.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert decode_bytes(text.encode("gb18030"), path.name).text == text
        traditional = S2T.convert(text)
        decoded = decode_bytes(traditional.encode("big5", errors="ignore"), path.name)
        assert decoded.encoding == "big5"
        assert decoded.text == traditional.encode("big5", errors="ignore").decode("big5")


# --------------------------------------------------------------------------- HTML and Word

PAGE_004 = (
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
    "<title>讲话</title></head><body><div class='article'>"
    + "".join(f"<p>{line}</p>" for line in LINES_004[:6])
    + "</div></body></html>"
)

# file name, bytes, expected text (first lines) or None when skipped, reason/warning fragment
HTML_CASES = [
    # A page re-saved as UTF-8 that still declares gb2312: read as UTF-8.
    ("resaved.html", PAGE_004.encode("utf-8"), LINES_004[:6], "utf-8"),
    ("declared_right.htm", PAGE_004.encode("gbk"), LINES_004[:6], "gb18030"),
    (
        "bom.html",
        b"\xef\xbb\xbf" + PAGE_004.replace("gb2312", "utf-8").encode("utf-8"),
        LINES_004[:6],
        "utf-8-sig",
    ),
    (
        "no_charset.html",
        PAGE_004.replace("charset=gb2312", "").encode("gbk"),
        LINES_004[:6],
        "gb18030",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "lines", "encoding"), HTML_CASES, ids=[row[0] for row in HTML_CASES]
)
def test_html_encodings(tmp_path, name, data, lines, encoding):
    speeches, _ = load_one(tmp_path, name, data)
    assert speeches[0].format == "html" and speeches[0].encoding == encoding
    assert speeches[0].text == cleaner("\n".join(lines)).text


EMPTY_PAGES = [
    (
        "scripts_only.html",
        "<html><head><title>全区办公室主任会议上的讲话</title><script>var a='导航';</script></head><body><script>document.write('加载中')</script></body></html>",
    ),
    (
        "menus_only.htm",
        "<html><body><nav>首页 | 新闻 | 联系我们</nav><footer>版权所有</footer></body></html>",
    ),
    ("no_body.html", "<html><head><meta charset='utf-8'><style>p{}</style></head></html>"),
]


@pytest.mark.parametrize(("name", "page"), EMPTY_PAGES, ids=[row[0] for row in EMPTY_PAGES])
def test_html_without_body_text_is_reported_not_loaded(tmp_path, name, page):
    speeches, report = load_one(tmp_path, name, page.encode("utf-8"))
    assert speeches == []
    reason = reason_of(report, name)
    assert "no text after cleaning" in reason and "no body text" in reason


def _docx_bytes(paragraphs: list[str]) -> bytes:
    from docx import Document

    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCX_004 = _docx_bytes(LINES_004[:5])

# file name, bytes, reason fragment
BAD_DOCX = [
    ("truncated.docx", DOCX_004[: len(DOCX_004) // 2], "broken or truncated zip"),
    (
        "old_word.docx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "old Microsoft Office document",
    ),
    ("really_text.docx", TEXT_004.encode("utf-8"), "rename it to .txt"),
    ("pdf.docx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
    ("empty_document.docx", _docx_bytes([]), "no text after cleaning"),
    ("~$lock_file.docx", b"\x0bsomeone" + b"\x00" * 150, "not a .docx"),
]


@pytest.mark.parametrize(("name", "data", "words"), BAD_DOCX, ids=[row[0] for row in BAD_DOCX])
def test_bad_word_files_reported(tmp_path, name, data, words):
    (tmp_path / "good.docx").write_bytes(DOCX_004)
    (tmp_path / name).write_bytes(data)
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.file for s in speeches] == ["good.docx"]
    assert words in reason_of(report, name)


def test_docx_that_unpacks_too_large_is_refused_before_parsing(tmp_path, monkeypatch):
    import speechtopics.corpus.docx as corpus_module

    monkeypatch.setattr(corpus_module, "MAX_DOCX_UNPACKED_BYTES", 10_000)
    speeches, report = load_one(tmp_path, "bomb.docx", DOCX_004)
    assert speeches == []
    assert "more than the 0 MiB a speech may take (not read)" in reason_of(report, "bomb.docx")


# --------------------------------------------------------------------------- a very large file


def test_50_mb_file_refused_without_being_read(tmp_path, monkeypatch):
    big = tmp_path / "archive_dump.txt"
    line = ("办公室工作无小事，要当好参谋助手。" * 20 + "\n").encode("utf-8")
    with big.open("wb") as handle:
        for _ in range(50 * 2**20 // len(line) + 1):
            handle.write(line)
    assert big.stat().st_size > 50 * 2**20 > MAX_FILE_BYTES
    # Same size, other formats: sparse files (only the size is ever looked at).
    for name in ("huge.html", "huge.docx"):
        with (tmp_path / name).open("wb") as handle:
            handle.truncate(50 * 2**20)
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "good.txt")

    opened: list[str] = []
    original_open = Path.open

    def recording_open(self, *args, **kwargs):
        opened.append(self.name)
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", recording_open)
    tracemalloc.start()
    try:
        speeches, report = load_corpus(tmp_path, None, cleaner)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [s.file for s in speeches] == ["good.txt"]
    for name in ("archive_dump.txt", "huge.html", "huge.docx"):
        reason = reason_of(report, name)
        assert "larger than the 20 MiB a single speech may be (the file was not read)" in reason
        assert "split it into one file per speech" in reason
        assert name not in opened
    assert peak < 10 * 2**20, f"loading peaked at {peak / 2**20:.1f} MiB"


def test_50_mb_file_through_the_command_line(tmp_path, capsys):
    with (tmp_path / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 2**20)
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "good.txt")
    out = tmp_path.parent / f"{tmp_path.name}-out"  # never inside the folder of speeches
    assert main(["ingest", "--raw", str(tmp_path), "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["file"] for row in data["skipped"]] == ["huge.txt"]
    assert "52 MB is larger than the 20 MiB" in data["skipped"][0]["reason"]


# --------------------------------------------------------------------------- near-duplicates

WEB_HEADER = "来源：某某县人民政府网  发布时间：2015-06-12  浏览次数：1024\n【字体：大 中 小】"
WEB_FOOTER = "责任编辑：王某某\n【打印本页】【关闭窗口】\n上一篇：关于做好防汛工作的通知  下一篇：全县农业工作会议召开"


def test_same_speech_from_two_sites_is_flagged_with_its_twin(tmp_path):
    text = speech_text("004")
    (tmp_path / "a_from_site_one.txt").write_text(text, encoding="utf-8")
    # The same speech with a site header and footer, other line breaks, saved as GBK.
    relined = text.replace("。", "。\n")
    (tmp_path / "b_from_site_two.txt").write_bytes(
        f"{WEB_HEADER}\n{relined}\n{WEB_FOOTER}".encode("gbk")
    )
    # An excerpt (the first half) of it, as a third copy.
    (tmp_path / "c_excerpt.txt").write_text(text[: len(text) // 2], encoding="utf-8")
    shutil.copy(next(RAW.glob("000_*.txt")), tmp_path / "d_other_speech.txt")
    speeches, report = load_corpus(tmp_path, None, cleaner)
    # Near-duplicates are all loaded, not merged ...
    assert [s.file for s in speeches] == [
        "a_from_site_one.txt",
        "b_from_site_two.txt",
        "c_excerpt.txt",
        "d_other_speech.txt",
    ]
    assert report.duplicates == []
    # ... and each pair is flagged once, the later file with its earlier twin.
    pairs = [(p["file"], p["near_duplicate_of"]) for p in report.near_duplicates]
    assert pairs == [
        ("b_from_site_two.txt", "a_from_site_one.txt"),
        ("c_excerpt.txt", "a_from_site_one.txt"),
        ("c_excerpt.txt", "b_from_site_two.txt"),
    ]
    assert all(p["containment"] >= 0.9 for p in report.near_duplicates)
    assert "near-duplicate of a_from_site_one.txt" in warnings_of(report, "b_from_site_two.txt")
    assert "d_other_speech.txt" not in json.dumps(report.near_duplicates)
    # The site header is not taken for the title.
    assert speeches[1].title == "全区办公室主任会议上的讲话"
    # The JSON report keeps its keys and adds the new lists at the end.
    assert list(report.to_json_dict()) == [
        "loaded",
        "skipped",
        "duplicates",
        "warnings",
        "near_duplicates",
        "ignored",
    ]


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("004", "004", 1.0, 1.0),
        ("000", "004", 0.0, 0.2),  # two speeches on the same subject share little
        ("002", "003", 0.0, 0.2),
    ],
)
def test_shingle_containment_of_the_speeches(first, second, low, high):
    value = shingle_containment(shingles(speech_text(first)), shingles(speech_text(second)))
    assert low <= value <= high


def test_near_duplicates_of_the_bench_corpus_match_its_labels():
    """The 7 pairs marked in the bench metadata (same speech from two agencies) and no other."""
    folder = bench_path("xi-speeches-2020")
    speeches, report = load_corpus(folder, folder / "metadata.csv", cleaner)
    rows = list(csv.DictReader((folder / "metadata.csv").open(encoding="utf-8")))
    file_of = {row["doc_id"]: row["file"] for row in rows}
    expected = {
        (row["file"], file_of[row["near_duplicate_of"]]) for row in rows if row["near_duplicate_of"]
    }
    found = {(pair["file"], pair["near_duplicate_of"]) for pair in report.near_duplicates}
    assert len(expected) == 7
    assert found == expected
    assert len(speeches) == 58


def test_near_duplicate_threshold():
    texts = [("a", "办公室工作无小事要当好参谋助手"), ("b", "办公室工作无小事要当好参谋助手同志们")]
    assert [p["file"] for p in find_near_duplicates(texts, 0.9)] == ["b"]
    assert find_near_duplicates(texts[:1]) == []
    assert (
        find_near_duplicates([("a", "abc"), ("b", "abc")]) == []
    )  # no Chinese, nothing to compare


# --------------------------------------------------------------------------- file names


def test_file_names_with_spaces_chinese_and_two_extensions(tmp_path):
    shutil.copy(next(RAW.glob("003_*.txt")), tmp_path / "在全县办公室系统 培训会上的讲话.txt")
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "speech one.txt")
    (tmp_path / "speech one.docx").write_bytes(_docx_bytes(speech_lines("000")))
    shutil.copy(next(RAW.glob("001_*.txt")), tmp_path / "twin.txt")
    (tmp_path / "twin.html").write_text(
        "<html><body><div>"
        + "".join(f"<p>{line}</p>" for line in speech_lines("001"))
        + "</div></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "sub").mkdir()
    shutil.copy(next(RAW.glob("002_*.txt")), tmp_path / "sub" / "speech one.txt")
    (tmp_path / "metadata.csv").write_text(
        "doc_id,file,title,level,region,year,speaker,source,notes\n"
        ",在全县办公室系统 培训会上的讲话.txt,,县,,,,,\n"
        ",speech one.docx,,市,,2012,,,\n",
        encoding="utf-8",
    )
    speeches, report = load_corpus(tmp_path, tmp_path / "metadata.csv", cleaner)
    ids = {s.file: s.doc_id for s in speeches}
    assert ids == {
        "speech one.docx": "speech one",
        "speech one.txt": "speech one.txt",
        "sub/speech one.txt": "speech one_2",
        "twin.html": "twin",
        "在全县办公室系统 培训会上的讲话.txt": "在全县办公室系统 培训会上的讲话",
    }
    # The same speech as a web page and as text: loaded once.
    assert report.duplicates == [{"file": "twin.txt", "duplicate_of": "twin.html"}]
    levels = {s.file: s.meta["level"] for s in speeches}
    assert (
        levels["在全县办公室系统 培训会上的讲话.txt"] == "县" and levels["speech one.docx"] == "市"
    )
    assert "another speech already has this doc_id; using speech one.txt" in warnings_of(
        report, "speech one.txt"
    )
    assert not any("no such file" in w["message"] for w in report.warnings)


def test_file_name_that_is_not_utf8(tmp_path):
    gbk_name = "办公室讲话".encode("gbk") + b".txt"
    with open(os.fsencode(tmp_path) + b"/" + gbk_name, "wb") as handle:
        handle.write(speech_text("004").encode("utf-8"))
    (tmp_path / "metadata.csv").write_text(
        "doc_id,file,level\n,办公室讲话.txt,区\n", encoding="utf-8"
    )
    speeches, report = load_corpus(tmp_path, tmp_path / "metadata.csv", cleaner)
    (speech,) = speeches
    # Shown (and matched to its metadata row) under its GBK reading, with a warning.
    assert speech.file == "办公室讲话.txt" and speech.doc_id == "办公室讲话"
    assert speech.meta["level"] == "区"
    assert "the file name is not UTF-8 (read as GB18030" in warnings_of(report, "办公室讲话.txt")
    # Everything the pipeline writes from the report can be encoded.
    json.dumps(report.to_json_dict(), ensure_ascii=False).encode("utf-8")
    speech.doc_id.encode("utf-8")


@pytest.mark.parametrize(
    ("candidate", "safe"),
    [
        ("004", "004"),
        ("在 办公室 会议上", "在 办公室 会议上"),
        ("../../etc/passwd", "___.._etc_passwd"),
        ("a/b\\c", "a_b_c"),
        (".hidden", "_hidden"),
        ("..", "__"),
        ("tab\there", "tab_here"),
        ("", "speech"),
    ],
)
def test_safe_doc_id(candidate, safe):
    assert safe_doc_id(candidate) == safe


def test_doc_id_from_metadata_cannot_escape_the_output_folder(tmp_path):
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "a.txt")
    shutil.copy(next(RAW.glob("003_*.txt")), tmp_path / "b.txt")
    (tmp_path / "metadata.csv").write_text(
        "doc_id,file\n../../escaped,a.txt\n/etc/x,b.txt\n", encoding="utf-8"
    )
    speeches, report = load_corpus(tmp_path, tmp_path / "metadata.csv", cleaner)
    assert [s.doc_id for s in speeches] == ["___.._escaped", "_etc_x"]
    cleaned = tmp_path / "out" / "interim" / "cleaned"
    for speech in speeches:  # where the pipeline writes the cleaned text
        assert (cleaned / f"{speech.doc_id}.txt").resolve().parent == cleaned.resolve()
    assert (
        "doc_id '../../escaped' cannot be used as a file name; using '___.._escaped'"
        in warnings_of(report, "a.txt")
    )


def test_missing_raw_folder_is_reported(tmp_path):
    speeches, report = load_corpus(tmp_path / "nowhere", None, cleaner)
    assert speeches == []
    assert "does not exist" in warnings_of(report, str(tmp_path / "nowhere"))


# --------------------------------------------------------------------------- metadata.csv

HEADER = "doc_id,file,title,level,region,year,speaker,source,notes\n"

# metadata.csv bytes, fragments that must appear in the messages, level expected for a.txt
METADATA_CASES = [
    # Saved by Excel on Chinese Windows: GBK, with a Chinese title.
    ((HEADER + "x,a.txt,全区办公室主任会议上的讲话,区,常德,2015,,,\n").encode("gbk"), [], "区"),
    # Header with other case and spaces.
    (
        b"Doc_ID, File ,Title,LEVEL,region,year,speaker,source,notes\nx,a.txt,t,\xe5\x8e\xbf,,,,,\n",
        [],
        "县",
    ),
    ((HEADER + "x,a.txt,t,县,,,,,\n,,t2,市,,,,,\n").encode(), ["row 3: empty 'file' cell"], "县"),
    (
        (HEADER + "x,a.txt,t,县,,,,,,extra,cells\n").encode(),
        ["row 2: 11 cells but 9 columns"],
        "县",
    ),
    (
        (HEADER + "x,a.txt,t,县,,,,,\nx,b.txt,t,市,,,,,\n").encode(),
        ["row 3: doc_id 'x' is already used by row 2 (a.txt)"],
        "县",
    ),
    (
        (HEADER + "x,a.txt,t,县,,,,,\ny,a.txt,t2,市,,,,,\n").encode(),
        ["row 3: a second row for a.txt (first in row 2)"],
        "县",
    ),
    (
        (HEADER + "x,a.txt,t,县,,2015年,,,\n").encode(),
        ["row 2: year '2015年' is not a four-digit year"],
        "县",
    ),
    (
        (HEADER + "x,a.txt,t,县,,,,,\nz,gone.txt,t,市,,,,,\n").encode(),
        ["row 3: metadata row for gone.txt, but no such file"],
        "县",
    ),
    (
        (HEADER.replace("level", "level,level") + "x,a.txt,t,县,市,,,,,\n").encode(),
        ["row 1: column(s) level appear more than once"],
        "县",
    ),
    (
        (HEADER + 'x,a.txt,t,县,,,,,\ny,"b.txt,t,市,,,,,\n').encode(),
        ["no such file"],
        "县",
    ),  # unclosed quote
    (b"%PDF-1.4 binary \x00\x01\x02", ["metadata not used"], ""),
    (b"title,level\nt,\xe5\x8e\xbf\n", ["row 1: no 'file' column"], ""),
]


@pytest.mark.parametrize(("content", "messages", "level"), METADATA_CASES)
def test_metadata_problems_name_the_row_and_the_rest_is_used(tmp_path, content, messages, level):
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "a.txt")
    shutil.copy(next(RAW.glob("003_*.txt")), tmp_path / "b.txt")
    (tmp_path / "metadata.csv").write_bytes(content)
    speeches, report = load_corpus(tmp_path, tmp_path / "metadata.csv", cleaner)
    assert [s.file for s in speeches] == ["a.txt", "b.txt"]
    assert len({s.doc_id for s in speeches}) == 2
    text = " | ".join(w["message"] for w in report.warnings)
    for message in messages:
        assert message in text
    if not messages:
        assert text == ""
    assert speeches[0].meta["level"] == level


def test_project_metadata_reads_without_problems():
    path = PROJECT_ROOT / "data" / "metadata.csv"
    metadata = read_metadata(path)
    assert metadata.problems == []
    assert metadata.row_numbers["004_9e5568bb09b9a10f.txt"] == 6


# --------------------------------------------------------------------------- lexicon files


def _lexicon_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lexicon"
    shutil.copytree(LEXICON, target)
    return target


def _replace_line(path: Path, old: str, new: str) -> int:
    """Replace the first line equal to ``old``; returns its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index(old)
    lines[number] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


# lexicon file, line to replace, replacement, loader, message fragments (LINE = the line number)
LEXICON_CASES = [
    (
        "themes.toml",
        'label = "三服务"',
        'label = "三服务',
        load_themes,
        ["themes.toml, line LINE, column", "not valid TOML"],
    ),
    (
        "themes.toml",
        '["参谋助手"]',
        '["参谋助手"',
        load_themes,
        ["themes.toml, line LINE", "not valid TOML"],
    ),
    (
        "themes.toml",
        'label = "三服务"',
        "label = 3",
        load_themes,
        ["themes.toml, line LINE0", "label must be a quoted string"],
    ),
    (
        "userdict.txt",
        "参谋助手 20000 n",
        "参谋助手 2万 n",
        load_userdict,
        ["userdict.txt, line LINE", "'2万' is neither a frequency"],
    ),
    (
        "userdict.txt",
        "参谋助手 20000 n",
        "参谋助手 0 n",
        load_userdict,
        ["userdict.txt, line LINE", "positive whole number"],
    ),
    (
        "userdict.txt",
        "参谋助手 20000 n",
        "参谋助手 ²⁰ n",
        load_userdict,
        ["userdict.txt, line LINE", "neither a frequency"],
    ),
    (
        "userdict.txt",
        "参谋助手 20000 n",
        "参谋 助手 20000 n",
        load_userdict,
        ["userdict.txt, line LINE", "has 4 fields"],
    ),
    (
        "userdict.txt",
        "参谋助手 20000 n",
        "参谋助手 n 20000",
        load_userdict,
        ["userdict.txt, line LINE", "frequency must come before the tag"],
    ),
    (
        "synonyms.txt",
        "办公厅 办公室",
        "办公厅",
        load_synonyms,
        ["synonyms.txt, line LINE", "two fields"],
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "loader", "fragments"), LEXICON_CASES)
def test_malformed_lexicon_names_file_and_line(tmp_path, name, old, new, loader, fragments):
    lexicon = _lexicon_copy(tmp_path)
    number = _replace_line(lexicon / name, old, new)
    header_line = number - 1  # a theme's [header] is the line above its label
    with pytest.raises(LexiconError) as caught:
        loader(lexicon / name)
    message = str(caught.value)
    for fragment in fragments:
        assert (
            fragment.replace("LINE0", str(header_line)).replace("LINE", str(number)) in message
        ), message


def test_unclosed_bracket_at_the_end_of_themes(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('["三服务"]\nlabel = "三服务"\nterms = ["三服务",\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"themes.toml, line 3 \(end of file\): not valid TOML"):
        load_themes(path)


def test_theme_without_terms_names_its_header_line(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(
        '["三服务"]\nterms = ["三服务"]\n\n["参谋助手"]\nlabel = "参谋助手"\n', encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"themes.toml, line 4: theme \[参谋助手\] needs terms"):
        load_themes(path)


# file, encoding, loader, expected fragment
WRONG_ENCODINGS = [
    ("stopwords.txt", "gbk", load_word_list, "line 1: not UTF-8 text (it looks like GBK/GB18030)"),
    (
        "userdict.txt",
        "gb18030",
        load_userdict,
        "line 1: not UTF-8 text (it looks like GBK/GB18030)",
    ),
    ("userdict.txt", "utf-16", load_userdict, "not UTF-8 text (it looks like UTF-16)"),
    ("themes.toml", "gbk", load_themes, "line 1: not UTF-8 text (it looks like GBK/GB18030)"),
    ("noise.txt", "big5", load_word_list, "not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "encoding", "loader", "fragment"), WRONG_ENCODINGS)
def test_lexicon_in_the_wrong_encoding(tmp_path, name, encoding, loader, fragment):
    source = (LEXICON / name).read_text(encoding="utf-8")
    # Start with a Chinese line so the first bad byte is on line 1.
    text = ("三服务" if name != "themes.toml" else '["三服务"]') + "\n" + source
    (tmp_path / name).write_bytes(text.encode(encoding, errors="replace"))
    with pytest.raises(LexiconError) as caught:
        loader(tmp_path / name)
    assert str(tmp_path / name) in str(caught.value)
    assert fragment in str(caught.value)


def test_stopwords_with_a_bom_still_load(tmp_path):
    path = tmp_path / "stopwords.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "同志们\n大家\n".encode())
    assert {"同志们", "大家"} <= load_stopwords(path, include_packaged=False)
    assert "\ufeff同志们" not in load_stopwords(path, include_packaged=False)


def test_bad_lexicon_through_the_command_line(tmp_path, capsys):
    lexicon = _lexicon_copy(tmp_path)
    number = _replace_line(lexicon / "userdict.txt", "参谋助手 20000 n", "参谋助手 20000x n")
    params_file = tmp_path / "params.toml"
    params_file.write_text(f'[paths]\nlexicon = "{lexicon}"\n', encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(next(RAW.glob("004_*.txt")), raw / "a.txt")
    code = main(
        [
            "ingest",
            "--raw",
            str(raw),
            "--out",
            str(tmp_path / "out"),
            "--params",
            str(params_file),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"{lexicon / 'userdict.txt'}, line {number}" in err
