"""Alembic migrations for every table in storage.models (run through storage.migrate)."""
