"""Persistence of imported datasets: SQLAlchemy 2, an embedded SQLite file by default.

An import is a dataset identified by the content hash of its files. Importing the same files again
is a no-op; an import either commits completely or leaves the database exactly as it was.
"""

from placecast.store import workspace as _workspace  # noqa: F401  (the web tables belong to the same schema)
from placecast.store.db import DEFAULT_URL, Dataset, Store

__all__ = ["DEFAULT_URL", "Dataset", "Store"]
