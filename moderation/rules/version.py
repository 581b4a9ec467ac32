"""The ruleset version: a content hash of every file that can change a decision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["ruleset_version", "versioned_files"]


def versioned_files(root: Path) -> list[Path]:
    """Rule files, lists, fields and reasons under ``root`` (README and other docs excluded)."""
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".txt"}]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def ruleset_version(root: Path, files: Iterable[Path] | None = None) -> str:
    """sha256 over (relative path, content) of each file; the first 16 hex digits."""
    digest = hashlib.sha256()
    for path in files if files is not None else versioned_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
