"""The read cache: reading and cleaning results of speech files, kept by content.

Used by :func:`speechtopics.corpus.files.read_file`, so every command that
loads the corpus reads and cleans a file once.
"""

from __future__ import annotations

from typing import Any

from ..io import json_sha256, sha256_hex, source_hash
from .readers import MAX_FILE_BYTES

#: Source files whose code decides what reading and cleaning a file gives (part of the read cache key).
READ_CODE = (
    "corpus/readers.py",
    "corpus/docx.py",
    "corpus/html.py",
    "corpus/decode.py",
    "text/clean.py",
)


class ReadCache:
    """Reading and cleaning results of speech files, kept by content in a signed cache.

    The key is the file's bytes, its extension, the reading and cleaning
    code and the cleaner's own key, so every command that loads the corpus
    reads and cleans a file once, and a refused file is refused at once.

    Parameters
    ----------
    memory : SignedMemory
        The project's cache (:func:`speechtopics.io.cache_memory`).
    cleaner_key : str
        What the cleaner depends on (noise list, settings).
    """

    NAMESPACE = "speechtopics.corpus.files.read"

    def __init__(self, memory: Any, cleaner_key: str) -> None:
        self.store = memory.store
        self.cleaner_key = cleaner_key
        self.stats = {"files_read": 0, "files_from_cache": 0}
        self.problems: list[str] = []

    def key(self, data: bytes, suffix: str) -> str:
        return json_sha256(
            [sha256_hex(data), suffix, source_hash(READ_CODE), self.cleaner_key, MAX_FILE_BYTES]
        )

    def get(self, key: str) -> Any:
        status, value, problem = self.store.load(self.NAMESPACE, key)
        if status == "rejected":
            self.problems.append(f"cache entry of a file rejected: {problem}; read again")
        if status == "hit":
            self.stats["files_from_cache"] += 1
            return value
        self.stats["files_read"] += 1
        return None

    def put(self, key: str, value: Any) -> None:
        problem = self.store.store(self.NAMESPACE, key, value)
        if problem:
            self.problems.append(f"reading result not cached: {problem}")
