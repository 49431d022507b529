//! DuckDB: JSON through the `json` extension (built in), addressed with JSON Pointers.

use sqlparser::ast::{DataType, ExactNumberInfo, Expr};

use super::{ColumnType, Flavor, JsonKind};
use crate::build::{
    alias_with_column, and, binary, case_when, cast, exists, func, select_one, single_quoted,
    table_function,
};

#[derive(Debug)]
pub(crate) struct DuckDb;

/// A JSON Pointer (RFC 6901) to an object member path. Pointers, unlike DuckDB's JSONPath
/// strings, can name any key: only `~` and `/` are escaped, and no other character means
/// anything.
fn pointer(keys: &[&str]) -> Expr {
    let mut text = String::new();
    for key in keys {
        text.push('/');
        text.push_str(&key.replace('~', "~0").replace('/', "~1"));
    }
    single_quoted(&text)
}

fn json_type(v: Expr) -> Expr {
    func("json_type", vec![v])
}

impl Flavor for DuckDb {
    fn double(&self) -> DataType {
        DataType::Double(ExactNumberInfo::None)
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("starts_with", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        func("contains", vec![s, part])
    }

    fn json_doc(&self, properties: Expr) -> Expr {
        cast(properties, DataType::JSON)
    }

    /// A pointer also indexes arrays (`/a/0`), which Tessera's paths never do, so every step
    /// before the last must be checked to be an object.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        let target = func("json_extract", vec![doc.clone(), pointer(keys)]);
        if keys.len() < 2 {
            return Ok(target);
        }
        let objects = (1..keys.len())
            .map(|depth| {
                binary(
                    func("json_type", vec![doc.clone(), pointer(&keys[..depth])]),
                    sqlparser::ast::BinaryOperator::Eq,
                    single_quoted("OBJECT"),
                )
            })
            .collect();
        Ok(case_when(and(objects), target, None))
    }

    fn json_present(&self, v: Expr) -> Expr {
        binary(
            json_type(v),
            sqlparser::ast::BinaryOperator::NotEq,
            single_quoted("NULL"),
        )
    }

    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr {
        let names: &[&str] = match kind {
            JsonKind::String => &["VARCHAR"],
            JsonKind::Number => &["BIGINT", "UBIGINT", "DOUBLE", "HUGEINT"],
            JsonKind::Bool => &["BOOLEAN"],
            JsonKind::Array => &["ARRAY"],
        };
        crate::build::one_of(json_type(v), names)
    }

    fn json_text(&self, v: Expr) -> Expr {
        func("json_extract_string", vec![v, single_quoted("$")])
    }

    fn json_number(&self, v: Expr) -> Expr {
        cast(v, self.double())
    }

    fn json_bool(&self, v: Expr) -> Expr {
        cast(v, DataType::Boolean)
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        let elements = func("json_extract", vec![v, single_quoted("$[*]")]);
        exists(select_one(
            table_function("unnest", vec![elements], alias_with_column("u", element)),
            test,
        ))
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
