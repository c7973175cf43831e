"""Alembic migrations of the Placecast store (the same for SQLite and PostgreSQL)."""
