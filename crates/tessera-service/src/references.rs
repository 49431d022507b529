//! What segment conditions may refer to besides traits and events: stored segments
//! (`in segment "vip"`) and places (`within 5 mi of place "downtown"`), read from the store
//! once, so that conditions can be expanded (see `tessera_lang::expand`) before evaluation.

use std::collections::BTreeMap;

use tessera_lang::{Computed, Definitions, ExpandError, Expr};
use tessera_store::{Place, Store};

use crate::Result;

/// Stored segment conditions and places, as of when they were read.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub segments: BTreeMap<String, Expr>,
    pub places: Vec<Place>,
    /// `[computed]` traits of tessera.toml.
    pub computed: BTreeMap<String, Computed>,
}

impl References {
    /// Reads every stored segment (those whose condition parses) and every place.
    pub fn load(store: &Store) -> Result<References> {
        let segments = store
            .segments()?
            .into_iter()
            .filter_map(|s| {
                let parsed = tessera_lang::parse(&s.condition);
                (!tessera_lang::has_errors(&parsed.diagnostics)).then_some((s.name, parsed.expr))
            })
            .collect();
        Ok(References {
            segments,
            places: store.places()?,
            computed: computed_traits(store)?,
        })
    }

    /// The same, with `overrides` replacing (or adding) segment conditions: a directory of
    /// definitions being planned refers to its own versions.
    pub fn with_segments<'a>(
        &self,
        overrides: impl IntoIterator<Item = (&'a str, &'a Expr)>,
    ) -> References {
        let mut references = self.clone();
        for (name, expr) in overrides {
            references.segments.insert(name.to_string(), expr.clone());
        }
        references
    }

    /// `expr` with its segment references and place targets expanded.
    pub fn expand(&self, expr: &Expr) -> Result<Expr, ExpandError> {
        tessera_lang::expand(expr, self)
    }
}

/// The `[computed]` traits of the store's configuration, each checked.
pub fn computed_traits(store: &Store) -> Result<BTreeMap<String, Computed>> {
    store
        .config()
        .computed
        .iter()
        .map(|(name, text)| {
            Computed::parse(text)
                .map(|c| (name.clone(), c))
                .map_err(|e| {
                    crate::Error::Definitions(format!(
                        "{}: [computed] {name}: {e}",
                        store.dir().join(tessera_store::CONFIG_FILE).display()
                    ))
                })
        })
        .collect()
}

impl Definitions for References {
    fn computed(&self, name: &str) -> Option<Computed> {
        self.computed.get(name).cloned()
    }

    fn segment(&self, name: &str) -> Option<Expr> {
        self.segments.get(name).cloned()
    }

    fn place(&self, name: &str) -> Option<(f64, f64)> {
        self.places
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.lat, p.lon))
    }

    fn tagged(&self, tag: &str) -> Vec<(f64, f64)> {
        self.places
            .iter()
            .filter(|p| p.tags.iter().any(|t| t == tag))
            .map(|p| (p.lat, p.lon))
            .collect()
    }
}
