//! Tessera's data model: the nouns every other crate speaks in.
//!
//! This crate holds plain data types and their parsing from text; it knows nothing of storage,
//! evaluation or HTTP. Times are milliseconds since the Unix epoch in UTC ([`Millis`]) everywhere.

mod consent;
mod event;
mod identifier;
pub mod local_time;
mod time;
mod traits;

pub use consent::{ConsentPurpose, Consents};
pub use event::{
    channel, context_point, segment_context, Campaign, Device, EventContext, EventKind,
    EventRecord, CONTEXT_LATITUDE, CONTEXT_LONGITUDE, LAST_LOCATION,
};
pub use identifier::{Identifier, IdentifierKind};
pub use local_time::LocalField;
pub use time::{format_millis, parse_timestamp, Millis, DAY_MS, HOUR_MS, MINUTE_MS};
pub use traits::{GeoPoint, TraitType, TraitValue, EARTH_RADIUS_M};
