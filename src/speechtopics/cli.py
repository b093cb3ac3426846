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
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .analysis.compare.effects import topic_values
from .analysis.compare.groups import GroupComparison, compare_in_corpus, doc_ids_of_group
from .analysis.overview import corpus_overview
from .analysis.themes.kwic import kwic
from .analysis.themes.suggest import suggest_in_corpus
from .config import Paths, Settings, SettingsError, default_paths, load_settings
from .corpus.add import add_speeches
from .corpus.decode import LoadError
from .corpus.load import build_cleaner, build_tokenizer, load
from .corpus.readers import read_speech_file
from .io import read_table
from .pipeline.engines import ENGINES
from .pipeline.history import describe_changes
from .pipeline.outputs import OutputError
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
        for row in report["ignored"]:
            _print(f"  ignored   {row['file']}  {row['reason']}")
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
    lines = text.split("\n")
    # Filtered tokens use both cores on a long file; the output is the same.
    token_lists = (
        [tokenizer.segment(line) for line in lines] if args.all else tokenizer.tokenize_many(lines)
    )
    for tokens in token_lists:
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
    _print(f"tables in {paths.processed}; figures in {paths.figures}")
    _print(summary.format())
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
    window = settings.themes.kwic_window if args.window is None else args.window
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


def _format_comparison(comparison: GroupComparison, top_n: int) -> list[str]:
    """The lines ``speechtopics compare`` prints."""
    lines = [
        f"A = {comparison.label_a}: {len(comparison.doc_ids_a)} speech(es) "
        f"({' '.join(comparison.doc_ids_a)})",
        f"B = {comparison.label_b}: {len(comparison.doc_ids_b)} speech(es) "
        f"({' '.join(comparison.doc_ids_b)})",
        *[f"note: {note}" for note in comparison.notes],
        "",
        "theme rates per 1,000 tokens (mean of speeches; difference A − B with its interval):",
    ]
    columns = ["measure", "n_a", "n_b", "mean_a", "mean_b", "difference", "ci_low", "ci_high"]
    lines.append(comparison.themes[columns].to_string(index=False, float_format="{:.2f}".format))
    if not comparison.topics.empty:
        lines += ["", "topic shares (mean of speeches; difference A − B):"]
        lines.append(
            comparison.topics[columns].to_string(index=False, float_format="{:.3f}".format)
        )
    examples = comparison.examples
    for side, label in (("a", comparison.label_a), ("b", comparison.label_b)):
        top = comparison.top_terms(side, top_n)
        lines += ["", f"terms relatively more frequent in {side.upper()} ({label}):"]
        for row in top.itertuples(index=False):
            lines.append(
                f"  {row.term}  A {row.n_target}  B {row.n_reference}  "
                f"chi2 {row.chi2:.1f}  log2 ratio {row.log_ratio:+.2f}"
            )
            shown = examples[(examples["side"] == side) & (examples["term"] == row.term)]
            for line in shown.itertuples(index=False):
                lines.append(f"      {line.doc_id}: {line.left}【{line.keyword}】{line.right}")
    return lines


def _doc_id_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def cmd_compare(args: argparse.Namespace) -> int:

    if args.by:
        if len(args.groups) != 2 or args.docs or args.vs:
            sys.stderr.write("speechtopics compare: give --by COLUMN A B (two groups)\n")
            return EXIT_USAGE
        a, b = args.groups
    elif args.docs and args.vs and not args.groups:
        a, b = args.docs, args.vs
    else:
        sys.stderr.write("speechtopics compare: give --by COLUMN A B, or --docs ID,ID --vs ID,ID\n")
        return EXIT_USAGE
    paths, settings = _paths_and_settings(args)
    corpus = load(paths, settings)
    speeches = corpus.speeches_frame()
    if args.by:
        ids_a, ids_b = (
            doc_ids_of_group(speeches, args.by, a),
            doc_ids_of_group(speeches, args.by, b),
        )
        label_a, label_b = f"{args.by}={a}", f"{args.by}={b}"
    else:
        ids_a, ids_b = _doc_id_list(a), _doc_id_list(b)
        label_a, label_b = ",".join(ids_a), ",".join(ids_b)
    topic_table = paths.processed / "speech_topic.csv"
    comparison = compare_in_corpus(
        corpus,
        settings,
        ids_a,
        ids_b,
        label_a=label_a,
        label_b=label_b,
        topic_values=topic_values(read_table(topic_table)) if topic_table.exists() else None,
    )
    for line in _format_comparison(comparison, args.top or settings.compare.top_n):
        _print(line)
    return EXIT_OK


def cmd_suggest(args: argparse.Namespace) -> int:

    paths, settings = _paths_and_settings(args)
    corpus = load(paths, settings)
    try:
        table = suggest_in_corpus(corpus, settings, args.theme, method=args.method, top_n=args.top)
    except KeyError as exc:
        sys.stderr.write(f"speechtopics suggest: {exc.args[0]}\n")
        return EXIT_USAGE
    if table.empty:
        _print(f"no candidate for {args.theme} (the corpus may be too small; try --method pmi)")
        return EXIT_OK
    method = table["method"].iloc[0]
    score = "cosine similarity" if method == "word2vec" else "PMI in bits"
    _print(
        f"candidates for {args.theme} by {method} (score: {score}); "
        "nothing was added to themes.toml"
    )
    for row in table.itertuples(index=False):
        _print(
            f"{row.rank:>3}. {row.candidate}  count {row.count}  score {row.score:.3f}  "
            f"shared sentences {row.cooccurrences}"
        )
        for line in (row.kwic_1, row.kwic_2):
            if line:
                _print(f"       {line}")
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


def _add_compare_commands(sub) -> None:
    """Commands that compare groups of speeches and grow the lexicon: ``compare``, ``suggest``."""
    p = sub.add_parser(
        "compare",
        help="two groups of speeches: keyness, theme rates with intervals, example lines",
    )
    _common(p)
    p.add_argument("groups", nargs="*", metavar="GROUP", help="with --by: the two groups (县 市)")
    p.add_argument("--by", metavar="COLUMN", help="metadata column: level, year, region …")
    p.add_argument("--docs", metavar="ID,ID", help="group A as doc_ids")
    p.add_argument("--vs", metavar="ID,ID", help="group B as doc_ids")
    p.add_argument("--top", type=int, metavar="N", help="distinguishing terms per side")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "suggest", help="candidate terms for a theme from the corpus (nothing is written)"
    )
    _common(p)
    p.add_argument("theme", help="theme name or label from themes.toml")
    p.add_argument("--method", choices=["auto", "word2vec", "pmi"], help="default: [suggest]")
    p.add_argument("--top", type=int, metavar="N", help="candidates (default: [suggest] top_n)")
    p.set_defaults(func=cmd_suggest)


def build_parser() -> argparse.ArgumentParser:
    """The ``speechtopics`` command line: one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="speechtopics",
        description="Find and compare themes in Chinese speeches about office work.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_corpus_commands(sub)
    _add_analysis_commands(sub)
    _add_compare_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``speechtopics`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)

    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (``speechtopics ingest | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SettingsError as exc:
        sys.stderr.write(f"speechtopics {args.command}: the settings cannot be used:\n{exc}\n")
        return EXIT_USAGE
    except LexiconError as exc:
        sys.stderr.write(f"speechtopics {args.command}: {exc}\n")
        return EXIT_NOTHING_DONE
    except OutputError as exc:
        sys.stderr.write(f"speechtopics {args.command}: {exc.strerror}\n")
        return EXIT_NOTHING_DONE
    except ValueError as exc:
        sys.stderr.write(f"speechtopics {args.command}: {exc}\n")
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
