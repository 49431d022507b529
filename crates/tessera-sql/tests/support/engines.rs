//! Real DuckDB and PostgreSQL for the differential tests.
//!
//! DuckDB is the Python package, installed with psycopg (PostgreSQL's Python client) into a
//! virtual environment under `CARGO_TARGET_TMPDIR`, once per target directory. PostgreSQL is a
//! private server started by `.ci/postgres.sh`, which installs it from Debian's packages when
//! it is missing; each run loads its data into a schema of its own and drops it afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use tessera_sql::warehouse::{create_tables, Format, TABLES};
use tessera_sql::Dialect;

/// Pinned so that a change of engine version is a visible change of this file.
const REQUIREMENTS: &[&str] = &["duckdb==2.0.0", "psycopg[binary]==3.3.9"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtual environment's Python, made (or updated) on first use.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    static MAKING: Mutex<()> = Mutex::new(());
    PYTHON.get_or_init(|| {
        let _guard = MAKING.lock().unwrap_or_else(|e| e.into_inner());
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tessera-sql-venv");
        let python = venv.join("bin/python");
        let ready = venv.join(".installed");
        let wanted = REQUIREMENTS.join("\n");
        if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed to run DuckDB and the PostgreSQL client");
            assert!(status.success(), "creating the virtual environment failed");
            let output = Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(REQUIREMENTS)
                .output()
                .expect("running pip");
            assert!(
                output.status.success(),
                "pip install {REQUIREMENTS:?} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::fs::write(&ready, &wanted).expect("marking the environment ready");
        }
        python
    })
}

/// The connection string of the test PostgreSQL server, started on first use.
fn postgres_dsn() -> &'static str {
    static DSN: OnceLock<String> = OnceLock::new();
    DSN.get_or_init(|| {
        let script = workspace_root().join(".ci/postgres.sh");
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .expect("running .ci/postgres.sh");
        assert!(
            output.status.success(),
            "{} failed:\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("a UTF-8 connection string")
            .trim()
            .to_string()
    })
}

/// A database the tests run queries in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    DuckDb,
    Postgres,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::DuckDb, Engine::Postgres];

    pub fn dialect(self) -> Dialect {
        match self {
            Engine::DuckDb => Dialect::DuckDb,
            Engine::Postgres => Dialect::Postgres,
        }
    }
}

/// Loads the warehouse files in `dir` into a fresh database of `engine` (tables created with
/// tessera-sql's own DDL) and runs `queries`: per query, the returned first column, or the
/// database's error message.
pub fn run(
    engine: Engine,
    dir: &Path,
    format: Format,
    queries: &[String],
) -> Vec<Result<Vec<i64>, String>> {
    let (name, dsn) = match engine {
        Engine::DuckDb => ("duckdb", ""),
        Engine::Postgres => ("postgres", postgres_dsn()),
    };
    let create: Vec<String> = create_tables(engine.dialect())
        .iter()
        .map(|s| s.to_string())
        .collect();
    let tables: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    let job = serde_json::json!({
        "engine": name,
        "dsn": dsn,
        "dir": dir,
        "format": format.extension(),
        "create": create,
        "tables": tables,
        "queries": queries,
    });
    let job_file = dir.join(format!("job-{name}-{}.json", format.extension()));
    std::fs::write(&job_file, job.to_string()).expect("writing the job");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/run_sql.py");
    let output = Command::new(python())
        .arg(&script)
        .arg(&job_file)
        .output()
        .expect("running run_sql.py");
    assert!(
        output.status.success(),
        "run_sql.py on {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("run_sql.py prints JSON");
    assert_eq!(results.len(), queries.len(), "one result per query");
    results
        .into_iter()
        .map(|r| match r.get("ids") {
            Some(ids) => Ok(ids
                .as_array()
                .expect("a list of ids")
                .iter()
                .map(|id| id.as_i64().expect("integer ids"))
                .collect()),
            None => Err(r["error"].as_str().unwrap_or("?").to_string()),
        })
        .collect()
}
