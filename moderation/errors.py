"""The error hierarchy: every error a user can cause, named by its cause.

The CLI maps these to exit codes and prints their message; nothing else is
caught. Messages name the file, row or field and say what was expected.
"""

from __future__ import annotations

__all__ = [
    "ModerationError",
    "ConfigError",
    "InputSchemaError",
    "RuleValidationError",
    "ModelNotFoundError",
    "ModelNotFittedError",
    "TextModelError",
]


class ModerationError(Exception):
    """Base class for errors a user can act on."""

    exit_code = 2


class ConfigError(ModerationError):
    """A setting has a bad value (the message names the key and the value)."""


class InputSchemaError(ModerationError):
    """A dump cannot be read at all: a missing required column, an unknown format, ..."""


class RuleValidationError(ModerationError):
    """One or more rule files are invalid; ``errors`` holds every diagnostic."""

    exit_code = 1

    def __init__(self, errors: list) -> None:
        self.errors = list(errors)
        lines = [str(e) for e in self.errors]
        super().__init__(f"{len(lines)} error(s) in rule files:\n" + "\n".join(lines))


class ModelNotFoundError(ModerationError):
    """No registered model (or alias) to score with."""


class ModelNotFittedError(ModerationError, ValueError):
    """A model was asked to predict before ``fit``."""


class TextModelError(ModerationError):
    """A text-stage model directory is missing, incomplete or unreadable (the message names the file)."""
