"""Repository functions: async, keyword-only, always scoped by `team_id`, never returning ORM objects.

They never commit: the caller owns the unit of work (`async with storage.session() as s:`).
"""
