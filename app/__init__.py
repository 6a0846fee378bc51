"""paperdb: a SQLite-backed research paper database."""
