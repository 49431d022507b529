//! Test support: the CSV data sets and scikit-learn's reference values (written by
//! `tests/reference/make_reference.py`), and partition comparison.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use ndarray::Array2;
use serde_json::Value;

pub struct Dataset {
    pub data: Array2<f64>,
    pub labels: Vec<usize>,
}

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A `tests/data` CSV: a header, numeric columns, and the true class in the last column.
pub fn dataset(name: &str) -> Dataset {
    let text = std::fs::read_to_string(data_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut width = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        width = fields.len() - 1;
        values.extend(
            fields[..width]
                .iter()
                .map(|f| f.parse::<f64>().unwrap_or(f64::NAN)),
        );
        labels.push(fields[width].parse().unwrap_or(usize::MAX));
    }
    let data =
        Array2::from_shape_vec((labels.len(), width), values).unwrap_or_else(|e| panic!("{e}"));
    Dataset { data, labels }
}

/// `tests/data/reference.json`.
pub fn reference() -> Value {
    let text =
        std::fs::read_to_string(data_path("reference.json")).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

pub fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(f64_of)
        .collect()
}

pub fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_i64().unwrap_or_else(|| panic!("not an integer: {x}")))
        .collect()
}

pub fn usizes(v: &Value) -> Vec<usize> {
    i64s(v).into_iter().map(|x| x as usize).collect()
}

pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(f64s)
        .collect();
    let width = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), width), rows.concat()).unwrap_or_else(|e| panic!("{e}"))
}

pub fn items(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// Whether two labelings describe the same partition (equal up to renaming the labels).
pub fn same_partition<A: Copy + Eq + std::hash::Hash, B: Copy + Eq + std::hash::Hash>(
    a: &[A],
    b: &[B],
) -> bool {
    let mut forward = HashMap::new();
    let mut backward = HashMap::new();
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            *forward.entry(*x).or_insert(*y) == *y && *backward.entry(*y).or_insert(*x) == *x
        })
}

/// `|actual − expected| <= tol · max(1, |expected|)`, with a message naming the value.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol * expected.abs().max(1.0),
        "{what}: got {actual}, scikit-learn {expected} (tolerance {tol})"
    );
}

#[track_caller]
pub fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_close(*a, *e, tol, &format!("{what}[{i}]"));
    }
}
