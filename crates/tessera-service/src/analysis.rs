//! Analysis basics: sizes with the minimum-size guard, and overlap matrices.

use roaring::RoaringBitmap;
use serde::Serialize;
use tessera_engine::overlap_matrix;

/// A segment's size and whether it is below its minimum (over-segmented).
#[derive(Debug, Clone, Serialize)]
pub struct SegmentSize {
    pub name: String,
    pub size: u64,
    pub share: f64,
    pub min_size: u64,
    pub over_segmented: bool,
}

impl SegmentSize {
    pub fn new(name: &str, size: u64, population: u64, min_size: u64) -> SegmentSize {
        SegmentSize {
            name: name.to_string(),
            size,
            share: if population == 0 {
                0.0
            } else {
                size as f64 / population as f64
            },
            min_size,
            over_segmented: size < min_size,
        }
    }
}

/// Pairwise overlaps of named segments: intersection counts and Jaccard indexes.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub names: Vec<String>,
    pub sizes: Vec<u64>,
    pub intersections: Vec<Vec<u64>>,
    pub jaccard: Vec<Vec<f64>>,
}

impl Overlap {
    pub fn compute(names: Vec<String>, sets: &[RoaringBitmap]) -> Overlap {
        let matrix = overlap_matrix(sets);
        Overlap {
            names,
            sizes: matrix.sizes,
            intersections: matrix.intersections,
            jaccard: matrix.jaccard,
        }
    }
}
