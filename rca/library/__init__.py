"""The pattern library: load the YAML knowledge, check it (one list of problems), fill its sentences."""
