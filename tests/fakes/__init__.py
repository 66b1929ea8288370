"""Local fakes of the outside world used by tests and benchmarks (no network, no credentials)."""
