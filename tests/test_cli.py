"""The command line on the bundled speeches."""

from __future__ import annotations

import subprocess
import sys

import pytest

from speechtopics.cli import build_parser, main
from speechtopics.config import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"


def test_clean_prints_cleaned_text(capsys):
    (path,) = RAW.glob("002_*.txt")
    assert main(["clean", str(path)]) == 0
    out = capsys.readouterr().out
    assert "从我县的办公室系统选拔了" in out
    assert "D& E# O6" not in out and "老秘网" not in out


def test_tokens_of_text(capsys):
    assert main(["tokens", "办公室要当好参谋助手，做好三服务工作"]) == 0
    assert capsys.readouterr().out.strip() == "办公室 当好 参谋助手 三服务"


def test_tokens_of_file(capsys):
    (path,) = RAW.glob("004_*.txt")
    assert main(["tokens", "--file", str(path)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[0] == "办公室主任"  # 全区, 会议 and 讲话 are speech filler


def test_outline(capsys):
    assert main(["outline", "004"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "一、认清一个责任",
        "二、保持好两种精神状态",
        "三、经受住三个考验",
        "四、具备四种能力",
    ):
        assert heading in out
    assert main(["outline", "999"]) == 1


@pytest.mark.parametrize(
    "command", ["ingest", "clean", "tokens", "outline", "run", "kwic", "compare", "suggest"]
)
def test_every_command_has_help_and_takes_raw_and_out(command):
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    help_text = subparsers.choices[command].format_help()
    assert "--raw DIR" in help_text and "--out DIR" in help_text


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "speechtopics.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ingest" in result.stdout and "outline" in result.stdout
