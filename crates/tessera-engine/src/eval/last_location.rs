//! `last_location`: the point of each profile's latest event with a `context.location`
//! ([`crate::data::last_location`] is the definition), tested like a geo trait.

use roaring::RoaringBitmap;
use tessera_lang::ValueTest;
use tessera_model::{GeoPoint, Millis, TraitValue, CONTEXT_LATITUDE, CONTEXT_LONGITUDE};

use super::latest;
use crate::index::bitmaps::BitmapSink;
use crate::index::events::PropColumn;
use crate::index::json_dict::DictValue;
use crate::index::Index;
use crate::interpreter::trait_test_holds;

/// The profiles of `scope` whose last location passes any of `tests` (one test, or the
/// `within` tests of an expanded `any place tagged`).
pub(super) fn evaluate(
    index: &Index,
    tests: &[&ValueTest],
    at: Millis,
    scope: &RoaringBitmap,
) -> RoaringBitmap {
    let tables = latest::tables_with(index, &[CONTEXT_LATITUDE, CONTEXT_LONGITUDE], |table| {
        (
            &table.columns[CONTEXT_LATITUDE],
            &table.columns[CONTEXT_LONGITUDE],
        )
    });
    let points = latest::per_profile(
        &tables,
        at,
        scope,
        |(lat, lon): &(&PropColumn, &PropColumn), row| {
            tessera_model::context_point(
                lat.value(row).map(DictValue::to_json).as_ref(),
                lon.value(row).map(DictValue::to_json).as_ref(),
            )
        },
    );
    let mut out = BitmapSink::default();
    for (ord, point) in scope.iter().zip(points) {
        let value = point.map(|p: GeoPoint| TraitValue::Geo(p));
        if tests
            .iter()
            .any(|test| trait_test_holds(test, value.as_ref()))
        {
            out.push(ord);
        }
    }
    out.finish()
}
