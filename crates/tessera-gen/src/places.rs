//! The chain's geography: the cities customers live in and the stores they shop at.

use std::io::{self, Write};

/// How built-up a city is; the CRM's `city_tier` trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Urban,
    Suburban,
    Rural,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Urban => "urban",
            Tier::Suburban => "suburban",
            Tier::Rural => "rural",
        }
    }
}

#[derive(Debug)]
pub struct City {
    pub name: &'static str,
    pub tier: Tier,
    pub lat: f64,
    pub lon: f64,
    pub timezone: &'static str,
    /// Standard-time offset from UTC in hours. Daylight saving is ignored: it only shifts the
    /// time of day of activity by an hour, which no demo segment looks at.
    pub utc_offset: i64,
    /// Two local area codes, so that phone numbers stay unique for up to 16M customers a city.
    pub area_codes: [u16; 2],
    /// Share of customers living here (relative).
    pub weight: f64,
    /// Multiplier on store visits: customers far from any store rarely appear in POS data.
    pub store_access: f64,
}

pub const CITIES: [City; 8] = [
    City {
        name: "San Francisco",
        tier: Tier::Urban,
        lat: 37.7749,
        lon: -122.4194,
        timezone: "America/Los_Angeles",
        utc_offset: -8,
        area_codes: [415, 628],
        weight: 15.0,
        store_access: 1.0,
    },
    City {
        name: "New York",
        tier: Tier::Urban,
        lat: 40.7128,
        lon: -74.0060,
        timezone: "America/New_York",
        utc_offset: -5,
        area_codes: [212, 646],
        weight: 18.0,
        store_access: 1.0,
    },
    City {
        name: "Chicago",
        tier: Tier::Urban,
        lat: 41.8781,
        lon: -87.6298,
        timezone: "America/Chicago",
        utc_offset: -6,
        area_codes: [312, 773],
        weight: 13.0,
        store_access: 1.0,
    },
    City {
        name: "Austin",
        tier: Tier::Urban,
        lat: 30.2672,
        lon: -97.7431,
        timezone: "America/Chicago",
        utc_offset: -6,
        area_codes: [512, 737],
        weight: 9.0,
        store_access: 0.9,
    },
    City {
        name: "Naperville",
        tier: Tier::Suburban,
        lat: 41.7508,
        lon: -88.1535,
        timezone: "America/Chicago",
        utc_offset: -6,
        area_codes: [630, 331],
        weight: 15.0,
        store_access: 0.9,
    },
    City {
        name: "Plano",
        tier: Tier::Suburban,
        lat: 33.0198,
        lon: -96.6989,
        timezone: "America/Chicago",
        utc_offset: -6,
        area_codes: [972, 469],
        weight: 15.0,
        store_access: 0.9,
    },
    City {
        name: "Bozeman",
        tier: Tier::Rural,
        lat: 45.6770,
        lon: -111.0429,
        timezone: "America/Denver",
        utc_offset: -7,
        area_codes: [406, 406],
        weight: 8.0,
        store_access: 0.7,
    },
    City {
        name: "Hood River",
        tier: Tier::Rural,
        lat: 45.7054,
        lon: -121.5215,
        timezone: "America/Los_Angeles",
        utc_offset: -8,
        area_codes: [541, 458],
        weight: 7.0,
        // No store in town: only trips to Portland-area or out-of-state stores show up.
        store_access: 0.15,
    },
];

#[derive(Debug)]
pub struct Store {
    pub id: &'static str,
    /// The place name segments refer to (`downtown`).
    pub name: &'static str,
    pub city: usize,
    pub lat: f64,
    pub lon: f64,
    pub tags: &'static str,
}

pub const STORES: [Store; 10] = [
    store(
        "S01",
        "downtown",
        0,
        37.7880,
        -122.4075,
        "store|flagship|downtown",
    ),
    store(
        "S02",
        "mission",
        0,
        37.7599,
        -122.4148,
        "store|neighborhood",
    ),
    store(
        "S03",
        "soho",
        1,
        40.7233,
        -74.0030,
        "store|flagship|downtown",
    ),
    store(
        "S04",
        "brooklyn",
        1,
        40.6782,
        -73.9442,
        "store|neighborhood",
    ),
    store(
        "S05",
        "the-loop",
        2,
        41.8837,
        -87.6289,
        "store|flagship|downtown",
    ),
    store(
        "S06",
        "wicker-park",
        2,
        41.9088,
        -87.6796,
        "store|neighborhood",
    ),
    store(
        "S07",
        "south-congress",
        3,
        30.2500,
        -97.7494,
        "store|neighborhood",
    ),
    store(
        "S08",
        "naperville",
        4,
        41.7724,
        -88.1479,
        "store|mall|suburban",
    ),
    store(
        "S09",
        "plano-outlet",
        5,
        33.0773,
        -96.8236,
        "store|outlet|suburban",
    ),
    store(
        "S10",
        "bozeman-main",
        6,
        45.6793,
        -111.0373,
        "store|small|rural",
    ),
];

const fn store(
    id: &'static str,
    name: &'static str,
    city: usize,
    lat: f64,
    lon: f64,
    tags: &'static str,
) -> Store {
    Store {
        id,
        name,
        city,
        lat,
        lon,
        tags,
    }
}

/// The stores in a city (empty for a city without one).
pub fn stores_in(city: usize) -> impl Iterator<Item = usize> {
    (0..STORES.len()).filter(move |&s| STORES[s].city == city)
}

/// Writes `stores.csv`; returns the number of rows.
pub fn write_stores(out: impl Write) -> io::Result<u64> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["store_id", "name", "lat", "lon", "tags"])?;
    for s in &STORES {
        let (lat, lon) = (format!("{:.4}", s.lat), format!("{:.4}", s.lon));
        writer.write_record([s.id, s.name, &lat, &lon, s.tags])?;
    }
    writer.flush()?;
    Ok(STORES.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_is_near_its_city_and_downtown_exists() {
        for s in &STORES {
            let c = &CITIES[s.city];
            assert!(
                (s.lat - c.lat).abs() < 0.2 && (s.lon - c.lon).abs() < 0.2,
                "{}",
                s.id
            );
        }
        assert_eq!(STORES.iter().filter(|s| s.name == "downtown").count(), 1);
    }
}
