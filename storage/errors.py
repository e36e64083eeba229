"""The storage exception tree: everything storage raises on purpose derives from StorageError."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage/ raises on purpose."""


class ConfigurationError(StorageError):
    """A database URL or engine option that storage cannot use."""


class SchemaError(StorageError):
    """The database schema does not match the code; the message names the fixing command."""


class SchemaMissing(SchemaError):
    """The database is empty (no yuqing tables): run `yuqing init`."""


class SchemaOutdated(SchemaError):
    """The database schema is older than the code: run `yuqing db upgrade`."""


class SchemaTooNew(SchemaError):
    """The database was migrated by a newer version of yuqing than the one running."""


class NotFound(StorageError):
    """A row the caller named by id does not exist."""


class NaiveDatetimeError(StorageError, ValueError):
    """A naive datetime was about to be written; storage keeps only timezone-aware UTC."""


class BackupError(StorageError):
    """A backup or restore could not be made; the message says why and where."""
