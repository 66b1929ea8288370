"""Deterministic generator of the sample incident exports under ``examples/``.

Run ``python -m examples.generate`` from the repository root to rewrite every sample, or
``python -m examples.generate --out DIR`` to write them elsewhere (the tests do this to
check that the committed files are byte-identical to a fresh run). Every incident uses its
own seeded ``random.Random`` and fixed dates; nothing reads the wall clock.
"""
