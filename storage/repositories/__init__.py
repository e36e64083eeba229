"""Repositories: each takes a Session, speaks frozen dataclasses, and leaves committing to the caller."""
