//! Reading the store: canonical profiles with merged traits, events, catalogs and profile views.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};
use tessera_model::{
    ConsentPurpose, Consents, Identifier, IdentifierKind, Millis, TraitType, TraitValue,
};

use crate::{Error, Result, Store};

/// One profile's behavioural events, oldest first: (name, time, properties).
pub type EventRows = Vec<(String, Millis, Map<String, Value>)>;

/// Everything the store knows about one person, for `profile show` and access requests.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub profile: u64,
    /// Profile rows merged into this one (including itself).
    pub records: Vec<u64>,
    pub identifiers: Vec<Identifier>,
    pub traits: BTreeMap<String, Value>,
    pub consents: Consents,
    pub segments: Vec<String>,
    pub merges: Vec<MergeView>,
    pub event_count: u64,
    /// The most recent events, newest first: (time, kind, name, properties).
    pub recent_events: Vec<(String, String, String, Value)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MergeView {
    pub at: String,
    pub from: u64,
    pub into: u64,
    pub via: String,
    pub reason: String,
}

/// Sizes of the store's tables.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreStats {
    pub profiles: u64,
    pub profile_records: u64,
    pub identifiers: u64,
    pub events: u64,
    pub trait_observations: u64,
    pub merges: u64,
    pub identity_conflicts: u64,
    pub segments: u64,
}

impl Store {
    /// The number of people: canonical profiles.
    pub fn profile_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM profiles WHERE canonical = id")?
            .query_row([], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn stats(&self) -> Result<StoreStats> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(StoreStats {
            profiles: count("SELECT count(*) FROM profiles WHERE canonical = id")?,
            profile_records: count("SELECT count(*) FROM profiles")?,
            identifiers: count("SELECT count(*) FROM identifiers")?,
            events: count("SELECT count(*) FROM events")?,
            trait_observations: count("SELECT count(*) FROM trait_values")?,
            merges: count("SELECT count(*) FROM merges")?,
            identity_conflicts: count("SELECT count(*) FROM identity_conflicts")?,
            segments: count("SELECT count(*) FROM segments")?,
        })
    }

    /// Declared trait types.
    pub fn trait_schema(&self) -> Result<Vec<(String, TraitType)>> {
        trait_schema(&self.conn)
    }

    /// Event names seen (behavioural events only), each with the property keys seen.
    pub fn event_catalog(&self) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, property FROM event_catalog")?;
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (name, property) = row?;
            let props = out.entry(name).or_default();
            if !property.is_empty() {
                props.insert(property);
            }
        }
        Ok(out)
    }

    /// The canonical profile an identifier points at.
    pub fn find_profile(&self, id: &Identifier) -> Result<Option<u64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT p.canonical FROM identifiers i JOIN profiles p ON p.id = i.profile_id
                 WHERE i.kind = ?1 AND i.value = ?2",
                params![id.kind.as_str(), id.value],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Like [`Store::find_profile`], but also accepts a bare profile number (`#42` or `42`
    /// when no user id `42` exists) and reports a missing profile as an error.
    pub fn resolve_profile(&self, text: &str) -> Result<u64> {
        let id: Identifier = text.parse().map_err(Error::ProfileNotFound)?;
        if let Some(p) = self.find_profile(&id)? {
            return Ok(p);
        }
        let number = text.strip_prefix('#').unwrap_or(text);
        if let Ok(n) = number.parse::<u64>() {
            let canonical: Option<u64> = self
                .conn
                .query_row("SELECT canonical FROM profiles WHERE id = ?1", [n], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(c) = canonical {
                return Ok(c);
            }
        }
        Err(Error::ProfileNotFound(id.to_string()))
    }

    /// Canonical profiles that existed at `at` (first seen at or before it), in id order.
    pub fn for_each_profile(&self, at: Option<Millis>, mut f: impl FnMut(u64)) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM profiles WHERE canonical = id AND created_at <= ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([at.unwrap_or(i64::MAX)])?;
        while let Some(row) = rows.next()? {
            f(row.get(0)?);
        }
        Ok(())
    }

    /// Every canonical profile's traits as of `at`, merged across its records by the
    /// configured rules. Within one record the latest observation is its value (the earliest
    /// for `first`, the greatest for `max`); across records the rule combines them.
    pub fn for_each_trait(
        &self,
        at: Option<Millis>,
        f: impl FnMut(u64, &str, TraitValue),
    ) -> Result<()> {
        self.merged_traits(at, None, f)
    }

    fn merged_traits(
        &self,
        at: Option<Millis>,
        only: Option<u64>,
        f: impl FnMut(u64, &str, TraitValue),
    ) -> Result<()> {
        crate::trait_read::merged_traits(&self.conn, &self.config, at, only, f)
    }

    /// The canonical profile of every profile row, indexed by row id (0 where no row).
    pub fn canonical_ids(&self) -> Result<Vec<u64>> {
        canonical_ids(&self.conn)
    }

    /// Every behavioural event (track, page, screen) at or before `at`, with its canonical
    /// profile, in storage order; properties as parsed JSON.
    pub fn for_each_event(
        &self,
        at: Option<Millis>,
        mut f: impl FnMut(u64, &str, Millis, &Map<String, Value>),
    ) -> Result<()> {
        self.for_each_event_json(at, |profile, name, ts, json| {
            let props: Map<String, Value> = serde_json::from_str(json)
                .map_err(|e| Error::Internal(format!("event properties: {e}")))?;
            f(profile, name, ts, &props);
            Ok(())
        })
    }

    /// Like [`Store::for_each_event`], with the properties as JSON text, so that a caller can
    /// parse them on another thread. Rows are read in storage order without a join: the
    /// canonical profile comes from [`Store::canonical_ids`].
    pub fn for_each_event_json(
        &self,
        at: Option<Millis>,
        mut f: impl FnMut(u64, &str, Millis, &str) -> Result<()>,
    ) -> Result<()> {
        self.for_each_event_parts(at, |profile, name, ts, parts| {
            f(profile, name, ts, &parts.properties_text())
        })
    }

    /// Like [`Store::for_each_event_json`], with the event's summary of its `context` apart
    /// from its properties, as stored: a caller that reads the JSON itself saves printing
    /// them together ([`EventText::properties_text`] does that).
    pub fn for_each_event_parts(
        &self,
        at: Option<Millis>,
        mut f: impl FnMut(u64, &str, Millis, EventText<'_>) -> Result<()>,
    ) -> Result<()> {
        let canonical = self.canonical_ids()?;
        let mut stmt = self.conn.prepare(
            // In store order: events of one person at one instant keep the order they were
            // stored in, which `first`/`last` of equal times depend on (a scan in row order,
            // so the ORDER BY costs no sort).
            "SELECT profile_id, name, ts, properties, segment_context, payload FROM events
             WHERE kind IN ('track', 'page', 'screen') AND ts <= ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([at.unwrap_or(i64::MAX)])?;
        // A decoder of its own: the caller may read by profile meanwhile.
        let mut decoder = crate::payload::PayloadDecoder::new();
        while let Some(row) = rows.next()? {
            let record = row.get::<_, i64>(0)? as usize;
            let person = canonical.get(record).copied().unwrap_or(0);
            if person == 0 {
                return Err(Error::Internal(format!(
                    "event of profile row {record}, which does not exist"
                )));
            }
            let (properties, segment_context) = match row.get_ref(5)?.as_blob_or_null()? {
                Some(payload) => {
                    let parts = decoder.decode(&self.conn, payload)?;
                    (parts.properties, parts.segment_context)
                }
                None => (row.get_ref(3)?.as_str()?, row.get_ref(4)?.as_str_or_null()?),
            };
            let text = EventText {
                properties,
                segment_context,
            };
            f(person, row.get_ref(1)?.as_str()?, row.get(2)?, text)?;
        }
        drop(rows);
        drop(stmt);
        // The scan filled the page cache (256 MiB) with event pages nothing reads next; give
        // the memory back rather than hold it beside the caller's index of the same events.
        self.conn.execute_batch("PRAGMA shrink_memory")?;
        Ok(())
    }

    /// One canonical profile's traits (merged, as of `at`) and behavioural events.
    pub fn profile_data(
        &self,
        profile: u64,
        at: Option<Millis>,
    ) -> Result<(BTreeMap<String, TraitValue>, EventRows)> {
        // Shares the merge logic with the batch loader, so that `explain` sees exactly what
        // batch evaluation sees.
        let traits = self.profile_traits(profile, at)?;
        let at = at.unwrap_or(i64::MAX);
        let mut events = Vec::new();
        for event in self.events_of_records(&self.records_of(profile)?)? {
            let behavioural =
                tessera_model::EventKind::parse(&event.kind).is_some_and(|k| k.is_behavioural());
            if !behavioural || event.ts > at {
                continue;
            }
            let props = match &event.segment_context {
                Some(context) => with_segment_context(&event.properties, context),
                None => std::borrow::Cow::Borrowed(event.properties.as_str()),
            };
            let props = serde_json::from_str(&props)
                .map_err(|e| Error::Internal(format!("event properties: {e}")))?;
            events.push((event.name, event.ts, props));
        }
        Ok((traits, events))
    }

    /// One canonical profile's traits, merged, as of `at` (now if `None`).
    pub fn profile_traits(
        &self,
        profile: u64,
        at: Option<Millis>,
    ) -> Result<BTreeMap<String, TraitValue>> {
        let mut traits = BTreeMap::new();
        self.merged_traits(at, Some(profile), |_, name, value| {
            traits.insert(name.to_string(), value);
        })?;
        Ok(traits)
    }

    /// The full view of one canonical profile.
    pub fn profile_view(&self, profile: u64, recent: usize) -> Result<ProfileView> {
        let records = self.records_of(profile)?;
        if records.is_empty() {
            return Err(Error::ProfileNotFound(format!("#{profile}")));
        }
        let identifiers = self
            .conn
            .prepare(
                "SELECT i.kind, i.value FROM identifiers i JOIN profiles p ON p.id = i.profile_id
                 WHERE p.canonical = ?1 ORDER BY i.kind, i.value",
            )?
            .query_map([profile], |r| {
                Ok(Identifier::new(
                    IdentifierKind::from(r.get::<_, String>(0)?),
                    r.get::<_, String>(1)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let traits = self.profile_traits(profile, None)?;
        let traits = traits.into_iter().map(|(k, v)| (k, v.to_json())).collect();
        let mut consents = Consents::default();
        let mut stmt = self.conn.prepare(
            "SELECT c.purpose, c.granted FROM consents c JOIN profiles p ON p.id = c.profile_id
             WHERE p.canonical = ?1 ORDER BY c.ts, c.seq",
        )?;
        for row in stmt.query_map([profile], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
        })? {
            let (purpose, granted) = row?;
            if let Ok(purpose) = purpose.parse::<ConsentPurpose>() {
                consents.set(purpose, granted);
            }
        }
        let segments = self
            .conn
            .prepare(
                "SELECT DISTINCT m.segment FROM memberships m JOIN profiles p ON p.id = m.profile_id
                 WHERE p.canonical = ?1 ORDER BY m.segment",
            )?
            .query_map([profile], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let merges = self
            .conn
            .prepare(
                "SELECT ts, from_id, into_id, via_kind, via_value, reason FROM merges
                 WHERE into_id IN (SELECT id FROM profiles WHERE canonical = ?1) ORDER BY seq",
            )?
            .query_map([profile], |r| {
                Ok(MergeView {
                    at: tessera_model::format_millis(r.get(0)?),
                    from: r.get(1)?,
                    into: r.get(2)?,
                    via: format!("{}:{}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                    reason: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let events = self.events_of_records(&records)?;
        let event_count = events.len();
        let recent_events = events
            .into_iter()
            .rev()
            .take(recent)
            .map(|e| {
                (
                    tessera_model::format_millis(e.ts),
                    e.kind,
                    e.name,
                    serde_json::from_str(&e.properties).unwrap_or(Value::Null),
                )
            })
            .collect();
        Ok(ProfileView {
            profile,
            records,
            identifiers,
            traits,
            consents,
            segments,
            merges,
            event_count: event_count as u64,
            recent_events,
        })
    }

    /// The identifiers of a canonical profile (including merged records), sorted.
    pub fn identifiers(&self, profile: u64) -> Result<Vec<Identifier>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.kind, i.value FROM identifiers i JOIN profiles p ON p.id = i.profile_id
             WHERE p.canonical = ?1 ORDER BY i.kind, i.value",
        )?;
        let rows = stmt.query_map([profile], |r| {
            Ok(Identifier::new(
                IdentifierKind::from(r.get::<_, String>(0)?),
                r.get::<_, String>(1)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Canonical profiles whose latest statement for `purpose` grants it.
    pub fn consent_granted(&self, purpose: ConsentPurpose) -> Result<Vec<u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.canonical, c.granted FROM consents c JOIN profiles p ON p.id = c.profile_id
             WHERE c.purpose = ?1 ORDER BY p.canonical, c.ts, c.seq",
        )?;
        let mut rows = stmt.query([purpose.as_str()])?;
        let mut out: Vec<u64> = Vec::new();
        let mut current: Option<(u64, bool)> = None;
        while let Some(row) = rows.next()? {
            let (profile, granted): (u64, bool) = (row.get(0)?, row.get(1)?);
            if let Some((p, g)) = current {
                if p != profile && g {
                    out.push(p);
                }
            }
            current = Some((profile, granted));
        }
        if let Some((p, true)) = current {
            out.push(p);
        }
        Ok(out)
    }
}

/// Event properties as segments see them: the stored properties with the event's segment
/// context (`tessera_model::segment_context`) under `context`, unless the properties have a
/// `context` of their own, which wins. Both texts are JSON objects written by this crate; the
/// context goes first so that a property named `context` later in the text overrides it (a
/// JSON object's last duplicate key wins when parsed).
pub(crate) fn canonical_ids(conn: &Connection) -> Result<Vec<u64>> {
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM profiles", [], |r| {
        r.get(0)
    })?;
    let mut ids = vec![0u64; max as usize + 1];
    let mut stmt = conn.prepare("SELECT id, canonical FROM profiles")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        ids[row.get::<_, i64>(0)? as usize] = row.get(1)?;
    }
    Ok(ids)
}

pub(crate) fn trait_schema(conn: &Connection) -> Result<Vec<(String, TraitType)>> {
    let mut stmt = conn.prepare("SELECT name, type FROM trait_schema ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, ty) = row?;
        let ty = ty
            .parse()
            .map_err(|e: String| Error::Internal(format!("trait_schema: {e}")))?;
        out.push((name, ty));
    }
    Ok(out)
}

/// An event's properties as stored: a JSON object, and the summary of its `context` that
/// segments read as the property `context` when the properties have no member of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventText<'a> {
    pub properties: &'a str,
    /// A JSON object, when the event had a context.
    pub segment_context: Option<&'a str>,
}

impl<'a> EventText<'a> {
    /// The property the segment context is read as.
    pub const CONTEXT_KEY: &'static str = "context";

    /// The properties segments read, as one JSON object.
    pub fn properties_text(&self) -> std::borrow::Cow<'a, str> {
        match self.segment_context {
            Some(context) => with_segment_context(self.properties, context),
            None => std::borrow::Cow::Borrowed(self.properties),
        }
    }
}

pub(crate) fn with_segment_context<'a>(
    properties: &'a str,
    context: &str,
) -> std::borrow::Cow<'a, str> {
    match properties.strip_prefix('{') {
        Some(rest) if rest.trim_start().starts_with('}') => {
            format!("{{\"context\":{context}}}").into()
        }
        Some(rest) => format!("{{\"context\":{context},{rest}").into(),
        // Not an object (never written so): left as it is.
        None => std::borrow::Cow::Borrowed(properties),
    }
}
