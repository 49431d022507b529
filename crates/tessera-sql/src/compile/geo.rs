//! `within D of point(lat, lon)` on a row of `traits` (alias `t`): the great-circle distance
//! of `tessera_model::GeoPoint::distance_m`, step by step, with functions every dialect has
//! (`sin`, `cos`, `asin`, `sqrt`, `power`, `least`; BigQuery has no `radians`, so degrees
//! are multiplied by π/180 here).
//!
//! ```text
//! lat1 = t.geo_lat · π/180                       lat2 = LAT · π/180 (computed here)
//! Δlat = lat2 − lat1                             Δlon = (LON − t.geo_lon) · π/180
//! h    = sin²(Δlat / 2) + cos(lat1) · cos(lat2) · sin²(Δlon / 2)
//! d    = 2R · asin(least(√h, 1))  ≤  D metres    (R = 6,371,008.8 m)
//! ```
//!
//! The operations are the interpreter's, in its order, on the same doubles; a warehouse's
//! `sin` or `cos` may still differ from Rust's in the last bit, so a point within about a
//! millionth of the distance from the edge may fall either side (`docs/warehouse.md`).

use sqlparser::ast::{BinaryOperator, Expr};
use tessera_lang::{GeoDistance, GeoTarget};
use tessera_model::{GeoPoint, EARTH_RADIUS_M};

use crate::build::{and, binary, boolean, cast, col, eq, func, integer, number};
use crate::dialect::Flavor;
use crate::value::Refusal;

/// Degrees to radians, the constant of `f64::to_radians`.
const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

/// The test on a trait row: a geo value at most `distance` from the point. Places must have
/// been expanded into points first (`tessera_lang::expand`).
pub(super) fn within(
    flavor: &dyn Flavor,
    distance: &GeoDistance,
    of: &GeoTarget,
) -> Result<Expr, Refusal> {
    let GeoTarget::Point { lat, lon } = *of else {
        return Err(format!(
            "`{of}` is resolved with the stored places before compiling \
             (`tessera_lang::expand`, which `tessera sql` applies); this tree still refers to it"
        ));
    };
    if GeoPoint::new(lat, lon).is_none() {
        return Err(format!(
            "point({lat}, {lon}) is not on Earth: latitude is -90…90 and longitude -180…180"
        ));
    }
    let is_geo = eq(col("t", "type"), flavor.string("geo"));
    let metres = distance.metres();
    // Every distance is a finite number of metres: none is within NaN, all within infinity.
    if metres.is_nan() {
        return Ok(boolean(false));
    }
    if metres == f64::INFINITY {
        return Ok(is_geo);
    }
    let double = |x: f64| cast(number(x), flavor.double());
    let op = |l: Expr, op: BinaryOperator, r: Expr| binary(l, op, r);
    use BinaryOperator::{Divide, Minus, Multiply, Plus};
    let sin_squared_half = |angle: Expr| {
        func(
            "power",
            vec![
                func("sin", vec![op(angle, Divide, double(2.0))]),
                integer(2),
            ],
        )
    };
    let lat1 = op(col("t", "geo_lat"), Multiply, double(RADIANS_PER_DEGREE));
    let lat2 = lat.to_radians();
    let d_lat = op(double(lat2), Minus, lat1.clone());
    let d_lon = op(
        op(double(lon), Minus, col("t", "geo_lon")),
        Multiply,
        double(RADIANS_PER_DEGREE),
    );
    let h = op(
        sin_squared_half(d_lat),
        Plus,
        op(
            op(func("cos", vec![lat1]), Multiply, double(lat2.cos())),
            Multiply,
            sin_squared_half(d_lon),
        ),
    );
    let central_angle = func(
        "asin",
        vec![func("least", vec![func("sqrt", vec![h]), double(1.0)])],
    );
    let metres_away = op(double(2.0 * EARTH_RADIUS_M), Multiply, central_angle);
    Ok(and(vec![
        is_geo,
        binary(metres_away, BinaryOperator::LtEq, double(metres)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constant_is_the_one_rust_converts_degrees_with() {
        for degrees in [0.0, 1.0, -87.6298, 41.8781, 90.0, -180.0] {
            assert_eq!(degrees * RADIANS_PER_DEGREE, f64::to_radians(degrees));
        }
    }
}
