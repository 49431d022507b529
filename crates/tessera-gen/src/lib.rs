//! Deterministic synthetic retail data for Tessera's demo, tests and benchmarks.
