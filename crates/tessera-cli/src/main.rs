//! The `tessera` command line: import, profiles, segments, analysis, generator and demo.

/// `println!` for command output. When standard output is closed early (`tessera … | head`)
/// the process exits quietly with status 0, as Unix tools killed by SIGPIPE do, instead of
/// panicking. Defined before the modules so that they all see it.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::exit_on_closed_stdout({
            use std::io::Write as _;
            writeln!(std::io::stdout(), $($arg)*)
        })
    };
}

/// `print!` with the behaviour of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::exit_on_closed_stdout({
            use std::io::Write as _;
            write!(std::io::stdout(), $($arg)*)
        })
    };
}

mod commands;
mod table;

/// Loading and importing allocate many small JSON values, often freed on another thread than
/// the one that made them; mimalloc's thread-local heaps make that markedly cheaper than
/// glibc's locked arenas (measured: see the commit that added it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn exit_on_closed_stdout(result: std::io::Result<()>) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => panic!("cannot write to standard output: {e}"),
    }
}

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const ABOUT: &str =
    "Micro-targeted audience segmentation: collect, unify, segment, measure, activate.";

const EXAMPLES: &str = "\
Examples:
  tessera demo                                   # generate a retail chain, import it, segment it
  tessera init --data ./tessera-data
  tessera import web_events.jsonl
  tessera import customers.csv --mapping customers.mapping.toml
  tessera segment plan segments/                 # who would enter and leave
  tessera segment apply segments/
  tessera segment size --where 'age between 25 and 35 and city_tier = \"urban\"'
  tessera segment explain high_intent_no_purchase user_id:C0000042
  tessera profile show email:ana@example.com";

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = ABOUT, after_help = EXAMPLES)]
struct Cli {
    /// The data directory of the embedded store.
    #[arg(
        long,
        global = true,
        env = "TESSERA_DATA",
        default_value = "./tessera-data"
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the data directory, its configuration file and the store.
    #[command(after_help = "Example:\n  tessera init --data /var/lib/tessera")]
    Init,
    /// Import Segment-spec JSON Lines or CSV files (streaming, transactional per batch).
    Import(commands::import::ImportArgs),
    /// Look at or erase one profile.
    #[command(subcommand)]
    Profile(commands::profile::ProfileCommand),
    /// Define, evaluate and analyse segments.
    #[command(subcommand)]
    Segment(commands::segment::SegmentCommand),
    /// Print a segment as one SQL query for a warehouse (over `tessera export warehouse` tables).
    #[command(
        after_help = "Examples:\n  tessera sql --dialect duckdb vip\n  tessera sql --dialect bigquery --at 2026-10-01 --where 'did(Order Completed in last 7d)'\n  tessera sql --dialect postgres --create-tables\n\nThe schema and how to load it: docs/warehouse.md"
    )]
    Sql(commands::sql::SqlArgs),
    /// Export the store's data for a warehouse.
    #[command(subcommand)]
    Export(commands::export::ExportCommand),
    /// Evaluate stored segments in a warehouse and store their members.
    #[command(subcommand)]
    Warehouse(commands::warehouse::WarehouseCommand),
    /// Run the HTTP service: the Segment-compatible collection API.
    Serve(commands::serve::ServeArgs),
    /// Places (stores, venues) with coordinates, for geographic conditions.
    #[command(subcommand)]
    Place(commands::place::PlaceCommand),
    /// Webhooks on segment enter/exit, and their dead-letter list.
    #[command(subcommand)]
    Webhook(commands::serve::WebhookCommand),
    /// Send realistic load to a running `tessera serve` and report throughput and latency.
    Loadgen(commands::loadgen::LoadgenArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Key(commands::serve::KeyCommand),
    /// Find segments nobody wrote: cluster profiles on a feature set, choose k, chart them.
    #[command(subcommand)]
    Cluster(commands::cluster::ClusterCommand),
    /// Describe a segment against the population: features with lifts and tests, behaviour, words.
    Persona(commands::persona::PersonaArgs),
    /// The event paths a segment's members take to a goal event, with a funnel and a Sankey.
    Journey(commands::journey::JourneyArgs),
    /// Generate the deterministic synthetic retail data set into a directory.
    Gen(commands::demo::GenArgs),
    /// Generate a retail chain, import it, apply the demo segments and show the results.
    Demo(commands::demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init => commands::init(&cli.data),
        Command::Import(args) => commands::import::run(&cli.data, args),
        Command::Profile(cmd) => commands::profile::run(&cli.data, cmd),
        Command::Segment(cmd) => commands::segment::run(&cli.data, cmd),
        Command::Sql(args) => commands::sql::run(&cli.data, args),
        Command::Export(cmd) => commands::export::run(&cli.data, cmd),
        Command::Warehouse(cmd) => commands::warehouse::run(&cli.data, cmd),
        Command::Serve(args) => commands::serve::serve(&cli.data, args),
        Command::Key(cmd) => commands::serve::key(&cli.data, cmd),
        Command::Loadgen(args) => commands::loadgen::run(args),
        Command::Webhook(cmd) => commands::serve::webhook(&cli.data, cmd),
        Command::Place(cmd) => commands::place::run(&cli.data, cmd),
        Command::Cluster(cmd) => commands::cluster::run(&cli.data, cmd),
        Command::Persona(args) => commands::persona::run(&cli.data, args),
        Command::Journey(args) => commands::journey::run(&cli.data, args),
        Command::Gen(args) => commands::demo::gen(args),
        Command::Demo(args) => commands::demo::demo(&cli.data, args),
    };
    match result {
        Ok(code) => code,
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
