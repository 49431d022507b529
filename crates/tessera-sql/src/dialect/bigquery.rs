//! BigQuery: properties parsed to `JSON`, members read by subscript, typed with `JSON_TYPE`.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArgOperator,
    Subscript, TableFactor,
};

use super::{hex, plain_in_escaping_dialects, ColumnType, Flavor, JsonKind};
use crate::build::{
    alias, binary, cast, exists, func, func_args, ident, integer, select_one, single_quoted,
};

#[derive(Debug)]
pub(crate) struct BigQuery;

fn json_type(v: Expr) -> Expr {
    func("JSON_TYPE", vec![v])
}

impl Flavor for BigQuery {
    fn double(&self) -> DataType {
        DataType::Float64
    }

    /// BigQuery reads backslash escapes in quoted strings and has no `''`; a string that would
    /// need either is decoded from hex.
    fn string(&self, s: &str) -> Expr {
        if plain_in_escaping_dialects(s) {
            single_quoted(s)
        } else {
            cast(
                func("FROM_HEX", vec![single_quoted(&hex(s))]),
                DataType::String(None),
            )
        }
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("STARTS_WITH", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        binary(
            func("STRPOS", vec![s, part]),
            BinaryOperator::Gt,
            integer(0),
        )
    }

    /// `round` keeps numbers that a double cannot hold exactly instead of failing the query;
    /// Tessera reads every number as a double anyway.
    fn json_doc(&self, properties: Expr) -> Expr {
        func_args(
            "PARSE_JSON",
            vec![
                FunctionArg::Unnamed(FunctionArgExpr::Expr(properties)),
                FunctionArg::Named {
                    name: ident("wide_number_mode"),
                    arg: FunctionArgExpr::Expr(single_quoted("round")),
                    operator: FunctionArgOperator::RightArrow,
                },
            ],
        )
    }

    /// The JSON subscript with a field name gives SQL `NULL` on anything but an object.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        Ok(Expr::CompoundFieldAccess {
            root: Box::new(doc),
            access_chain: keys
                .iter()
                .map(|k| {
                    AccessExpr::Subscript(Subscript::Index {
                        index: self.string(k),
                    })
                })
                .collect(),
        })
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

    fn json_text(&self, v: Expr) -> Expr {
        func("STRING", vec![v])
    }

    fn json_number(&self, v: Expr) -> Expr {
        func("FLOAT64", vec![v])
    }

    fn json_bool(&self, v: Expr) -> Expr {
        func("BOOL", vec![v])
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        let elements = TableFactor::UNNEST {
            alias: Some(alias(element)),
            array_exprs: vec![func("JSON_QUERY_ARRAY", vec![v])],
            with_offset: false,
            with_offset_alias: None,
            with_ordinality: false,
        };
        exists(select_one(elements, test))
    }

    fn column_type(&self, ty: ColumnType, _nullable: bool) -> DataType {
        match ty {
            ColumnType::BigInt => DataType::Int64,
            ColumnType::Double => DataType::Float64,
            ColumnType::Text => DataType::String(None),
            ColumnType::Boolean => DataType::Bool,
        }
    }
}
