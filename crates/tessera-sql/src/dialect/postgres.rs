//! PostgreSQL: properties as `jsonb`, members read with `->`, strings ordered by `COLLATE "C"`.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Ident, ObjectName, ObjectNamePart};

use super::{ColumnType, Flavor, JsonKind};
use crate::build::{
    alias_with_column, binary, cast, exists, func, integer, select_one, single_quoted,
    table_function,
};

#[derive(Debug)]
pub(crate) struct Postgres;

fn json_type(v: Expr) -> Expr {
    func("jsonb_typeof", vec![v])
}

impl Flavor for Postgres {
    fn double(&self) -> DataType {
        DataType::DoublePrecision
    }

    /// The database's default collation may follow a locale (`'B' < 'a'` is false in
    /// `en_US`); the "C" collation compares bytes, as Tessera does.
    fn bytewise(&self, e: Expr) -> Expr {
        Expr::Collate {
            expr: Box::new(crate::build::paren(e)),
            collation: ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
                '"', "C",
            ))]),
        }
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("starts_with", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        binary(
            func("strpos", vec![s, part]),
            BinaryOperator::Gt,
            integer(0),
        )
    }

    fn json_doc(&self, properties: Expr) -> Expr {
        cast(properties, DataType::JSONB)
    }

    /// `->` with a text key reads an object member and gives `NULL` on arrays and scalars,
    /// exactly the walk Tessera does.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        Ok(keys.iter().fold(doc, |v, key| {
            binary(v, BinaryOperator::Arrow, single_quoted(key))
        }))
    }

    fn json_present(&self, v: Expr) -> Expr {
        binary(json_type(v), BinaryOperator::NotEq, single_quoted("null"))
    }

    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr {
        let name = match kind {
            JsonKind::String => "string",
            JsonKind::Number => "number",
            JsonKind::Bool => "boolean",
            JsonKind::Array => "array",
        };
        binary(json_type(v), BinaryOperator::Eq, single_quoted(name))
    }

    /// `#>> '{}'` is the value at the empty path as text: a string without its quotes.
    fn json_text(&self, v: Expr) -> Expr {
        binary(v, BinaryOperator::HashLongArrow, single_quoted("{}"))
    }

    fn json_number(&self, v: Expr) -> Expr {
        cast(v, DataType::DoublePrecision)
    }

    fn json_bool(&self, v: Expr) -> Expr {
        cast(v, DataType::Boolean)
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        exists(select_one(
            table_function(
                "jsonb_array_elements",
                vec![v],
                alias_with_column("u", element),
            ),
            test,
        ))
    }

    fn column_type(&self, ty: ColumnType, _nullable: bool) -> DataType {
        match ty {
            ColumnType::BigInt => DataType::BigInt(None),
            ColumnType::Double => DataType::DoublePrecision,
            ColumnType::Text => DataType::Text,
            ColumnType::Boolean => DataType::Boolean,
        }
    }
}
