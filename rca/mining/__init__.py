"""Mining what the pattern library does not know: masking, templates, novelty, clusters, drafts.

Pure functions over plain Python values; the engine and the CLI wire them to the event store.
"""
