//! ClickHouse: properties stay JSON text, read with the `JSONExtract*` functions.

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    BinaryOperator, CreateTableOptions, DataType, ExactNumberInfo, Expr, NamedParenthesizedList,
    OneOrManyWithParens, SqlOption,
};

use super::{hex, plain_in_escaping_dialects, ColumnType, Flavor, JsonKind};
use crate::build::{binary, func, ident, integer, lambda, single_quoted};

#[derive(Debug)]
pub(crate) struct ClickHouse;

fn json_type(v: Expr) -> Expr {
    func("JSONType", vec![v])
}

impl Flavor for ClickHouse {
    /// ClickHouse's own type names (`Float64`) are case-sensitive and sqlparser prints them in
    /// capitals; the standard aliases (`DOUBLE`, `BIGINT`, `TEXT`, `BOOLEAN`) are not.
    fn double(&self) -> DataType {
        DataType::Double(ExactNumberInfo::None)
    }

    fn string(&self, s: &str) -> Expr {
        if plain_in_escaping_dialects(s) {
            single_quoted(s)
        } else {
            func("unhex", vec![single_quoted(&hex(s))])
        }
    }

    fn starts_with(&self, s: Expr, prefix: Expr) -> Expr {
        func("startsWith", vec![s, prefix])
    }

    fn contains(&self, s: Expr, part: Expr) -> Expr {
        binary(
            func("position", vec![s, part]),
            BinaryOperator::Gt,
            integer(0),
        )
    }

    fn json_doc(&self, properties: Expr) -> Expr {
        properties
    }

    /// Keys given as strings only ever address object members, so arrays on the way give
    /// "not found", which `JSONExtractRaw` reports as an empty string.
    fn json_path(&self, doc: Expr, keys: &[&str]) -> Result<Expr, String> {
        let mut args = vec![doc];
        args.extend(keys.iter().map(|k| self.string(k)));
        Ok(func("JSONExtractRaw", args))
    }

    fn json_present(&self, v: Expr) -> Expr {
        binary(json_type(v), BinaryOperator::NotEq, single_quoted("Null"))
    }

    fn json_is(&self, v: Expr, kind: JsonKind) -> Expr {
        let names: &[&str] = match kind {
            JsonKind::String => &["String"],
            JsonKind::Number => &["Int64", "UInt64", "Double"],
            JsonKind::Bool => &["Bool"],
            JsonKind::Array => &["Array"],
        };
        crate::build::one_of(json_type(v), names)
    }

    fn json_text(&self, v: Expr) -> Expr {
        func("JSONExtractString", vec![v])
    }

    fn json_number(&self, v: Expr) -> Expr {
        func("JSONExtractFloat", vec![v])
    }

    fn json_bool(&self, v: Expr) -> Expr {
        func("JSONExtractBool", vec![v])
    }

    fn json_any_element(&self, v: Expr, element: &str, test: Expr) -> Expr {
        func(
            "arrayExists",
            vec![lambda(element, test), func("JSONExtractArrayRaw", vec![v])],
        )
    }

    fn column_type(&self, ty: ColumnType, nullable: bool) -> DataType {
        let ty = match ty {
            ColumnType::BigInt => DataType::BigInt(None),
            ColumnType::Double => self.double(),
            ColumnType::Text => DataType::Text,
            ColumnType::Boolean => DataType::Boolean,
        };
        if nullable {
            DataType::Nullable(Box::new(ty))
        } else {
            ty
        }
    }

    fn finish_create_table(&self, table: CreateTableBuilder, sort_key: &str) -> CreateTableBuilder {
        table
            .table_options(CreateTableOptions::Plain(vec![
                SqlOption::NamedParenthesizedList(NamedParenthesizedList {
                    key: ident("ENGINE"),
                    name: Some(ident("MergeTree")),
                    values: Vec::new(),
                }),
            ]))
            .order_by(Some(OneOrManyWithParens::One(Expr::Identifier(ident(
                sort_key,
            )))))
    }
}
