"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""

from __future__ import annotations


class LlmscanError(Exception):
    """Base class: a problem with the user's input or environment, reported without a traceback."""


class ConfigError(LlmscanError):
    """An option or argument has a bad value."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option


class InputFileError(LlmscanError):
    """A file the user named is missing or malformed."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


class ModelLoadError(LlmscanError):
    """A model or tokenizer could not be loaded."""
