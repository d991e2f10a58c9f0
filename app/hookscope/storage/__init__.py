"""The only package with SQL: opens the store, migrates it, and returns core records."""
