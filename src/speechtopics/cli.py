"""The ``speechtopics`` command.

Every command takes ``--raw DIR`` (speeches; ``DIR/metadata.csv`` used when
present) and ``--out DIR`` (where ``interim/``, ``processed/`` and
``figures/`` go), so the same tool runs on any folder of speeches.
Exit status is 0 when every file was handled (loaded or reported) and
non-zero only when nothing could be done.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .analysis.overview import corpus_overview
from .analysis.themes.kwic import kwic
from .config import Paths, Settings, SettingsError, default_paths, load_settings
from .corpus.add import add_speeches
from .corpus.decode import LoadError
from .corpus.load import build_cleaner, build_tokenizer, load
from .corpus.readers import read_speech_file
from .pipeline.engines import ENGINES
from .pipeline.history import describe_changes
from .pipeline.run import run
from .text.lexicon import LexiconError, load_themes

EXIT_OK = 0
EXIT_NOTHING_DONE = 1
EXIT_USAGE = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw", type=Path, metavar="DIR", help="folder of speeches (default: data/raw)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output root for interim/, processed/ and figures/ (default: the project's data/ and figures/)",
    )
    parser.add_argument(
        "--params", type=Path, metavar="TOML", help="settings file (default: speechtopics.toml)"
    )


def _paths_and_settings(args: argparse.Namespace) -> tuple[Paths, Settings]:
    settings = load_settings(args.params)
    paths = default_paths(settings).with_overrides(raw=args.raw, out=args.out)
    return paths, settings


def _print(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def cmd_ingest(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    corpus = load(paths, settings, progress=not args.json and sys.stderr.isatty())
    report = corpus.report.to_json_dict()
    if args.json:
        _print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print(f"speeches in {paths.raw}")
        for row in report["loaded"]:
            _print(
                f"  loaded    {row['file']}  doc_id={row['doc_id']}  {row['format']}/{row['encoding']}  "
                f"{row['chars_raw']}→{row['chars_clean']} chars  {row['title']}"
            )
        for row in report["duplicates"]:
            _print(f"  duplicate {row['file']}  same text as {row['duplicate_of']}")
        for row in report["skipped"]:
            _print(f"  skipped   {row['file']}  {row['reason']}")
        for row in report["warnings"]:
            _print(f"  warning   {row['file']}  {row['message']}")
        overview = corpus_overview(corpus)
        if len(overview):
            _print("")
            columns = [
                "doc_id",
                "title",
                "level",
                "year",
                "chars_clean",
                "sections",
                "paragraphs",
                "tokens",
            ]
            _print(overview[columns].to_string(index=False))
    return EXIT_OK if corpus.speeches else EXIT_NOTHING_DONE


def cmd_clean(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    try:
        text, _fmt, _encoding, _data = read_speech_file(Path(args.path))
    except (LoadError, OSError) as exc:
        sys.stderr.write(f"speechtopics clean: {exc}\n")
        return EXIT_NOTHING_DONE
    result = build_cleaner(paths, settings)(text)
    sys.stdout.write(result.text + "\n")
    if args.report:
        removed = ", ".join(f"{rule}={n}" for rule, n in result.removed_chars.items() if n)
        sys.stderr.write(f"removed characters by rule: {removed or 'none'}\n")
    return EXIT_OK


def cmd_tokens(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    if args.file:
        try:
            text, *_ = read_speech_file(Path(args.file))
        except (LoadError, OSError) as exc:
            sys.stderr.write(f"speechtopics tokens: {exc}\n")
            return EXIT_NOTHING_DONE
        text = build_cleaner(paths, settings)(text).text
    elif args.text:
        text = " ".join(args.text)
    else:
        sys.stderr.write("speechtopics tokens: give TEXT or --file PATH\n")
        return EXIT_USAGE
    tokenizer = build_tokenizer(paths, settings, load_themes(paths.themes))
    for line in text.split("\n"):
        tokens = tokenizer.segment(line) if args.all else tokenizer(line)
        tokens = [t for t in tokens if t.strip()]
        if tokens:
            _print(" ".join(tokens))
    return EXIT_OK


def cmd_outline(args: argparse.Namespace) -> int:
    paths, settings = _paths_and_settings(args)
    corpus = load(paths, settings)
    try:
        _print(corpus.outline_text(args.doc_id))
    except KeyError as exc:
        sys.stderr.write(f"speechtopics outline: {exc.args[0]}\n")
        return EXIT_NOTHING_DONE
    return EXIT_OK


def _engine_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """``--engine`` and ``--master`` applied over ``[engine]``."""
    changes = {}
    if args.engine:
        changes["name"] = args.engine
    if args.master:
        changes["master"] = args.master
        changes.setdefault("name", "spark")
    return settings.updated({"engine": changes}, "command line") if changes else settings


def cmd_run(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    settings = _engine_settings(args, settings)
    summary = run(
        paths,
        settings,
        stages=args.stage,
        force=args.force,
        progress=True,
        echo=lambda line: sys.stderr.write(line + "\n"),
    )
    _print(summary.format())
    _print(f"tables in {paths.processed}; figures in {paths.figures}")
    loaded = (
        summary.rows
        and summary.rows[0]["stage"] == "load"
        and "0 speeches" not in summary.rows[0]["detail"]
    )
    return EXIT_OK if loaded else EXIT_NOTHING_DONE


def cmd_kwic(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    corpus = load(paths, settings)
    terms = [args.term] if args.term else []
    if args.theme:
        try:
            terms.extend(corpus.theme_terms(args.theme))
        except KeyError as exc:
            sys.stderr.write(f"speechtopics kwic: {exc.args[0]}\n")
            return EXIT_USAGE
    if not terms:
        sys.stderr.write("speechtopics kwic: give TERM or --theme NAME\n")
        return EXIT_USAGE
    window = args.window or settings.themes.kwic_window
    table = kwic(corpus.units, terms, window=window, doc_ids=[args.doc] if args.doc else None)
    if table.empty:
        _print("no occurrences")
        return EXIT_OK
    for row in table.itertuples(index=False):
        _print(
            f"{row.doc_id:>5} {row.section_path or '-':<12} {row.left:>{window}}【{row.keyword}】{row.right}"
        )
    _print(f"{len(table)} occurrences")
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    metadata = {
        "level": args.level,
        "year": args.year,
        "region": args.region,
        "speaker": args.speaker,
    }
    results = add_speeches(
        args.files, paths.raw, paths.metadata, build_cleaner(paths, settings), metadata
    )
    for result in results:
        if result.status == "added":
            _print(f"added    {result.file}  doc_id={result.doc_id}  ({result.message})")
        else:
            _print(f"refused  {result.message}")
    added = [r for r in results if r.status == "added"]
    if added:
        _print(
            f"metadata rows appended to {paths.metadata}; check the title and fill what you know"
        )
        _print(
            "next: make report   (or: speechtopics run; then speechtopics diff to see what changed)"
        )
    return EXIT_OK if added else EXIT_NOTHING_DONE


def cmd_diff(args: argparse.Namespace) -> int:

    paths, _settings = _paths_and_settings(args)
    _print(describe_changes(paths))
    return EXIT_OK


def _add_corpus_commands(sub) -> None:
    """Commands that look at the speeches: ``ingest``, ``clean``, ``tokens``, ``outline``."""
    p = sub.add_parser(
        "ingest", help="load every speech and print the load report and corpus summary"
    )
    _common(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object {loaded, skipped, duplicates, warnings}",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("clean", help="print the cleaned text of one file")
    _common(p)
    p.add_argument("path", help="a .txt, .docx or .html file")
    p.add_argument(
        "--report", action="store_true", help="also print what each rule removed (to stderr)"
    )
    p.set_defaults(func=cmd_clean)

    p = sub.add_parser("tokens", help="print tokens separated by spaces")
    _common(p)
    p.add_argument("text", nargs="*", help="text to tokenize")
    p.add_argument("--file", help="tokenize a file (cleaned first)")
    p.add_argument(
        "--all",
        action="store_true",
        help="show every segmented word (no stopword or length filter)",
    )
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("outline", help="print the section tree of one speech")
    _common(p)
    p.add_argument("doc_id", help="speech id (see `speechtopics ingest`)")
    p.set_defaults(func=cmd_outline)


def _add_analysis_commands(sub) -> None:
    """Commands that run or read the analysis: ``run``, ``kwic``, ``add``, ``diff``."""
    p = sub.add_parser(
        "run", help="run every stage and write tables and figures (what `make report` does)"
    )
    _common(p)
    p.add_argument(
        "--stage",
        action="append",
        metavar="NAME",
        help="rerun this stage (ignoring its cache) and the stages that depend on it (repeatable)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="ignore the cache: re-tokenize and recompute everything",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        help="local (this process, the default) or spark (Apache Spark; see docs/scaling.md)",
    )
    p.add_argument(
        "--master",
        metavar="URL",
        help="Spark master, e.g. local[2], spark://host:7077, yarn (implies --engine spark)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "kwic", help="keyword in context: every occurrence of a term or a theme's terms"
    )
    _common(p)
    p.add_argument("term", nargs="?", help="a word or phrase")
    p.add_argument("--theme", metavar="NAME", help="all terms of a theme from themes.toml")
    p.add_argument("--window", type=int, metavar="N", help="characters of context on each side")
    p.add_argument("--doc", metavar="ID", help="only this speech")
    p.set_defaults(func=cmd_kwic)

    p = sub.add_parser("add", help="copy new speeches into data/raw and append metadata rows")
    _common(p)
    p.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help=".txt, .docx or .html speeches"
    )
    p.add_argument("--level", help="administrative level: 市, 县 or 区")
    p.add_argument("--year", help="four-digit year")
    p.add_argument("--region", help="region, e.g. 常德鼎城区")
    p.add_argument("--speaker", help="speaker, if the text names one")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("diff", help="what changed since the previous run")
    _common(p)
    p.set_defaults(func=cmd_diff)


def build_parser() -> argparse.ArgumentParser:
    """The ``speechtopics`` command line: one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="speechtopics",
        description="Find and compare themes in Chinese speeches about office work.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_corpus_commands(sub)
    _add_analysis_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``speechtopics`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)

    try:
        return int(args.func(args))
    except SettingsError as exc:
        sys.stderr.write(f"speechtopics {args.command}: the settings cannot be used:\n{exc}\n")
        return EXIT_USAGE
    except LexiconError as exc:
        sys.stderr.write(f"speechtopics {args.command}: {exc}\n")
        return EXIT_NOTHING_DONE
    except ValueError as exc:
        sys.stderr.write(f"speechtopics {args.command}: {exc}\n")
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
