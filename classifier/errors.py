"""The classifier's small exception tree."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base of every error the classifier raises."""


class DataFileError(ClassifierError):
    """A policy data file (TOML) is missing, malformed or fails validation; names file and key."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: [{key}] {message}")


class ModelError(ClassifierError):
    """A trained model cannot be trained, saved or loaded (missing files, version mismatch)."""


class JurisdictionError(ClassifierError):
    """A unit's jurisdiction is empty or cannot be read at all."""
