"""Loading: formats, encodings, metadata, hashing, duplicates and bad files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from speechtopics.cli import main
from speechtopics.config import PROJECT_ROOT
from speechtopics.corpus.decode import decode_text
from speechtopics.corpus.files import load_corpus
from speechtopics.corpus.metadata import read_metadata
from speechtopics.text.clean import clean_text, default_rules
from speechtopics.text.segment import title_from_text

RAW = PROJECT_ROOT / "data" / "raw"
METADATA = PROJECT_ROOT / "data" / "metadata.csv"
SIMPLIFIED = (
    "在全县办公室系统培训会上的讲话\n一、把握工作特性\n办公室是承上启下的枢纽、领导决策的参谋助手。"
)
TRADITIONAL = (
    "在全縣辦公室系統培訓會上的講話\n一、把握工作特性\n辦公室是承上啟下的樞紐、領導決策的參謀助手。"
)


def cleaner(text: str):
    return clean_text(text, default_rules(["老秘网"]))


def write_docx(path: Path, paragraphs: list[str]) -> None:
    from docx import Document

    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


# file name, bytes (or a writer), expected encoding recorded
ENCODED_FILES = [
    ("utf8.txt", SIMPLIFIED.encode("utf-8"), "utf-8"),
    ("utf8_bom.txt", b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"), "utf-8-sig"),
    ("gb18030.txt", SIMPLIFIED.encode("gb18030"), "gb18030"),
    ("gbk.txt", SIMPLIFIED.encode("gbk"), "gb18030"),
    ("big5.txt", TRADITIONAL.encode("big5"), "big5"),
    ("utf16le.txt", b"\xff\xfe" + SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),
    ("utf16be.txt", b"\xfe\xff" + SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
]


@pytest.mark.parametrize(
    ("name", "data", "encoding"), ENCODED_FILES, ids=[row[0] for row in ENCODED_FILES]
)
def test_each_encoding_is_detected_and_recorded(tmp_path, name, data, encoding):
    (tmp_path / name).write_bytes(data)
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.encoding for s in speeches] == [encoding]
    assert report.loaded[0]["encoding"] == encoding
    # Big5 text is traditional: converted to simplified and flagged.
    assert speeches[0].text.split("\n")[-1] == "办公室是承上启下的枢纽、领导决策的参谋助手。"
    if encoding == "big5":
        assert report.loaded[0]["traditional_converted"] > 0
        assert any("traditional" in w["message"] for w in report.warnings)


def test_docx_paragraphs_in_order(tmp_path):
    write_docx(
        tmp_path / "speech.docx",
        ["在办公室工作会议上的讲话", "一、认清一个责任", "办公室工作无小事。"],
    )
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert speeches[0].format == "docx"
    assert speeches[0].text == "在办公室工作会议上的讲话\n一、认清一个责任\n办公室工作无小事。"
    assert speeches[0].title == "在办公室工作会议上的讲话"


def test_html_main_text_only(tmp_path):
    page = """<html><head><meta charset="gbk"><title>网站标题</title>
    <script>var menu = "导航脚本";</script><style>.x{color:red}</style></head>
    <body><nav>首页 | 新闻中心 | 联系我们</nav>
    <div class="content"><h1>全区办公室主任会议上的讲话</h1>
    <p>同志们，今天召开这个会议。</p><p>一、认清一个责任</p><p>办公室工作无小事，要当好参谋助手。</p></div>
    <footer>版权所有 &copy; 某网站</footer></body></html>"""
    (tmp_path / "page.html").write_bytes(page.encode("gbk"))
    speeches, _ = load_corpus(tmp_path, None, cleaner)
    text = speeches[0].text
    assert (
        speeches[0].format == "html" and speeches[0].encoding == "gb18030"
    )  # declared gbk, read as its superset
    assert text.split("\n") == [
        "全区办公室主任会议上的讲话",
        "同志们，今天召开这个会议。",
        "一、认清一个责任",
        "办公室工作无小事，要当好参谋助手。",
    ]
    for junk in ("导航脚本", "首页", "版权所有", "color", "网站标题"):
        assert junk not in text


# file name, bytes, words that must appear in the reason
BAD_FILES = [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"   \n\n\t \n", "no text after cleaning"),
    ("junk_only.txt", b"1 D& E# O6 C: P9 c& k M$ d- E; o\n", "no text after cleaning"),
    ("punctuation.txt", "。，、！？……——".encode(), "no text after cleaning"),
    ("renamed.pdf.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    ("notes.rtf", b"{\\rtf1 hello}", "unknown extension"),
    ("broken.docx", b"PK\x03\x04 truncated", ".docx"),
    (
        "mixed.txt",
        SIMPLIFIED.encode("utf-8")[:30]
        + SIMPLIFIED.encode("big5", errors="ignore")[:40]
        + b"\x81\xff\xfe\x80",
        "decoded reliably",
    ),
]


def test_bad_files_reported_while_others_load(tmp_path):
    for name, data, _ in BAD_FILES:
        (tmp_path / name).write_bytes(data)
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "good.txt")
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.file for s in speeches] == ["good.txt"]
    reasons = {row["file"]: row["reason"] for row in report.skipped}
    for name, _, words in BAD_FILES:
        assert name in reasons, f"{name} was not reported"
        assert words in reasons[name], f"{name}: {reasons[name]!r} does not mention {words!r}"


def test_exact_duplicates_loaded_once(tmp_path):
    source = next(RAW.glob("000_*.txt"))
    shutil.copy(source, tmp_path / "a.txt")
    # Same speech with different line endings and a BOM: same cleaned text.
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n"))
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.file for s in speeches] == ["a.txt"]
    assert report.duplicates == [{"file": "b.txt", "duplicate_of": "a.txt"}]


def test_bundled_corpus_ids_hashes_and_metadata(corpus):
    assert corpus.doc_ids == ["000", "001", "002", "003", "004"]
    for speech in corpus.speeches:
        assert speech.sha256 == hashlib.sha256((RAW / speech.file).read_bytes()).hexdigest()
        assert speech.encoding == "utf-8" and speech.format == "txt"
    levels = {s.doc_id: s.meta["level"] for s in corpus.speeches}
    assert levels == {"000": "", "001": "市", "002": "县", "003": "县", "004": "区"}
    titles = {s.doc_id: s.title for s in corpus.speeches}
    assert titles["002"] == ""  # 002 has no title line
    assert titles["003"] == "在全县办公室系统培训会上的讲话"


def test_speech_without_metadata_row_gets_title_from_first_line(tmp_path):
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "new_speech.txt")
    speeches, report = load_corpus(tmp_path, METADATA, cleaner)
    assert speeches[0].doc_id == "new_speech"
    assert speeches[0].title == "全区办公室主任会议上的讲话"
    assert speeches[0].meta["level"] == ""


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("在办公室会议上的讲话", "在办公室会议上的讲话"),
        ("今天,我是带着感谢和感情来参加今天这个会。一是带着感谢。", ""),
        ("一、认清一个责任", ""),
        ("同志们：", ""),
    ],
)
def test_title_from_first_line(first_line, title):
    assert title_from_text(first_line + "\n正文。") == title


# metadata.csv content, message fragment expected
METADATA_PROBLEMS = [
    ("doc_id,file,title\nx,a.txt,标题\n", "missing column"),
    (
        "doc_id,file,title,level,region,year,speaker,source,notes,extra\nx,a.txt,t,县,,2015,,,,e\n",
        "extra column",
    ),
    (
        "doc_id,file,title,level,region,year,speaker,source,notes\nx,a.txt,t,县,,二〇一五,,,\n",
        "row 2: year",
    ),
    (
        "doc_id,file,title,level,region,year,speaker,source,notes\nx,a.txt,t,县,,,,,\ny,a.txt,t2,市,,,,,\n",
        "row 3: a second row",
    ),
    (
        "doc_id,file,title,level,region,year,speaker,source,notes\nz,missing.txt,t,县,,,,,\n",
        "no such file",
    ),
]


@pytest.mark.parametrize(("csv_text", "message"), METADATA_PROBLEMS)
def test_metadata_problems_named_and_rest_used(tmp_path, csv_text, message):
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "a.txt")
    (tmp_path / "metadata.csv").write_text(csv_text, encoding="utf-8")
    speeches, report = load_corpus(tmp_path, tmp_path / "metadata.csv", cleaner)
    assert len(speeches) == 1
    messages = " | ".join(w["message"] for w in report.warnings)
    assert message in messages


def test_metadata_first_of_two_rows_used(tmp_path):
    path = tmp_path / "metadata.csv"
    path.write_text(METADATA_PROBLEMS[3][0], encoding="utf-8")
    assert read_metadata(path).rows_by_file["a.txt"]["doc_id"] == "x"


def test_decode_rejects_binary():
    with pytest.raises(Exception, match="PNG"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00", "x.txt")


def test_ingest_json_is_one_object_scripts_can_rely_on(tmp_path, capsys):
    shutil.copy(next(RAW.glob("001_*.txt")), tmp_path / "one.txt")
    shutil.copy(next(RAW.glob("001_*.txt")), tmp_path / "copy.txt")
    (tmp_path / "bad.bin").write_bytes(b"\x00\x01")
    out = tmp_path.parent / f"{tmp_path.name}-out"  # never inside the folder of speeches
    code = main(["ingest", "--raw", str(tmp_path), "--out", str(out), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(data) >= {"loaded", "skipped", "duplicates"}
    (loaded,) = data["loaded"]
    assert {"doc_id", "file", "format", "encoding", "chars_raw", "chars_clean"} <= set(loaded)
    assert loaded["chars_raw"] - loaded["chars_clean"] == 6  # mdash; → —, and one space
    assert data["duplicates"] == [{"file": "one.txt", "duplicate_of": "copy.txt"}]
    assert data["skipped"][0]["file"] == "bad.bin"


def test_ingest_exit_status_nonzero_only_when_nothing_loads(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    out = str(tmp_path.parent / f"{tmp_path.name}-out")  # never inside the folder of speeches
    assert main(["ingest", "--raw", str(tmp_path), "--out", out]) == 1
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "good.txt")
    assert main(["ingest", "--raw", str(tmp_path), "--out", out]) == 0
