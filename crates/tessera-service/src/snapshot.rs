//! A read-only snapshot: the store's profiles, traits and events loaded into the engine.

use std::collections::HashMap;

use roaring::RoaringBitmap;
use tessera_engine::{EventData, Index, IndexBuilder, ProfileData};
use tessera_lang::{Catalog, Expr};
use tessera_model::Millis;
use tessera_store::Store;

use crate::Result;

/// The engine's index of the store as of an instant, with the catalog to check segments.
pub struct Snapshot {
    pub index: Index,
    pub at: Millis,
    pub catalog: Catalog,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("at", &self.at)
            .field("profiles", &self.index.len())
            .finish()
    }
}

impl Snapshot {
    /// Loads every canonical profile that existed at `at`, its traits as of `at` and its
    /// behavioural events up to `at`.
    pub fn load(store: &Store, at: Millis) -> Result<Snapshot> {
        let mut builder = IndexBuilder::new();
        let mut ordinals: HashMap<u64, u32> = HashMap::new();
        store.for_each_profile(Some(at), |profile| {
            ordinals.insert(profile, builder.add_profile(profile as i64));
        })?;
        store.for_each_trait(Some(at), |profile, name, value| {
            if let Some(&ord) = ordinals.get(&profile) {
                builder.set_trait(ord, name, value);
            }
        })?;
        store.for_each_event(Some(at), |profile, name, ts, properties| {
            if let Some(&ord) = ordinals.get(&profile) {
                builder.add_event(ord, name, ts, properties);
            }
        })?;
        let catalog = Catalog {
            traits: store.trait_schema()?.into_iter().collect(),
            events: store.event_catalog()?,
        };
        Ok(Snapshot {
            index: builder.finish(),
            at,
            catalog,
        })
    }

    /// Members of a checked condition, as engine ordinals.
    pub fn evaluate(&self, expr: &Expr) -> Result<RoaringBitmap> {
        Ok(self.index.evaluate(expr, self.at)?)
    }

    /// Store profile ids of a set of ordinals, ascending.
    pub fn profile_ids(&self, members: &RoaringBitmap) -> Vec<u64> {
        let mut ids: Vec<u64> = members
            .iter()
            .map(|ord| self.index.profile_key(ord) as u64)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Ordinals of store profile ids (ids unknown to the snapshot are skipped).
    pub fn ordinals(&self, ids: &[u64]) -> RoaringBitmap {
        ids.iter()
            .filter_map(|id| self.index.ordinal(*id as i64))
            .collect()
    }
}

/// The traits and events segments can refer to, from the store's schema (cheap: no data read).
pub fn catalog(store: &Store) -> Result<Catalog> {
    Ok(Catalog {
        traits: store.trait_schema()?.into_iter().collect(),
        events: store.event_catalog()?,
    })
}

/// One profile read straight from the store as of `at`, in the interpreter's shape (for
/// `explain`, which must see exactly what batch evaluation sees).
pub fn load_profile(store: &Store, profile: u64, at: Millis) -> Result<ProfileData> {
    let (traits, events) = store.profile_data(profile, Some(at))?;
    let events = events
        .into_iter()
        .map(|(name, ts, properties)| EventData {
            name,
            ts,
            properties,
        })
        .collect();
    Ok(ProfileData { traits, events })
}
