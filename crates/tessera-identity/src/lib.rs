//! Tessera's deterministic identity resolution: normalisation, limits, merge rules.
