"""Storage and sources: settings, the database engine, tables, source loaders and the read gate."""
