//! Tessera's service layer: loads the store into the engine, segments as code, analysis.
