//! Places (stores, venues) with coordinates and tags, for geographic segment conditions.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Error, Result, Store};

/// A named place. Coordinates are WGS 84 degrees; tags group places (`store`, `outlet`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub tags: Vec<String>,
}

/// Why a place cannot be stored; `field` names the offending part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{field}`: {reason}")]
pub struct InvalidPlace {
    pub field: &'static str,
    pub reason: String,
}

impl Place {
    /// Checks a place before it is stored: a usable name, coordinates in range, simple tags.
    pub fn validate(&self) -> Result<(), InvalidPlace> {
        let invalid = |field, reason: String| Err(InvalidPlace { field, reason });
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            return invalid(
                "name",
                "a place needs a name without control characters".into(),
            );
        }
        if !(-90.0..=90.0).contains(&self.lat) || self.lat.is_nan() {
            return invalid(
                "lat",
                format!("latitude {} is outside -90…90 degrees", self.lat),
            );
        }
        if !(-180.0..=180.0).contains(&self.lon) || self.lon.is_nan() {
            return invalid(
                "lon",
                format!(
                    "longitude {} is outside -180…180 degrees (latitude and longitude swapped?)",
                    self.lon
                ),
            );
        }
        for tag in &self.tags {
            if tag.is_empty()
                || !tag
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.".contains(c))
            {
                return invalid(
                    "tags",
                    format!("tag `{tag}` must be letters, digits, `_`, `-` or `.`"),
                );
            }
        }
        Ok(())
    }

    /// Tags from text such as `store|mall|suburban` (also `;` or `,` separated).
    pub fn parse_tags(text: &str) -> Vec<String> {
        text.split(['|', ';', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Store {
    /// Creates or replaces places (validated first: nothing is stored if one is invalid).
    pub fn upsert_places(&mut self, places: &[Place]) -> Result<()> {
        for place in places {
            place
                .validate()
                .map_err(|e| Error::InvalidPlace(place.name.clone(), e))?;
        }
        let tx = self.conn.transaction()?;
        for place in places {
            tx.prepare_cached(
                "INSERT INTO places (name, lat, lon, tags) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET lat = ?2, lon = ?3, tags = ?4",
            )?
            .execute(params![
                place.name,
                place.lat,
                place.lon,
                place.tags.join("|")
            ])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every place, by name.
    pub fn places(&self) -> Result<Vec<Place>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, lat, lon, tags FROM places ORDER BY name")?;
        let rows = stmt.query_map([], place_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn place(&self, name: &str) -> Result<Option<Place>> {
        Ok(self
            .conn
            .prepare_cached("SELECT name, lat, lon, tags FROM places WHERE name = ?1")?
            .query_row([name], place_row)
            .optional()?)
    }

    /// Removes a place; `false` if there was none of that name.
    pub fn remove_place(&mut self, name: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM places WHERE name = ?1", [name])?
            > 0)
    }
}

fn place_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Place> {
    Ok(Place {
        name: r.get(0)?,
        lat: r.get(1)?,
        lon: r.get(2)?,
        tags: Place::parse_tags(&r.get::<_, String>(3)?),
    })
}
