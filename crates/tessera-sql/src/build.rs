//! Small constructors for the sqlparser syntax tree, so that the compiler reads as SQL.
//!
//! sqlparser's node types carry every clause of every dialect; building them field by field in
//! the compiler would bury the logic. These helpers fill the unused clauses once. They never
//! produce SQL text: values and names stay values and names until sqlparser prints them.
//!
//! sqlparser prints a tree as it is, without adding parentheses for precedence, so the
//! combinators here parenthesise every operand that is not atomic.

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, GroupByExpr, Ident, Join, JoinConstraint,
    JoinOperator, LambdaFunction, LambdaFunctionParameter, LambdaSyntax, ObjectName,
    ObjectNamePart, OneOrManyWithParens, OrderByExpr, OrderByOptions, OrderBySort, Query, Select,
    SelectFlavor, SelectItem, SetExpr, TableAlias, TableAliasColumnDef, TableFactor,
    TableWithJoins, UnaryOperator, Value, WindowSpec, WindowType,
};
use sqlparser::tokenizer::Span;

/// An unquoted identifier. Every name the compiler emits is a fixed lowercase word that is
/// not reserved in any supported dialect (see `docs/warehouse.md`), so none needs quoting.
pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name)
}

/// `table.column`.
pub(crate) fn col(table: &str, column: &str) -> Expr {
    Expr::CompoundIdentifier(vec![ident(table), ident(column)])
}

pub(crate) fn object_name(parts: &[&str]) -> ObjectName {
    ObjectName(
        parts
            .iter()
            .map(|p| ObjectNamePart::Identifier(ident(p)))
            .collect(),
    )
}

pub(crate) fn value(v: Value) -> Expr {
    Expr::value(v.with_span(Span::empty()))
}

/// A string literal printed as a single-quoted SQL string (quotes doubled by sqlparser).
pub(crate) fn single_quoted(s: &str) -> Expr {
    value(Value::SingleQuotedString(s.to_string()))
}

pub(crate) fn boolean(b: bool) -> Expr {
    value(Value::Boolean(b))
}

pub(crate) fn integer(n: i64) -> Expr {
    value(Value::Number(n.to_string(), false))
}

/// A number literal that every dialect reads as exactly `x` once cast to a double: integers
/// below 2^53 as integers, anything else in exponent form, which the engines parse with
/// correct rounding straight to a double (a plain decimal such as `123456789.12345678` would
/// first become a DECIMAL in some of them, and the conversion from it can be off by one ulp).
pub(crate) fn number_text(x: f64) -> String {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;
    if x.fract() == 0.0 && x.abs() < EXACT_INTEGERS {
        format!("{}", x as i64)
    } else {
        format!("{x:e}")
    }
}

pub(crate) fn number(x: f64) -> Expr {
    value(Value::Number(number_text(x), false))
}

pub(crate) fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type,
        format: None,
    }
}

/// `name(args…)`.
pub(crate) fn func(name: &str, args: Vec<Expr>) -> Expr {
    func_args(
        name,
        args.into_iter()
            .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
            .collect(),
    )
}

pub(crate) fn func_args(name: &str, args: Vec<FunctionArg>) -> Expr {
    Expr::Function(call(name, args))
}

fn call(name: &str, args: Vec<FunctionArg>) -> Function {
    Function {
        name: object_name(&[name]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args,
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    }
}

/// `COUNT(*)`.
pub(crate) fn count_star() -> Expr {
    func_args(
        "COUNT",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Wildcard)],
    )
}

/// An ordering direction in `ORDER BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ascending,
    Descending,
}

/// `row_number() OVER (PARTITION BY partition ORDER BY e1 [DESC], …)`: the rows of each
/// partition numbered from 1 in that order. (Lowercase: ClickHouse's window functions are
/// registered under that name.)
pub(crate) fn row_number(partition: Vec<Expr>, order: Vec<(Expr, Direction)>) -> Expr {
    let mut f = call("row_number", Vec::new());
    f.over = Some(WindowType::WindowSpec(WindowSpec {
        window_name: None,
        partition_by: partition,
        order_by: order
            .into_iter()
            .map(|(expr, direction)| OrderByExpr {
                expr,
                options: OrderByOptions {
                    sort: (direction == Direction::Descending).then_some(OrderBySort::Desc),
                    nulls_first: None,
                },
                with_fill: None,
            })
            .collect(),
        window_frame: None,
    }));
    Expr::Function(f)
}

/// `param -> body`, for the dialects whose arrays are searched with higher-order functions.
pub(crate) fn lambda(param: &str, body: Expr) -> Expr {
    Expr::Lambda(LambdaFunction {
        params: OneOrManyWithParens::One(LambdaFunctionParameter {
            name: ident(param),
            data_type: None,
        }),
        body: Box::new(body),
        syntax: LambdaSyntax::Arrow,
    })
}

/// Whether an expression prints as one unit that binds tighter than any operator.
fn is_atomic(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::Function(_)
            | Expr::Nested(_)
            | Expr::Cast { .. }
            | Expr::Case { .. }
            | Expr::Exists { .. }
            | Expr::Subquery(_)
    )
}

/// Wraps `e` in parentheses unless it is atomic.
pub(crate) fn paren(e: Expr) -> Expr {
    if is_atomic(&e) {
        e
    } else {
        Expr::Nested(Box::new(e))
    }
}

pub(crate) fn binary(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(paren(left)),
        op,
        right: Box::new(paren(right)),
    }
}

pub(crate) fn eq(left: Expr, right: Expr) -> Expr {
    binary(left, BinaryOperator::Eq, right)
}

/// All of `items`; `TRUE` when there are none.
pub(crate) fn and(items: Vec<Expr>) -> Expr {
    chain(items, BinaryOperator::And, true)
}

/// Any of `items`; `FALSE` when there are none.
pub(crate) fn or(items: Vec<Expr>) -> Expr {
    chain(items, BinaryOperator::Or, false)
}

fn chain(items: Vec<Expr>, op: BinaryOperator, empty: bool) -> Expr {
    if items.len() < 2 {
        return items.into_iter().next().unwrap_or_else(|| boolean(empty));
    }
    let mut items = items.into_iter();
    let first = items.next().expect("two or more items");
    let operand = |e: Expr| {
        // Comparisons bind tighter than AND and OR in every dialect, and AND and OR are
        // associative; only an OR inside an AND (or the reverse) is parenthesised.
        let same_op = matches!(&e, Expr::BinaryOp { op: o, .. } if *o == op);
        if is_atomic(&e) || is_predicate(&e) || same_op {
            e
        } else {
            Expr::Nested(Box::new(e))
        }
    };
    let first = operand(first);
    items.fold(first, |acc, item| Expr::BinaryOp {
        left: Box::new(acc),
        op: op.clone(),
        right: Box::new(operand(item)),
    })
}

/// A comparison, `IN`, `IS [NOT] NULL` or `NOT …`: binds tighter than AND and OR.
fn is_predicate(e: &Expr) -> bool {
    use BinaryOperator::*;
    match e {
        Expr::BinaryOp { op, .. } => matches!(op, Eq | NotEq | Lt | LtEq | Gt | GtEq),
        Expr::InList { .. } | Expr::IsNull(_) | Expr::IsNotNull(_) | Expr::Like { .. } => true,
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => true,
        _ => false,
    }
}

pub(crate) fn not(e: Expr) -> Expr {
    Expr::UnaryOp {
        op: UnaryOperator::Not,
        expr: Box::new(paren(e)),
    }
}

/// `COALESCE(e, FALSE)`: SQL's unknown read as false, which is what two-valued segment logic
/// means by a test on a missing value.
pub(crate) fn known(e: Expr) -> Expr {
    func("COALESCE", vec![e, boolean(false)])
}

pub(crate) fn case_when(condition: Expr, then: Expr, otherwise: Option<Expr>) -> Expr {
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: vec![CaseWhen {
            condition,
            result: then,
        }],
        else_result: otherwise.map(Box::new),
    }
}

pub(crate) fn in_list(expr: Expr, list: Vec<Expr>) -> Expr {
    Expr::InList {
        expr: Box::new(paren(expr)),
        list,
        negated: false,
    }
}

/// `e = 'name'`, or `e IN ('name', …)` for several names.
pub(crate) fn one_of(e: Expr, names: &[&str]) -> Expr {
    match names {
        [name] => eq(e, single_quoted(name)),
        _ => in_list(e, names.iter().map(|n| single_quoted(n)).collect()),
    }
}

pub(crate) fn exists(query: Query) -> Expr {
    Expr::Exists {
        subquery: Box::new(query),
        negated: false,
    }
}

pub(crate) fn alias(name: &str) -> TableAlias {
    TableAlias {
        explicit: true,
        name: ident(name),
        columns: Vec::new(),
        at: None,
    }
}

/// `AS name (column)`, naming the single column of a table function's result.
pub(crate) fn alias_with_column(name: &str, column: &str) -> TableAlias {
    TableAlias {
        columns: vec![TableAliasColumnDef::from_name(column)],
        ..alias(name)
    }
}

/// `name AS alias`, or just `name` when the alias is the name.
pub(crate) fn table(name: &str, alias_name: &str) -> TableFactor {
    TableFactor::Table {
        name: object_name(&[name]),
        alias: (alias_name != name).then(|| alias(alias_name)),
        args: None,
        with_hints: Vec::new(),
        version: None,
        with_ordinality: false,
        partitions: Vec::new(),
        json_path: None,
        sample: None,
        index_hints: Vec::new(),
    }
}

/// `(query) AS alias`.
pub(crate) fn derived(query: Query, alias_name: &str) -> TableFactor {
    TableFactor::Derived {
        lateral: false,
        subquery: Box::new(query),
        alias: Some(alias(alias_name)),
        sample: None,
    }
}

/// A table function in `FROM`, such as `unnest(x) AS u (el)`.
pub(crate) fn table_function(name: &str, args: Vec<Expr>, alias: TableAlias) -> TableFactor {
    TableFactor::Function {
        lateral: false,
        name: object_name(&[name]),
        args: args
            .into_iter()
            .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
            .collect(),
        with_ordinality: false,
        alias: Some(alias),
    }
}

pub(crate) fn left_join(relation: TableFactor, on: Expr) -> Join {
    Join {
        relation,
        global: false,
        join_operator: JoinOperator::Left(JoinConstraint::On(on)),
    }
}

pub(crate) fn inner_join(relation: TableFactor, on: Expr) -> Join {
    Join {
        relation,
        global: false,
        join_operator: JoinOperator::Inner(JoinConstraint::On(on)),
    }
}

pub(crate) fn item(expr: Expr) -> SelectItem {
    SelectItem::UnnamedExpr(expr)
}

pub(crate) fn item_as(expr: Expr, name: &str) -> SelectItem {
    SelectItem::ExprWithAlias {
        expr,
        alias: ident(name),
    }
}

/// A `SELECT` with the clauses the compiler uses.
pub(crate) struct SelectParts {
    pub projection: Vec<SelectItem>,
    pub from: TableFactor,
    pub joins: Vec<Join>,
    pub selection: Option<Expr>,
    pub group_by: Vec<Expr>,
}

pub(crate) fn select(parts: SelectParts) -> Select {
    Select {
        select_token: AttachedToken::empty(),
        optimizer_hints: Vec::new(),
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection: parts.projection,
        exclude: None,
        into: None,
        from: vec![TableWithJoins {
            relation: parts.from,
            joins: parts.joins,
        }],
        lateral_views: Vec::new(),
        prewhere: None,
        selection: parts.selection,
        connect_by: Vec::new(),
        group_by: GroupByExpr::Expressions(parts.group_by, Vec::new()),
        cluster_by: Vec::new(),
        distribute_by: Vec::new(),
        sort_by: Vec::new(),
        having: None,
        named_window: Vec::new(),
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: SelectFlavor::Standard,
    }
}

pub(crate) fn query(select: Select) -> Query {
    Query {
        with: None,
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: Vec::new(),
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: Vec::new(),
    }
}

/// `SELECT 1 FROM from WHERE selection`, the body of an `EXISTS`.
pub(crate) fn select_one(from: TableFactor, selection: Expr) -> Query {
    query(select(SelectParts {
        projection: vec![item(integer(1))],
        from,
        joins: Vec::new(),
        selection: Some(selection),
        group_by: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals_read_back_as_the_same_double() {
        for x in [
            0.0,
            3.0,
            -5.0,
            0.1,
            30.5,
            1e21,
            2.5e-7,
            123_456_789.123_456_78,
            9.007_199_254_740_993e15,
        ] {
            let text = number_text(x);
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
        }
        assert_eq!(number_text(42.0), "42");
        assert_eq!(number_text(0.1), "1e-1");
        assert_eq!(number_text(1e21), "1e21");
    }

    #[test]
    fn and_or_chains_parenthesise_only_what_needs_it() {
        let a = || eq(col("t", "a"), integer(1));
        let nested = and(vec![a(), or(vec![a(), a()]), and(vec![a(), a()])]);
        assert_eq!(
            nested.to_string(),
            "t.a = 1 AND (t.a = 1 OR t.a = 1) AND t.a = 1 AND t.a = 1"
        );
        assert_eq!(and(Vec::new()).to_string(), "true");
        assert_eq!(or(Vec::new()).to_string(), "false");
        assert_eq!(not(a()).to_string(), "NOT (t.a = 1)");
    }
}
