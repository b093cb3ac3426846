"""Row layouts of the Spark engine's datasets (field names here; Spark types built on demand).

The tasks (:mod:`.tasks`) yield plain tuples in these orders; the driver
side turns the names into Spark schemas with :func:`spark_schema` (pyspark
is imported only there).
"""

from __future__ import annotations

#: One file read and cleaned (``read_clean_one``); ``order_key`` sorts like the local loader.
SPEECH_FIELDS: tuple[tuple[str, str], ...] = (
    ("file", "string"),
    ("order_key", "binary"),
    ("status", "string"),
    ("reason", "string"),
    ("notes", "array<string>"),
    ("row_key", "string"),
    ("doc_id", "string"),
    ("doc_id_note", "string"),
    ("suffix", "string"),
    ("format", "string"),
    ("encoding", "string"),
    ("sha256", "string"),
    ("title", "string"),
    ("meta_json", "string"),
    ("chars_raw", "long"),
    ("chars_clean", "long"),
    ("clean_sha256", "string"),
    ("removed_json", "string"),
    ("changed_json", "string"),
    ("traditional_note", "string"),
    ("text", "string"),
)

#: A paragraph unit (the :class:`~speechtopics.text.segment.Unit` fields after ``doc_id``) and its tokens.
UNIT_FIELDS: tuple[str, ...] = (
    "unit_id",
    "section_path",
    "h1_label",
    "h1_heading",
    "h2_label",
    "h2_heading",
    "h3_label",
    "h3_heading",
    "paragraph_index",
    "sentence_index",
    "role",
    "char_start",
    "text",
    "tokens",
)
_UNIT_TYPES = {
    "paragraph_index": "long",
    "sentence_index": "long",
    "char_start": "long",
    "tokens": "array<string>",
}
UNIT_SCHEMA = ", ".join(f"{name}: {_UNIT_TYPES.get(name, 'string')}" for name in UNIT_FIELDS)

#: One speech segmented and tokenized (``tokenize_partition``).
TOKENIZED_SCHEMA = (
    "doc_id string, clean_sha256 string, "
    f"units array<struct<{UNIT_SCHEMA}>>, "
    "outline array<struct<section_path: string, section_heading: string, section_order: long>>, "
    "sections long"
)

#: A KWIC row with its theme's rank (``kwic_partition``).
KWIC_SCHEMA = (
    "theme_rank int, doc_id string, unit_id string, paragraph_index long, section_path string, "
    "char_offset long, left string, keyword string, right string, theme string"
)

#: A row of ``theme_rates_by_speech`` with its position in its speech's rows (``theme_rates_partition``).
SPEECH_RATES_SCHEMA = (
    "position long, doc_id string, theme string, hits long, tokens long, rate_per_1k double"
)
#: A row of ``theme_rates_by_section``, likewise.
SECTION_RATES_SCHEMA = (
    "position long, doc_id string, section_path string, section_heading string, "
    "section_order long, theme string, hits long, tokens long, rate_per_1k double"
)

#: A topic unit (``topic_units_partition``).
TOPIC_UNIT_SCHEMA = (
    "doc_id string, unit_id string, section_path string, tokens array<string>, position long"
)


def spark_schema(fields: tuple[tuple[str, str], ...]) -> str:
    """A Spark DDL schema string of ``(name, type)`` pairs."""
    return ", ".join(f"`{name}` {kind}" for name, kind in fields)
