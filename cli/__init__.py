"""The `csp` command, the duckdb shell, status and serve: the top layer people type."""
