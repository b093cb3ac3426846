"""Hardening, round 2: one bad file never sinks a load, hostile input costs seconds.

Every case is a real input built in a temporary folder, with the outcome it
must have: loaded with this text, or skipped/ignored with a reason the user
can act on. Runs of the whole pipeline live in test_hardening_runs.py.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from speechtopics.cli import main
from speechtopics.config import PROJECT_ROOT
from speechtopics.corpus import files as files_module
from speechtopics.corpus.decode import decode_bytes
from speechtopics.corpus.files import load_corpus
from speechtopics.corpus.html import read_html
from speechtopics.corpus.readers import MAX_CHAR_RUN, MAX_LINE_CHARS
from speechtopics.text.clean import clean_text, default_rules
from speechtopics.text.tokenize import MAX_BLOCK_CHARS, Tokenizer, bounded_pieces

RAW = PROJECT_ROOT / "data" / "raw"
LEXICON = PROJECT_ROOT / "data" / "lexicon"
RULES = default_rules(["老秘网"])
SPEECH = "办公室工作无小事，要当好参谋助手，做好三服务工作。"


def cleaner(text: str):
    return clean_text(text, RULES)


def report_rows(report) -> dict[str, tuple[str, str]]:
    """``file -> (status, reason)`` for every row of a load report except warnings."""
    rows = {row["file"]: ("loaded", "") for row in report.loaded}
    rows.update({row["file"]: ("skipped", row["reason"]) for row in report.skipped})
    rows.update({row["file"]: ("ignored", row["reason"]) for row in report.ignored})
    rows.update({row["file"]: ("duplicate", row["duplicate_of"]) for row in report.duplicates})
    return rows


# --------------------------------------------------------------------------- item 1: .docx nodes


def docx_with(inner_xml: str, doctype: str = "") -> bytes:
    """A Word file whose first paragraph holds ``inner_xml`` before its run of text."""
    from docx import Document

    document = Document()
    document.add_paragraph(SPEECH)
    buffer = io.BytesIO()
    document.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:r>", inner_xml.encode() + b"<w:r>", 1)
                if doctype:
                    data = data.replace(b"?>", b"?>" + doctype.encode(), 1)
            archive.writestr(item, data)
    return out.getvalue()


ENTITY_DOCTYPE = '<!DOCTYPE w:document [<!ENTITY org "办公厅">]>'
# inner XML of the paragraph, DOCTYPE, text the speech must have
DOCX_NODES = [
    ("comment", "<!-- 审核意见：删去 -->", "", SPEECH),
    ("processing_instruction", "<?mso-application progid='Word.Document'?>", "", SPEECH),
    ("entity_reference", "<w:r><w:t>&org;</w:t></w:r>", ENTITY_DOCTYPE, SPEECH),
    (
        "comment_inside_text",
        "<w:r><w:t>市委<!-- x -->办公室</w:t></w:r>",
        "",
        "市委办公室" + SPEECH,
    ),
    (
        "entity_inside_text",
        "<w:r><w:t>市委&org;会议</w:t></w:r>",
        ENTITY_DOCTYPE,
        "市委会议" + SPEECH,
    ),
]


@pytest.mark.parametrize(
    ("name", "inner", "doctype", "text"), DOCX_NODES, ids=[row[0] for row in DOCX_NODES]
)
def test_docx_comments_pis_and_entities_inside_a_paragraph(tmp_path, name, inner, doctype, text):
    (tmp_path / f"{name}.docx").write_bytes(docx_with(inner, doctype))
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.text for s in speeches] == [text], report.to_json_dict()


def test_docx_with_a_comment_through_every_command(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "commented.docx").write_bytes(docx_with("<!-- c -->"))
    out = str(tmp_path / "out")
    assert main(["ingest", "--raw", str(raw), "--out", out]) == 0
    assert "loaded    commented.docx" in capsys.readouterr().out
    assert main(["kwic", "参谋助手", "--raw", str(raw), "--out", out]) == 0
    assert "【参谋助手】" in capsys.readouterr().out
    assert main(["clean", str(raw / "commented.docx"), "--out", out]) == 0
    assert capsys.readouterr().out.strip() == SPEECH


def test_any_error_while_reading_one_file_skips_that_file_only(tmp_path, monkeypatch):
    shutil.copy(next(RAW.glob("004_*.txt")), tmp_path / "good.txt")
    (tmp_path / "bad.txt").write_text(SPEECH, encoding="utf-8")
    original = files_module.read_speech_bytes

    def broken_reader(data, suffix, file):
        if file == "bad.txt":
            raise TypeError("a reader bug")
        return original(data, suffix, file)

    monkeypatch.setattr(files_module, "read_speech_bytes", broken_reader)
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert [s.file for s in speeches] == ["good.txt"]
    status, reason = report_rows(report)["bad.txt"]
    assert status == "skipped"
    assert reason.startswith("could not be read (TypeError: a reader bug)")


# --------------------------------------------------------------------------- item 9: symlinks


def test_symlinks_that_leave_the_folder_are_not_followed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("机密文件的内容，不属于讲话。" * 5, encoding="utf-8")
    shutil.copy(next(RAW.glob("004_*.txt")), raw / "speech.txt")
    (raw / "leak.txt").symlink_to(outside)
    (raw / "dir_link").symlink_to(tmp_path, target_is_directory=True)
    (raw / "twin.txt").symlink_to(raw / "speech.txt")
    (raw / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    speeches, report = load_corpus(raw, None, cleaner)
    rows = report_rows(report)
    assert [s.file for s in speeches] == ["speech.txt"]
    assert rows["leak.txt"][0] == "skipped"
    assert (
        f"a symbolic link to {outside}, outside the folder of speeches; not followed"
        in (rows["leak.txt"][1])
    )
    assert rows["dir_link"][0] == "skipped" and "outside the folder" in rows["dir_link"][1]
    assert rows["dangling.txt"] == (
        "skipped",
        "a broken symbolic link (it points to nothing); remove it",
    )
    assert rows["twin.txt"] == ("duplicate", "speech.txt")  # a link inside is read like a file
    assert "机密" not in " ".join(s.text for s in speeches)


# --------------------------------------------------------------------------- item 11: every file has a row


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_subfolder_gets_a_row(tmp_path):  # pragma: no cover - as a normal user
    raw = tmp_path / "raw"
    (raw / "locked").mkdir(parents=True)
    shutil.copy(next(RAW.glob("004_*.txt")), raw / "locked" / "speech.txt")
    os.chmod(raw / "locked", 0)
    try:
        _, report = load_corpus(raw, None, cleaner)
    finally:
        os.chmod(raw / "locked", 0o755)
    assert report_rows(report)["locked/"][0] == "skipped"


def test_an_unreadable_subfolder_gets_a_row_even_as_root(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "locked").mkdir(parents=True)
    shutil.copy(next(RAW.glob("004_*.txt")), raw / "locked" / "speech.txt")
    shutil.copy(next(RAW.glob("003_*.txt")), raw / "open.txt")
    original = os.scandir

    def scandir(path="."):
        if Path(path) == raw / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(files_module.os, "scandir", scandir)
    speeches, report = load_corpus(raw, None, cleaner)
    assert [s.file for s in speeches] == ["open.txt"]
    assert report_rows(report)["locked/"] == (
        "skipped",
        "a folder that could not be read (Permission denied); its files were not loaded",
    )


# file name, bytes, status, reason fragment
EVERY_FILE = [
    ("notes.pdf", b"%PDF-1.4 x", "skipped", "unknown extension .pdf"),
    ("scan.jpg", b"\xff\xd8\xff\xe0", "skipped", "unknown extension .jpg"),
    ("README", b"read me", "skipped", "unknown extension (none)"),
    (".hidden.txt", SPEECH.encode(), "ignored", "hidden (its name starts with '.')"),
    (".gitkeep", b"", "ignored", "a placeholder that keeps the folder in git"),
    ("metadata.csv", b"doc_id,file\n", "ignored", "the metadata table"),
    ("Thumbs.db", b"\x00", "ignored", "a Windows thumbnail cache"),
    (".git/config", b"[core]", "ignored", "a folder hidden"),
    ("sub/speech.txt", SPEECH.encode(), "loaded", ""),
]


def test_every_file_under_raw_gets_a_row(tmp_path):
    for name, data, _, _ in EVERY_FILE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    _, report = load_corpus(tmp_path, None, cleaner)
    rows = report_rows(report)
    for name, _, status, reason in EVERY_FILE:
        shown = ".git/" if name.startswith(".git/") else name
        assert rows[shown][0] == status, (name, rows.get(shown))
        assert reason in rows[shown][1], (name, rows[shown])


def test_ignored_files_are_in_the_load_report_table(tmp_path):
    from speechtopics.analysis.overview import load_report_table

    (tmp_path / ".draft.txt").write_text(SPEECH, encoding="utf-8")
    (tmp_path / "a.txt").write_text(SPEECH, encoding="utf-8")
    _, report = load_corpus(tmp_path, None, cleaner)
    table = load_report_table(report).set_index("file")
    assert table.loc[".draft.txt", "status"] == "ignored"
    assert table.loc["a.txt", "status"] == "loaded"


# --------------------------------------------------------------------------- item 11: decoding and HTML details

LONG_TEXT = (SPEECH + "\n") * 400  # about 25 KB, so the damage sits after the first 8 KiB


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            LONG_TEXT.encode() + b"\x00" * 300 + b"\xff\xfe\x81",
            "binary data (NUL bytes) from line 401",
        ),
        (
            LONG_TEXT.encode("gbk") + bytes(range(256)) * 4,
            "binary data (NUL bytes) from line 401",
        ),
    ],
    ids=["utf8_then_nuls", "gbk_then_binary"],
)
def test_nul_bytes_after_the_first_8_kib_are_called_binary(tmp_path, data, reason):
    assert len(LONG_TEXT.encode("gbk")) > 8192
    (tmp_path / "damaged.txt").write_bytes(data)
    _, report = load_corpus(tmp_path, None, cleaner)
    status, message = report_rows(report)["damaged.txt"]
    assert status == "skipped"
    assert reason in message and "mixed encodings" not in message


def test_stray_nuls_in_text_that_decodes_are_removed_not_refused():
    data = LONG_TEXT.encode()[:9000].rsplit(b"\n", 1)[0] + b"\n\x00" + SPEECH.encode()
    decoded = decode_bytes(data, "f.txt")
    assert decoded.encoding == "utf-8"
    assert "\x00" not in cleaner(decoded.text).text


# page, title or first line expected
HTML_PAGES = [
    (
        f'<!DOCTYPE html [<!ENTITY org "办公厅">]><html><body><p>{SPEECH}</p></body></html>',
        SPEECH,
    ),
    (
        "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' [\n<!ATTLIST p id ID #IMPLIED>\n]>\n"
        f"<html><body><h1>在全市办公室主任会议上的讲话</h1><p>{SPEECH}</p></body></html>",
        "在全市办公室主任会议上的讲话",
    ),
    (
        f'<?xml version="1.0" encoding="gb2312"?><html><body><p>{SPEECH}</p></body></html>',
        SPEECH,
    ),
]


@pytest.mark.parametrize(("page", "first_line"), HTML_PAGES)
def test_html_doctype_subsets_and_declarations_never_become_text(tmp_path, page, first_line):
    (tmp_path / "page.html").write_bytes(page.encode("utf-8"))
    speeches, report = load_corpus(tmp_path, None, cleaner)
    assert len(speeches) == 1, report.to_json_dict()
    assert speeches[0].text.split("\n")[0] == first_line
    assert "]>" not in speeches[0].text and speeches[0].title != "]>"


# --------------------------------------------------------------------------- item 10: bounded work


def _page(body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


def _docx_paragraphs(paragraph: bytes, count: int) -> bytes:
    """A small .docx whose document part unpacks to ``count`` copies of ``paragraph``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/document.xml", "w") as member:
            member.write(
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body>"
            )
            for _ in range(count):
                member.write(paragraph)
            member.write(b"</w:body></w:document>")
    return buffer.getvalue()


# name, bytes, status, reason fragment (what a hostile input gets, in seconds)
HOSTILE = [
    (
        "nested_4000.html",
        _page("<div>" * 4000 + SPEECH + "</div>" * 4000),
        "skipped",
        "elements nested more than 255 deep",
    ),
    (
        "nested_30000.html",
        _page("<div>" * 30000 + SPEECH + "</div>" * 30000),
        "skipped",
        "elements nested more than 255 deep",
    ),
    ("siblings_50000.html", _page(f"<div>{SPEECH}</div>" * 50000), "loaded", ""),
    (
        "bomb.docx",
        _docx_paragraphs(
            b"<w:p><w:r><w:t>" + ("办公室" * 1000).encode() + b"</w:t></w:r></w:p>", 17_233
        ),
        "skipped",
        "its document unpacks to more than 32 MiB (stopped reading there)",
    ),
    (
        "one_character.txt",
        f"{SPEECH}\n{'办' * 100_000}\n".encode(),
        "skipped",
        f"line 2 repeats '办' 100,000 times in a row, more than the {MAX_CHAR_RUN:,}",
    ),
    (
        "one_line.txt",
        (SPEECH * (19_000_000 // len(SPEECH.encode()))).encode(),
        "skipped",
        f"line 1 has {19_000_000 // len(SPEECH.encode()) * len(SPEECH):,} characters, "
        f"more than the {MAX_LINE_CHARS:,} a paragraph may have",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "status", "reason"), HOSTILE, ids=[row[0] for row in HOSTILE]
)
def test_hostile_files_are_read_whole_or_refused_with_the_limit(
    tmp_path, name, data, status, reason
):
    (tmp_path / name).write_bytes(data)
    _, report = load_corpus(tmp_path, None, cleaner)
    found, message = report_rows(report)[name]
    assert found == status, message
    assert reason in message


def test_a_docx_whose_zip_lies_about_its_size_is_stopped_while_streaming(tmp_path):
    data = bytearray(
        _docx_paragraphs(
            b"<w:p><w:r><w:t>" + ("办" * 1000).encode() + b"</w:t></w:r></w:p>", 12_000
        )
    )
    # Declare a tiny unpacked size in both headers: the check before unpacking is fooled.
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    assert info.file_size > 32 * 2**20
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    (tmp_path / "liar.docx").write_bytes(bytes(data))
    _, report = load_corpus(tmp_path, None, cleaner)
    status, reason = report_rows(report)["liar.docx"]
    assert status == "skipped"
    assert "not a readable .docx" in reason or "unpacks to more than" in reason


def test_a_long_run_of_one_character_tokenizes_in_pieces():
    """The segmenter never sees a block longer than MAX_BLOCK_CHARS; shorter text is untouched."""
    assert bounded_pieces(SPEECH * 100) == [SPEECH * 100]
    block = "办" * (3 * MAX_BLOCK_CHARS + 7)
    pieces = bounded_pieces(f"开头，{block}。结尾")
    assert pieces == [
        "开头，",
        *[block[i : i + MAX_BLOCK_CHARS] for i in range(0, len(block), MAX_BLOCK_CHARS)],
        "。结尾",
    ]
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    started = time.perf_counter()
    tokens = tokenizer("办" * MAX_CHAR_RUN)
    assert len(tokens) == MAX_CHAR_RUN // 2  # 办办 … as jieba cuts it
    print(f"{MAX_CHAR_RUN} × 办 tokenized in {time.perf_counter() - started:.2f} s")


def test_normal_text_segments_exactly_as_before_the_pieces():
    rng = random.Random(3)
    texts = [(RAW / path.name).read_text(encoding="utf-8") for path in sorted(RAW.glob("*.txt"))]
    tokenizer = Tokenizer.from_lexicon(LEXICON)
    for text in texts:
        for line in text.split("\n"):
            assert bounded_pieces(line) == [line]
        assert tokenizer.segment(text) == list(
            tokenizer.segmenter.cut(tokenizer.apply_synonyms(text))
        )
    assert rng  # the bundled speeches are all checked, line by line


def test_read_html_is_linear_in_siblings():
    small = _page(f"<div>{SPEECH}</div>" * 5000)
    large = _page(f"<div>{SPEECH}</div>" * 50000)
    assert read_html(large).text.count(SPEECH) == 50000
    assert read_html(small).text.count(SPEECH) == 5000


# --------------------------------------------------------------------------- item 10: loading is cached per file


def test_reading_and_cleaning_is_cached_per_file(tmp_path, params):
    from speechtopics.config import default_paths
    from speechtopics.corpus.load import load

    raw = tmp_path / "raw"
    raw.mkdir()
    for path in sorted(RAW.glob("00[34]_*.txt")):
        shutil.copy(path, raw)
    (raw / "refused.txt").write_bytes(f"{SPEECH}\n{'办' * 100_000}\n".encode())
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    first = load(paths, params)
    second = load(paths, params)
    assert first.stats["files_read"] == 3 and first.stats["files_from_cache"] == 0
    assert second.stats["files_read"] == 0 and second.stats["files_from_cache"] == 3
    assert [s.text for s in second.speeches] == [s.text for s in first.speeches]
    assert second.report.to_json_dict() == first.report.to_json_dict()
    # An edited file is read again; the others still come from the cache.
    (raw / "refused.txt").write_text(SPEECH + "\n加强队伍建设。", encoding="utf-8")
    third = load(paths, params)
    assert third.stats["files_read"] == 1 and third.stats["files_from_cache"] == 2
    assert len(third.speeches) == 3
