"""``speechtopics_results.xlsx``: the key tables of a run in one Excel workbook.

One sheet per table, with a Chinese name, and a first sheet (说明) saying
which CSV file each sheet is and what it holds. Cells keep their types
(``doc_id`` stays text); text that would start a formula is stored as
text (see :func:`speechtopics.io.table_xlsx_bytes`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..io import table_xlsx_bytes

WORKBOOK_FILE = "speechtopics_results.xlsx"
README_SHEET = "说明"

#: (table, sheet name, what it holds), in the order of the workbook.
WORKBOOK_TABLES: tuple[tuple[str, str, str], ...] = (
    ("corpus_overview", "语料概览", "每篇讲话：标题、层级、年份、篇幅与结构"),
    ("load_report", "载入报告", "每个文件载入、跳过或重复的情况"),
    ("theme_rates_by_speech", "主题频率-讲话", "每篇讲话各主题的命中次数与每千词频率"),
    ("theme_rates_by_group", "主题频率-分组", "按层级、年份等合并的主题频率"),
    ("theme_rates_by_section", "主题频率-小节", "每个一级小节各主题的频率"),
    ("theme_effects", "主题效应", "主题词频率的组间效应与区间"),
    ("topic_effects", "主题比重效应", "主题比重的组间效应与区间"),
    ("keywords_by_speech", "关键词", "每篇讲话 TF-IDF 最高的词"),
    ("keyness", "关键性", "每篇讲话相对其余讲话的关键性（χ²、G²）"),
    ("speech_similarity", "讲话相似度", "讲话两两之间的余弦相似度"),
    ("topic_k_choice", "主题数选择", "所选主题数 K 及理由"),
    ("topic_stability", "主题稳定性", "每个主题的标签与种子间稳定性"),
    ("topic_words", "主题词", "每个主题的高概率词"),
    ("speech_topic", "讲话主题构成", "每篇讲话的主题比重"),
    ("section_topic", "小节主题构成", "每个一级小节的主题比重"),
    ("theme_topic_by_speech", "主题词典主题", "种子词引导的主题在每篇讲话中的比重"),
    ("formulations_by_speech", "提法-讲话", "每个提法在每篇讲话中的次数"),
    ("formulations", "提法出处", "每个提法的出处与例句"),
    ("cluster_summary", "聚类概况", "各种聚类所选的簇数与轮廓系数"),
    ("cluster_top_terms", "簇的关键词", "每个簇最有区分度的词"),
)


#: Rows of one sheet at most: a workbook stays quick to write and to open (Excel's
#: own limit is 1,048,576); the CSV file always holds the whole table.
SHEET_MAX_ROWS = 20_000


def sheet_rows(table: pd.DataFrame, max_rows: int = SHEET_MAX_ROWS) -> pd.DataFrame:
    """The rows of ``table`` a sheet shows: all, or the first rows of each speech.

    A table with a ``doc_id`` column keeps the first ``max_rows // speeches``
    rows of every speech (at least one; the tables are sorted by importance
    within a speech), any other table its first ``max_rows`` rows.
    """
    if len(table) <= max_rows:
        return table
    if "doc_id" in table.columns:
        per_speech = max(1, max_rows // max(1, table["doc_id"].nunique()))
        return table.groupby("doc_id", sort=False).head(per_speech)
    return table.head(max_rows)


def workbook_sheets(
    tables: Mapping[str, pd.DataFrame], max_rows: int = SHEET_MAX_ROWS
) -> dict[str, pd.DataFrame]:
    """``sheet name -> table`` of the key tables present, after a 说明 sheet listing them.

    Long tables are cut (:func:`sheet_rows`); 说明 gives the rows shown and
    the rows of the whole table in its CSV file.
    """
    sheets: dict[str, pd.DataFrame] = {}
    readme = []
    for name, sheet, what in WORKBOOK_TABLES:
        table = tables.get(name)
        if table is None:
            continue
        sheets[sheet] = sheet_rows(table, max_rows)
        if len(sheets[sheet]) < len(table):
            what += "（表太长：只列出部分行，完整内容见 CSV 文件）"
        readme.append(
            {
                "sheet": sheet,
                "table": name,
                "file": f"{name}.csv",
                "rows": len(table),
                "rows_shown": len(sheets[sheet]),
                "what": what,
            }
        )
    return {README_SHEET: pd.DataFrame(readme), **sheets}


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook of the key tables present in ``tables`` (``.xlsx`` bytes)."""
    return table_xlsx_bytes(workbook_sheets(tables))
