//! Tessera's segment discovery: profile features, clusters, personas, journeys and charts.
//!
//! ```text
//!  engine Index as of `at`
//!        │ features::extract(FeatureSet from features/*.toml)
//!        ▼
//!  FeatureMatrix (raw values, NaN = missing) ──scaled()──▶ tessera-cluster
//!        │                                                   │ clusters::run → labels
//!        │                                                   ▼
//!        ├──────────────▶ persona::Persona::build(members vs population)   lifts, tests, words
//!        └──────────────▶ clusters::summarize(labels)                       sizes, top features
//!  members ─▶ journey::Journeys::build(goal, steps)                         paths, Sankey, funnel
//!  results ─▶ chart::{Scatter, ChooseKChart, Heatmap, Bars, Sankey}.save(path.svg | path.png)
//! ```
//!
//! Everything is computed as of an instant from an [`tessera_engine::Index`] (the service's
//! `Snapshot::index`), so results are deterministic and reproducible. This crate reads no
//! store and knows no command line.
//!
//! ```
//! use roaring::RoaringBitmap;
//! use serde_json::{json, Map};
//! use tessera_discover::persona::{Persona, PersonaOptions};
//! use tessera_discover::{extract, FeatureSet};
//! use tessera_engine::{EventData, Index, ProfileData};
//! use tessera_model::DAY_MS;
//!
//! let at = 100 * DAY_MS;
//! let order = |day: i64, revenue: f64| {
//!     let props: Map<_, _> = json!({"revenue": revenue}).as_object().cloned().unwrap();
//!     EventData::new("Order Completed", day * DAY_MS, props)
//! };
//! let buyer = ProfileData { events: vec![order(90, 40.0), order(99, 60.0)], ..Default::default() };
//! let index = Index::from_profiles(&[(1, buyer), (2, ProfileData::default())]);
//!
//! let set = FeatureSet::parse("rfm.toml", r#"
//!     name = "rfm"
//!     [[feature]]
//!     kind = "recency"
//!     fill = 365
//!     [[feature]]
//!     kind = "monetary"
//!     window = "30d"
//! "#)?;
//! let features = extract(&index, at, &set)?;
//! assert_eq!(features.data.row(0).to_vec(), [1.0, 100.0]);   // bought a day ago, spent 100
//! assert_eq!(features.data.row(1).to_vec(), [365.0, 0.0]);   // never bought: the fill
//!
//! let buyers: RoaringBitmap = [0].into_iter().collect();
//! let persona = Persona::build(&index, at, &buyers, Some(&features), &PersonaOptions::default())?;
//! assert_eq!((persona.size, persona.orders, persona.average_order_value), (1, 2, Some(50.0)));
//! # Ok::<(), tessera_discover::Error>(())
//! ```

pub mod chart;
pub mod clusters;
pub mod error;
pub mod features;
pub mod journey;
pub mod persona;
pub mod stats;

mod profile;

pub use error::{Error, Result};
pub use features::{extract, FeatureMatrix, FeatureSet};
