//! Snowflake: properties parsed to `VARIANT`, members read with `GET`, typed with `TYPEOF`.

use sqlparser::ast::{BinaryOperator, DataType, ExactNumberInfo, Expr};

use super::{hex, plain_in_escaping_dialects, ColumnType, Flavor, JsonKind};
use crate::build::{and, binary, case_when, cast, func, integer, lambda, not, single_quoted};

#[derive(Debug)]
pub(crate) struct Snowflake;

fn type_of(v: Expr) -> Expr {
    func("TYPEOF", vec![v])
}

impl Flavor for Snowflake {
    fn double(&self) -> DataType {
        DataType::Double(ExactNumberInfo::None)
    }

    /// Snowflake reads backslash escapes in quoted strings; a string with a backslash, quote
    /// or control character is decoded from hex instead.
    fn string(&self, s: &str) -> Expr {
        if plain_in_escaping_dialects(s) {
            single_quoted(s)
        } else {
            func("HEX_DECODE_STRING", vec![single_quoted(&hex(s))])
        }
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("STARTSWITH", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        func("CONTAINS", vec![s, part])
    }

    fn json_doc(&self, properties: Expr) -> Expr {
        func("PARSE_JSON", vec![properties])
    }

    /// `GET` with a field name is only asked of objects: every step before the last is
    /// checked with `IS_OBJECT`, since Tessera's walk stops at anything else.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        let mut steps = Vec::with_capacity(keys.len());
        let mut current = doc;
        for key in keys {
            current = func("GET", vec![current, self.string(key)]);
            steps.push(current.clone());
        }
        steps.pop();
        if steps.is_empty() {
            return Ok(current);
        }
        let objects = steps
            .into_iter()
            .map(|s| func("IS_OBJECT", vec![s]))
            .collect();
        Ok(case_when(and(objects), current, None))
    }

    fn json_present(&self, v: Expr) -> Expr {
        not(func("IS_NULL_VALUE", vec![v]))
    }

    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr {
        let names: &[&str] = match kind {
            JsonKind::String => &["VARCHAR"],
            JsonKind::Number => &["INTEGER", "DECIMAL", "DOUBLE"],
            JsonKind::Bool => &["BOOLEAN"],
            JsonKind::Array => &["ARRAY"],
        };
        crate::build::one_of(type_of(v), names)
    }

    fn json_text(&self, v: Expr) -> Expr {
        func("AS_VARCHAR", vec![v])
    }

    fn json_number(&self, v: Expr) -> Expr {
        func("TO_DOUBLE", vec![v])
    }

    fn json_bool(&self, v: Expr) -> Expr {
        func("AS_BOOLEAN", vec![v])
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        let array = cast(
            v,
            DataType::Custom(crate::build::object_name(&["ARRAY"]), Vec::new()),
        );
        binary(
            func(
                "ARRAY_SIZE",
                vec![func("FILTER", vec![array, lambda(element, test)])],
            ),
            BinaryOperator::Gt,
            integer(0),
        )
    }

    fn column_type(&self, ty: ColumnType, _nullable: bool) -> DataType {
        match ty {
            ColumnType::BigInt => DataType::BigInt(None),
            ColumnType::Double => self.double(),
            ColumnType::Text => DataType::Varchar(None),
            ColumnType::Boolean => DataType::Boolean,
        }
    }
}
