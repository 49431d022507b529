//! Spark SQL 4.0+ (and Databricks): properties parsed to `VARIANT`, typed with
//! `schema_of_variant`. Older Spark has only `get_json_object`, which returns a number and a
//! string of the same digits alike, so it cannot reproduce Tessera's typed comparisons.

use sqlparser::ast::{BinaryOperator, DataType, ExactNumberInfo, Expr};

use super::{hex, plain_in_escaping_dialects, ColumnType, Flavor, JsonKind};
use crate::build::{binary, eq, func, in_list, integer, lambda, not, or, single_quoted};

#[derive(Debug)]
pub(crate) struct Spark;

fn schema_of(v: Expr) -> Expr {
    func("schema_of_variant", vec![v])
}

fn like(e: Expr, pattern: &str) -> Expr {
    Expr::Like {
        negated: false,
        any: false,
        expr: Box::new(e),
        pattern: Box::new(single_quoted(pattern)),
        escape_char: None,
    }
}

impl Spark {
    fn get(&self, v: Expr, path: &str, ty: &str) -> Expr {
        func(
            "try_variant_get",
            vec![v, self.string(path), single_quoted(ty)],
        )
    }
}

impl Flavor for Spark {
    fn double(&self) -> DataType {
        DataType::Double(ExactNumberInfo::None)
    }

    /// Spark reads backslash escapes in quoted strings and joins `'a''b'` into `ab`; a string
    /// that would need either is decoded from hex.
    fn string(&self, s: &str) -> Expr {
        if plain_in_escaping_dialects(s) {
            single_quoted(s)
        } else {
            func(
                "decode",
                vec![
                    func("unhex", vec![single_quoted(&hex(s))]),
                    single_quoted("UTF-8"),
                ],
            )
        }
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("startswith", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        func("contains", vec![s, part])
    }

    fn json_doc(&self, properties: Expr) -> Expr {
        func("parse_json", vec![properties])
    }

    /// A variant path of `["key"]` steps (object members only; an array on the way gives
    /// `NULL`). Spark documents no escape inside them, so keys with `"` or `\` are refused.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        let mut path = String::from("$");
        for key in keys {
            if key.contains(['"', '\\']) {
                return Err(format!(
                    "the property name `{key}` has a `\"` or `\\`, which Spark's variant paths cannot address"
                ));
            }
            path.push_str(&format!("[\"{key}\"]"));
        }
        Ok(self.get(doc, &path, "variant"))
    }

    fn json_present(&self, v: Expr) -> Expr {
        not(func("is_variant_null", vec![v]))
    }

    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr {
        let quoted = |names: &[&str]| names.iter().map(|n| single_quoted(n)).collect();
        match kind {
            JsonKind::String => eq(schema_of(v), single_quoted("STRING")),
            JsonKind::Number => or(vec![
                in_list(
                    schema_of(v.clone()),
                    quoted(&["TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE"]),
                ),
                like(schema_of(v), "DECIMAL%"),
            ]),
            JsonKind::Bool => eq(schema_of(v), single_quoted("BOOLEAN")),
            JsonKind::Array => like(schema_of(v), "ARRAY%"),
        }
    }

    fn json_text(&self, v: Expr) -> Expr {
        self.get(v, "$", "string")
    }

    fn json_number(&self, v: Expr) -> Expr {
        self.get(v, "$", "double")
    }

    fn json_bool(&self, v: Expr) -> Expr {
        self.get(v, "$", "boolean")
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        let elements = self.get(v, "$", "array<variant>");
        binary(
            func(
                "size",
                vec![func("filter", vec![elements, lambda(element, test)])],
            ),
            BinaryOperator::Gt,
            integer(0),
        )
    }

    fn column_type(&self, ty: ColumnType, _nullable: bool) -> DataType {
        match ty {
            ColumnType::BigInt => DataType::BigInt(None),
            ColumnType::Double => self.double(),
            ColumnType::Text => DataType::String(None),
            ColumnType::Boolean => DataType::Boolean,
        }
    }
}
