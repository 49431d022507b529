//! Tessera's segment engine: columnar indexes, bitmap evaluation, reference interpreter, explain.
