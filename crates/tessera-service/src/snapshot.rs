//! A read-only snapshot: the store's profiles, traits and events loaded into the engine.

use std::collections::BTreeMap;
use std::sync::mpsc::sync_channel;

use serde_json::{Map, Value};

use roaring::RoaringBitmap;
use tessera_engine::{EventData, Index, IndexBuilder, ProfileData, TraitsBuilder};
use tessera_lang::{Catalog, Expr};
use tessera_model::Millis;
use tessera_store::{EventText, Store};

use crate::rfm::RfmAccumulator;
use crate::{References, Result};

const NO_ORDINAL: u32 = u32::MAX;
/// Events per message between the reading and the parsing thread.
const CHUNK: usize = 4_096;

/// Events as read from SQLite, before their properties are parsed: their texts end to end in
/// one buffer (a `String` per text cost the reading thread an allocation and a free each).
#[derive(Default)]
struct RawChunk {
    text: String,
    events: Vec<RawEvent>,
}

struct RawEvent {
    ordinal: u32,
    ts: Millis,
    /// Where the event's name, properties and segment context (empty when it has none) end in
    /// the chunk's text; each starts where the one before it ends.
    ends: [u32; 3],
}

impl RawChunk {
    fn push(&mut self, ordinal: u32, name: &str, ts: Millis, text: EventText<'_>) {
        let mut end = |part: &str| {
            self.text.push_str(part);
            u32::try_from(self.text.len()).expect("a chunk's text is far below 4 GiB")
        };
        let ends = [
            end(name),
            end(text.properties),
            end(text.segment_context.unwrap_or("")),
        ];
        self.events.push(RawEvent { ordinal, ts, ends });
    }

    /// Each event with its name and text.
    fn iter(&self) -> impl Iterator<Item = (&RawEvent, &str, EventText<'_>)> {
        let mut start = 0;
        self.events.iter().map(move |event| {
            let [name, properties, context] = event.ends.map(|end| end as usize);
            let parts = (
                &self.text[start..name],
                &self.text[name..properties],
                &self.text[properties..context],
            );
            start = context;
            let text = EventText {
                properties: parts.1,
                segment_context: (!parts.2.is_empty()).then_some(parts.2),
            };
            (event, parts.0, text)
        })
    }
}

/// The engine's index of the store as of an instant, with the catalog to check segments.
pub struct Snapshot {
    pub index: Index,
    pub at: Millis,
    pub catalog: Catalog,
    /// Stored segments and places, read with the data, to expand references.
    pub references: References,
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
    /// behavioural events up to `at`. Three threads: traits are read on a connection of their
    /// own, beside the events; event properties are parsed, and added to the index, on a
    /// second thread while SQLite is read on this one.
    pub fn load(store: &Store, at: Millis) -> Result<Snapshot> {
        let mut builder = IndexBuilder::new();
        // Canonical ids are profile row ids: a vector maps them to ordinals.
        let mut ordinals: Vec<u32> = Vec::new();
        store.for_each_profile(Some(at), |profile| {
            let slot = profile as usize;
            if ordinals.len() <= slot {
                ordinals.resize(slot + 1, NO_ORDINAL);
            }
            ordinals[slot] = builder.add_profile(profile as i64);
        })?;
        let ordinal = |profile: u64| {
            ordinals
                .get(profile as usize)
                .copied()
                .filter(|&o| o != NO_ORDINAL)
        };
        let ordinal = &ordinal;
        let mut traits = builder.take_traits();
        let trait_reader = store.trait_reader()?;
        let (events, traits) = std::thread::scope(|scope| {
            // Reading and merging traits took a fifth of the load on one core while the other
            // idled; here it runs beside the events.
            let trait_thread = scope.spawn(move || -> Result<TraitsBuilder> {
                trait_reader.for_each_trait(Some(at), |profile, name, value| {
                    if let Some(ord) = ordinal(profile) {
                        traits.set_trait(ord, name, value);
                    }
                })?;
                Ok(traits)
            });
            let events = load_events(store, at, builder, ordinal);
            let traits = trait_thread
                .join()
                .map_err(|_| tessera_store::Error::Internal("trait loader panicked".into()));
            (events, traits)
        });
        let (mut builder, rfm) = events?;
        builder.put_traits(traits??);
        // The built-in RFM traits, scored over everyone who purchased in the window.
        for (ordinal, traits) in rfm.traits() {
            for (name, value) in traits {
                builder.set_trait(ordinal as u32, name, value);
            }
        }
        Ok(Snapshot {
            index: builder.finish(),
            at,
            catalog: catalog(store)?,
            references: References::load(store)?,
        })
    }

    /// Members of a checked condition, as engine ordinals. References to stored segments and
    /// places are expanded with what the store held when the snapshot was taken.
    pub fn evaluate(&self, expr: &Expr) -> Result<RoaringBitmap> {
        self.evaluate_with(expr, &self.references)
    }

    /// Members of each checked condition, evaluated side by side on rayon's threads (the
    /// index is read-only), in the order given; event counts several of them test are
    /// computed once (see [`tessera_engine::Index::evaluate_all`]).
    pub fn evaluate_all(&self, exprs: &[&Expr]) -> Result<Vec<RoaringBitmap>> {
        self.evaluate_all_with(exprs, &self.references)
    }

    /// Like [`Snapshot::evaluate_all`], expanding references with `references`.
    pub fn evaluate_all_with(
        &self,
        exprs: &[&Expr],
        references: &References,
    ) -> Result<Vec<RoaringBitmap>> {
        let expanded: Vec<Expr> = exprs
            .iter()
            .map(|expr| references.expand(expr))
            .collect::<Result<_, _>>()?;
        let expanded: Vec<&Expr> = expanded.iter().collect();
        Ok(self.index.evaluate_all(&expanded, self.at)?)
    }

    /// Members of a checked condition, expanding references with `references`.
    pub fn evaluate_with(&self, expr: &Expr, references: &References) -> Result<RoaringBitmap> {
        let expanded = references.expand(expr)?;
        Ok(self.index.evaluate(&expanded, self.at)?)
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

impl Snapshot {
    /// For each profile id, the value of each named trait as of the snapshot's instant, as
    /// segments test it: stored traits and RFM scores as loaded, computed traits and the
    /// built-ins (`local_hour`, `local_weekday`, `last_location`) computed from the profile's
    /// events. `None` where a profile has no value (or is not in the snapshot).
    pub fn trait_values(
        &self,
        store: &Store,
        ids: &[u64],
        names: &[String],
    ) -> Result<Vec<Vec<Option<Value>>>> {
        let computed = crate::references::computed_traits(store)?;
        let at = self.at;
        Ok(ids
            .iter()
            .map(|&id| {
                let Some(data) = self
                    .index
                    .ordinal(id as i64)
                    .and_then(|ord| self.index.profile_data(ord))
                else {
                    return vec![None; names.len()];
                };
                names
                    .iter()
                    .map(|name| {
                        derived_value(name, &computed, &data, at)
                            .unwrap_or_else(|| data.traits.get(name).map(|v| v.to_json()))
                    })
                    .collect()
            })
            .collect())
    }
}

/// Adds every behavioural event up to `at` of the profiles `ordinal` knows to `builder`, and
/// scores their purchases. SQLite is read on this thread; properties are parsed and added on
/// a second one.
fn load_events(
    store: &Store,
    at: Millis,
    mut builder: IndexBuilder,
    ordinal: &(impl Fn(u64) -> Option<u32> + Sync),
) -> Result<(IndexBuilder, RfmAccumulator)> {
    let mut rfm = RfmAccumulator::new(&store.config().rfm, at);
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<RawChunk>(4);
        let worker = scope.spawn(move || -> Result<(IndexBuilder, RfmAccumulator)> {
            let invalid = |e: serde_json::Error| {
                tessera_store::Error::Internal(format!("event properties: {e}"))
            };
            for chunk in rx {
                for (event, name, text) in chunk.iter() {
                    if name == rfm.event() {
                        // Purchases are scored too: read them into a map once.
                        let properties: Map<String, Value> =
                            serde_json::from_str(&text.properties_text()).map_err(invalid)?;
                        rfm.add(event.ordinal.into(), name, event.ts, &properties);
                        builder.add_event(event.ordinal, name, event.ts, &properties);
                        continue;
                    }
                    let context = text.segment_context.map(|c| (EventText::CONTEXT_KEY, c));
                    builder
                        .add_event_json(
                            event.ordinal,
                            name,
                            event.ts,
                            text.properties,
                            context.as_slice(),
                        )
                        .map_err(invalid)?;
                }
            }
            Ok((builder, rfm))
        });
        let mut chunk = RawChunk::default();
        let read = store.for_each_event_parts(Some(at), |profile, name, ts, text| {
            if let Some(ordinal) = ordinal(profile) {
                chunk.push(ordinal, name, ts, text);
                if chunk.events.len() == CHUNK && tx.send(std::mem::take(&mut chunk)).is_err() {
                    // The worker stopped on an error, which `join` reports below.
                    return Err(tessera_store::Error::Internal(
                        "event loader stopped".into(),
                    ));
                }
            }
            Ok(())
        });
        if read.is_ok() && !chunk.events.is_empty() {
            let _ = tx.send(chunk);
        }
        drop(tx);
        let built = worker
            .join()
            .map_err(|_| tessera_store::Error::Internal("event loader panicked".into()))?;
        let built = built?;
        read?;
        Ok(built)
    })
}

/// The traits and events segments can refer to, from the store's schema (cheap: no data read).
pub fn catalog(store: &Store) -> Result<Catalog> {
    let mut catalog = Catalog {
        traits: store.trait_schema()?.into_iter().collect(),
        events: store.event_catalog()?,
        places: store
            .places()?
            .into_iter()
            .map(|p| (p.name, p.tags))
            .collect(),
        segments: store.segments()?.into_iter().map(|s| s.name).collect(),
    };
    crate::rfm::add_to_catalog(&mut catalog);
    for field in tessera_model::LocalField::ALL {
        catalog
            .traits
            .insert(field.name().to_string(), field.trait_type());
    }
    catalog.traits.insert(
        tessera_model::LAST_LOCATION.to_string(),
        tessera_lang::TraitType::Geo,
    );
    for (name, computed) in crate::references::computed_traits(store)? {
        catalog.traits.insert(name, computed.trait_type());
    }
    Ok(catalog)
}

/// One profile read straight from the store as of `at`, in the interpreter's shape (for
/// `explain`, which must see exactly what batch evaluation sees).
/// [`load_profile`] with what evaluating `expr` needs beyond the stored data: the built-in
/// RFM traits (scored over the whole population) when `expr` reads them.
pub fn load_profile_for(
    store: &Store,
    expr: &Expr,
    profile: u64,
    at: Millis,
) -> Result<ProfileData> {
    let mut data = load_profile(store, profile, at)?;
    if crate::rfm::reads_rfm(expr) {
        let mut everyone = crate::rfm::from_store(store, at)?;
        for (name, value) in everyone.remove(&profile).unwrap_or_default() {
            data.traits.insert(name.to_string(), value);
        }
    }
    Ok(data)
}

/// The computed traits (`[computed]` in `tessera.toml`) and the built-in local-time and
/// `last_location` traits of one profile as of `at`, by name, read from the store; `None` where one has no value (a
/// minimum of no events, no time zone…), as the segment tests see them. RFM scores are not
/// here: they need the whole population (`Snapshot`).
pub fn computed_values(
    store: &Store,
    profile: u64,
    at: Millis,
) -> Result<BTreeMap<String, Option<Value>>> {
    let data = load_profile(store, profile, at)?;
    let computed = crate::references::computed_traits(store)?;
    let names = computed
        .keys()
        .map(String::as_str)
        .chain(tessera_engine::interpreter::BUILTIN_TRAITS);
    Ok(names
        .map(|name| {
            let value = derived_value(name, &computed, &data, at).flatten();
            (name.to_string(), value)
        })
        .collect())
}

/// The value of a computed or built-in trait for a profile as of `at`, as segments test it
/// (`Some(None)`: no value); `None` when `name` is neither.
fn derived_value(
    name: &str,
    computed: &BTreeMap<String, tessera_lang::Computed>,
    data: &ProfileData,
    at: Millis,
) -> Option<Option<Value>> {
    if let Some(definition) = computed.get(name) {
        return Some(tessera_engine::interpreter::computed_value(
            definition, data, at,
        ));
    }
    tessera_engine::interpreter::builtin_value(name, data, at).map(|v| v.map(|v| v.to_json()))
}

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
