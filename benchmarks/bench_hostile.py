"""Hostile inputs: each must load (or be refused) in seconds with bounded memory.

Each case is a folder holding one hostile file next to one bundled speech;
``corpus.load.load`` (read, clean, segment, tokenize; cache ignored) runs on it in a fresh child process (killed after
``--timeout`` seconds) and the wall time and peak resident memory are
printed as ratios against loading the bundled speech alone, measured in the
same run. Medians over ``--repeat`` runs.

Run::

    .venv/bin/python benchmarks/bench_hostile.py                # every case, 3 repetitions
    .venv/bin/python benchmarks/bench_hostile.py --only nested_div_4000 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SPEECH = "办公室工作无小事，要当好参谋助手，做好三服务工作。"


def _page(body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


def _docx_with_text(paragraph_xml: bytes) -> bytes:
    """A minimal .docx whose document.xml holds ``paragraph_xml`` in its body (highly compressible)."""
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body>" + paragraph_xml + b"</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def hostile_cases() -> dict[str, tuple[str, bytes]]:
    """``case -> (file name, bytes)`` of the hostile inputs of the hardening issue."""
    one_run = "办" * 100_000
    return {
        "nested_div_4000": ("nested.html", _page("<div>" * 4000 + SPEECH + "</div>" * 4000)),
        "nested_div_30000": ("nested.html", _page("<div>" * 30000 + SPEECH + "</div>" * 30000)),
        "sibling_div_50000": ("siblings.html", _page(f"<div>{SPEECH}</div>" * 50000)),
        "docx_52m_chars": (
            "bomb.docx",
            _docx_with_text(
                (b"<w:p><w:r><w:t>" + ("办公室" * 1000).encode() + b"</w:t></w:r></w:p>") * 17_233
            ),
        ),
        "one_char_100k": ("run.txt", f"{SPEECH}\n{one_run}\n".encode()),
        "single_line_19mb": ("line.txt", (SPEECH * (19_000_000 // len(SPEECH.encode()))).encode()),
        "many_lines_19mb": (
            "lines.txt",
            ((SPEECH * 10 + "\n") * (19_000_000 // len((SPEECH * 10).encode()))).encode(),
        ),
    }


CHILD = """
import json, resource, sys, time
from pathlib import Path
from speechtopics.config import default_paths, load_settings
from speechtopics.corpus.load import load
settings = load_settings()
paths = default_paths(settings).with_overrides(raw=Path(sys.argv[1]), out=Path(sys.argv[2]))
t0 = time.perf_counter()
corpus = load(paths, settings, force=True)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "loaded": len(corpus.speeches),
                  "skipped": [row["reason"][:100] for row in corpus.report.skipped]}))
"""


def measure(folder: Path, timeout: float) -> dict:
    """Load ``folder`` in a child process; ``{"seconds": None}`` when it ran out of time."""
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), str(folder.parent / "out")],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "wall": time.perf_counter() - started}
    if result.returncode != 0:
        return {"seconds": None, "error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="cases to run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    cases = hostile_cases()
    chosen = args.only or list(cases)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        shutil.copy(next(RAW.glob("004_*.txt")), base / "speech.txt")
        baseline = [measure(base, args.timeout) for _ in range(args.repeat)]
        base_s = statistics.median(m["seconds"] for m in baseline)
        base_mib = statistics.median(m["peak_mib"] for m in baseline)
        print(f"baseline: one bundled speech loads in {base_s:.2f} s, peak {base_mib:.0f} MiB")
        print(f"{'case':<20} {'seconds':>8} {'× base':>7} {'peak MiB':>9} {'× base':>7}  outcome")
        for name in chosen:
            file, data = cases[name]
            folder = Path(tmp) / name
            folder.mkdir()
            shutil.copy(base / "speech.txt", folder / "speech.txt")
            (folder / file).write_bytes(data)
            runs = [measure(folder, args.timeout) for _ in range(args.repeat)]
            if any(run["seconds"] is None for run in runs):
                print(
                    f"{name:<20} {'>' + str(int(args.timeout)):>8} {'':>7} {'':>9} {'':>7}  {runs[0]}"
                )
                continue
            seconds = statistics.median(run["seconds"] for run in runs)
            peak = statistics.median(run["peak_mib"] for run in runs)
            outcome = f"loaded {runs[0]['loaded']}; skipped: {runs[0]['skipped']}"
            print(
                f"{name:<20} {seconds:>8.2f} {seconds / base_s:>7.1f} {peak:>9.0f} "
                f"{peak / base_mib:>7.1f}  {outcome}"
            )


if __name__ == "__main__":
    main()
