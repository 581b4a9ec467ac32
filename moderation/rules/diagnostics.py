"""A diagnostic: one problem in one rule file, at one line, with a hint — the compiler's unit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Diagnostic"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """``file:line: message`` plus an optional hint on the next line."""

    file: str
    line: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text

    @classmethod
    def at(cls, path: Path | str, line: int, message: str, hint: str | None = None) -> Diagnostic:
        return cls(str(path), max(int(line), 1), message, hint)
