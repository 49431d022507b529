//! Real-time membership inside the server: stored segments kept current as messages commit
//! and as time passes, with every enter and exit recorded in the store's membership history.
//!
//! Owned by the writer thread, so it sees commits in order and needs no lock. After a restart
//! it is rebuilt from the store, and the differences from the stored memberships (changes
//! that became due while the server was down) are recorded at once.

use std::collections::{BTreeSet, HashMap};

use tessera_engine::{EventData, ProfileData};
use tessera_model::Millis;
use tessera_realtime::{Change, ChangeKind, Realtime};
use tessera_store::{MembershipChange, Outcome, Record, Store};

pub(crate) struct Live {
    realtime: Realtime,
    /// The stored definitions it was built from, to notice `segment apply`.
    definitions: Vec<(String, String)>,
    /// The places it was built with (conditions may measure distances to them).
    places: Vec<tessera_store::Place>,
    /// When some segment reads the RFM traits: their configuration and last refresh.
    rfm: Option<(tessera_store::RfmSection, Millis)>,
    /// Event names some segment reads: other events are not kept in memory.
    wanted_events: BTreeSet<String>,
}

/// How often real-time RFM scores are recomputed (they are population-relative, so every
/// purchase may move everyone's quintiles; between refreshes they keep their last values).
pub(crate) const RFM_REFRESH_MS: Millis = 10 * 60 * 1_000;

/// RFM traits of the profiles, scored over them all.
fn rfm_traits<'a>(
    config: &tessera_store::RfmSection,
    profiles: impl IntoIterator<Item = (u64, &'a ProfileData)>,
    now: Millis,
) -> HashMap<u64, Vec<(&'static str, tessera_model::TraitValue)>> {
    let mut acc = tessera_service::rfm::RfmAccumulator::new(config, now);
    for (profile, data) in profiles {
        for event in &data.events {
            acc.add(profile, &event.name, event.ts, &event.properties);
        }
    }
    acc.traits()
}

impl Live {
    /// Builds the state from the store as of `now`; returns it with the membership changes
    /// that differ from what the store holds.
    pub(crate) fn load(
        store: &Store,
        now: Millis,
    ) -> Result<(Live, Vec<MembershipChange>), tessera_store::Error> {
        let stored = store.segments()?;
        let references = tessera_service::References::load(store)
            .map_err(|e| tessera_store::Error::Internal(e.to_string()))?;
        let mut segments = Vec::new();
        for segment in &stored {
            let parsed = tessera_lang::parse(&segment.condition);
            if tessera_lang::has_errors(&parsed.diagnostics) {
                tracing::error!(segment = %segment.name, "stored condition does not parse; it is not evaluated in real time");
                continue;
            }
            // Referenced segments and places are expanded: real time then sees only traits
            // and events, and a change to a referenced definition or place rebuilds it.
            match references.expand(&parsed.expr) {
                Ok(expr) => segments.push((segment.name.clone(), expr)),
                Err(e) => {
                    tracing::error!(segment = %segment.name, error = %e, "stored condition cannot be expanded; it is not evaluated in real time")
                }
            }
        }
        let rfm_config = store.config().rfm.clone();
        let uses_rfm = segments
            .iter()
            .any(|(_, expr)| tessera_service::rfm::reads_rfm(expr));
        let mut wanted_events: BTreeSet<String> = segments
            .iter()
            .flat_map(|(_, expr)| {
                expr.event_names()
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        if uses_rfm {
            // RFM is refreshed from the purchases kept in memory.
            wanted_events.insert(rfm_config.event.clone());
        }
        let mut profiles: HashMap<u64, ProfileData> = HashMap::new();
        store.for_each_profile(None, |p| {
            profiles.insert(p, ProfileData::default());
        })?;
        store.for_each_trait(None, |p, name, value| {
            if let Some(data) = profiles.get_mut(&p) {
                data.traits.insert(name.to_string(), value);
            }
        })?;
        store.for_each_event(None, |p, name, ts, properties| {
            if wanted_events.contains(name) {
                if let Some(data) = profiles.get_mut(&p) {
                    data.events
                        .push(EventData::new(name, ts, properties.clone()));
                }
            }
        })?;
        if uses_rfm {
            let scored = rfm_traits(&rfm_config, profiles.iter().map(|(p, d)| (*p, d)), now);
            for (profile, data) in profiles.iter_mut() {
                for (name, value) in scored.get(profile).cloned().unwrap_or_default() {
                    data.traits.insert(name.to_string(), value);
                }
            }
        }
        let mut realtime = Realtime::new(segments);
        for (profile, data) in profiles {
            realtime.load_profile(profile, data, now);
        }
        let definitions = stored.into_iter().map(|s| (s.name, s.condition)).collect();
        let live = Live {
            realtime,
            definitions,
            places: references.places,
            rfm: uses_rfm.then_some((rfm_config, now)),
            wanted_events,
        };
        let changes = live.reconcile(store, now)?;
        Ok((live, changes))
    }

    /// Changes that bring the stored memberships to the real-time ones, stamped `now`.
    fn reconcile(
        &self,
        store: &Store,
        now: Millis,
    ) -> Result<Vec<MembershipChange>, tessera_store::Error> {
        let mut changes = Vec::new();
        for (index, name) in self.realtime.segment_names().iter().enumerate() {
            let stored: BTreeSet<u64> = store.members(name)?.into_iter().collect();
            let live: BTreeSet<u64> = self.realtime.members(index).collect();
            changes.extend(
                live.difference(&stored)
                    .map(|p| MembershipChange::new(name, *p, true, now)),
            );
            changes.extend(
                stored
                    .difference(&live)
                    .map(|p| MembershipChange::new(name, *p, false, now)),
            );
        }
        Ok(changes)
    }

    /// Follows a batch's stored records (inside its transaction, so `store` reads them):
    /// merges, events and trait updates of their profiles.
    pub(crate) fn follow(
        &mut self,
        store: &Store,
        committed: &[(&Record, &Outcome)],
        now: Millis,
    ) -> Result<Vec<MembershipChange>, tessera_store::Error> {
        let mut changes = Vec::new();
        for (record, outcome) in committed {
            let Outcome::Stored { profile, merged } = outcome else {
                continue;
            };
            let profile = *profile;
            for from in merged {
                changes.extend(self.realtime.merge_profiles(*from, profile, now));
            }
            if self.realtime.profile(profile).is_none() {
                // A person Tessera has not seen before: known from now on, so that conditions
                // such as `not did(…)` hold for them as they do in batch evaluation.
                changes.extend(
                    self.realtime
                        .load_profile(profile, ProfileData::default(), now),
                );
            }
            if !record.traits.is_empty() {
                // Traits as the store merged them (types, merge rules), not as sent.
                // Only the traits this record set, so that only segments reading them are
                // re-evaluated.
                let mut traits = store.profile_traits(profile, None)?;
                traits.retain(|name, _| record.traits.iter().any(|(sent, _)| sent == name));
                changes.extend(self.realtime.on_traits(profile, traits, now));
            }
            if record.kind.is_behavioural() && self.wanted_events.contains(&record.name) {
                // As the store hands events to batch evaluation: with the segment context
                // under `context`, unless a property of that name exists.
                let mut properties = record.properties.clone();
                if !properties.contains_key("context") {
                    if let Some(context) = tessera_model::segment_context(&record.context) {
                        properties.insert("context".into(), serde_json::Value::Object(context));
                    }
                }
                let event = EventData::new(record.name.clone(), record.timestamp, properties);
                changes.extend(self.realtime.on_event(profile, event, now));
            }
        }
        Ok(self.to_membership(changes))
    }

    /// Time passes; reloads everything when the stored segment definitions changed.
    pub(crate) fn tick(
        &mut self,
        store: &Store,
        now: Millis,
    ) -> Result<Vec<MembershipChange>, tessera_store::Error> {
        let definitions: Vec<(String, String)> = store
            .segments()?
            .into_iter()
            .map(|s| (s.name, s.condition))
            .collect();
        if definitions != self.definitions || store.places()? != self.places {
            tracing::info!("segment definitions or places changed: rebuilding real-time state");
            let (live, changes) = Live::load(store, now)?;
            *self = live;
            return Ok(changes);
        }
        let mut changes = self.realtime.advance(now);
        if let Some((config, refreshed)) = &self.rfm {
            if now - refreshed >= RFM_REFRESH_MS {
                let config = config.clone();
                changes.extend(self.refresh_rfm(&config, now));
                self.rfm = Some((config, now));
            }
        }
        Ok(self.to_membership(changes))
    }

    /// Rescores RFM over everyone known (scores are relative to the population, so one
    /// purchase can move others' quintiles) and applies the differences.
    fn refresh_rfm(&mut self, config: &tessera_store::RfmSection, now: Millis) -> Vec<Change> {
        let scored = rfm_traits(config, self.realtime.profiles(), now);
        let names: Vec<&str> = tessera_service::rfm::RFM_TRAITS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        // Decided while reading the state, applied after: only differences are re-evaluated.
        let mut updates = Vec::new();
        let mut removals = Vec::new();
        for (profile, data) in self.realtime.profiles() {
            match scored.get(&profile) {
                Some(traits) => {
                    let changed: std::collections::BTreeMap<String, tessera_model::TraitValue> =
                        traits
                            .iter()
                            .filter(|(name, value)| data.traits.get(*name) != Some(value))
                            .map(|(name, value)| (name.to_string(), value.clone()))
                            .collect();
                    if !changed.is_empty() {
                        updates.push((profile, changed));
                    }
                }
                None if names.iter().any(|n| data.traits.contains_key(*n)) => {
                    removals.push(profile)
                }
                None => {}
            }
        }
        let mut changes = Vec::new();
        for (profile, changed) in updates {
            changes.extend(self.realtime.on_traits(profile, changed, now));
        }
        for profile in removals {
            changes.extend(self.realtime.remove_traits(profile, &names, now));
        }
        changes
    }

    /// An erased profile leaves every segment; nothing about it is recorded.
    pub(crate) fn forget(&mut self, profile: u64, now: Millis) {
        self.realtime.remove_profile(profile, now);
    }

    fn to_membership(&self, changes: Vec<Change>) -> Vec<MembershipChange> {
        let names = self.realtime.segment_names();
        changes
            .into_iter()
            .map(|c| {
                MembershipChange::new(
                    &names[c.segment],
                    c.profile,
                    c.kind == ChangeKind::Enter,
                    c.at,
                )
            })
            .collect()
    }
}
