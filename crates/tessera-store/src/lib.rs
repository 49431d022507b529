//! Tessera's embedded durable store on SQLite.
