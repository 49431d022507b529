//! Tessera's streaming importers: Segment-spec JSON Lines and mapped CSV.
