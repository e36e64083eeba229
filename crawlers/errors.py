"""The crawlers' exception tree: real errors only; expected failures are FetchOutcome data."""

from __future__ import annotations


class CrawlerError(Exception):
    """Base of every error raised by crawlers/."""


class RulesError(CrawlerError):
    """A crawlers data file (rules.toml) is missing a key or has a bad value; names file and key."""


class SpecError(CrawlerError):
    """A SourceSpec cannot be used for the requested operation (wrong kind, missing route...)."""


class ImportFormatError(CrawlerError):
    """An import file cannot be read at all (unknown format, unreadable file)."""


class SpiderProtocolError(CrawlerError):
    """The list-crawl subprocess wrote something that is not the agreed JSON-lines protocol."""
