"""The embedded query engine: DuckDB tables of normalised entries and re-joined events."""
