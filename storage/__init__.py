"""storage: the database (SQLAlchemy 2.0 models, Alembic migrations, repositories, read-only queries).

Nothing happens at import time: no engine, no connection. Entry points:

- ``storage.db``: ``make_engine(url)``, ``default_sqlite_url(var_dir)``, ``session_factory(engine)``,
  ``upgrade(url)``, ``current_revision(engine)``, ``check_schema(engine)``.
- ``storage.repositories.*``: one class per aggregate, each constructed with a Session; they never
  commit (the caller owns the transaction) and speak frozen dataclasses (domain types of crawlers,
  classifier and responder, plus ``storage.records``).
- ``storage.queries``: read-only functions for the dashboard and reports.
- ``storage.errors``: ``StorageError`` and its subclasses.
"""
