"""The `rca` command line: parse flags, call rca.api, render, map errors to exit codes. No logic."""
