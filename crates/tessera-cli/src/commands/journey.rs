//! `tessera journey SEGMENT --goal EVENT`: the paths a segment's members take to a goal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use tessera_discover::chart::{save, Sankey};
use tessera_discover::journey::{JourneyOptions, Journeys};

use super::discover::{check_output, duration, members, percent, snapshot, At};
use crate::table::Table;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tessera journey new_customers --goal 'Order Completed' --at 2026-11-01
  tessera journey vip --goal 'Order Completed' --steps 4 --plot vip-paths.svg
  tessera journey --where 'age < 30' --goal 'Order Completed' --funnel 'Product Viewed,Added to Cart,Order Completed'

A path is the last STEPS events before each goal event (since the previous one), repeats of an
event collapsed; the funnel matches its steps in order for every member. Details: docs/discovery.md")]
pub struct JourneyArgs {
    /// A stored segment.
    segment: Option<String>,
    #[arg(long = "where", value_name = "CONDITION")]
    condition: Option<String>,
    /// The conversion event.
    #[arg(long, value_name = "EVENT")]
    goal: String,
    /// Steps before the goal in each path (1 to 10).
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Paths to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Funnel steps, comma-separated (default: the most common path).
    #[arg(long, value_name = "EVENT,EVENT,…")]
    funnel: Option<String>,
    /// Keep consecutive repeats of an event as separate steps.
    #[arg(long)]
    keep_repeats: bool,
    /// Write the journey Sankey (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    at: At,
    #[arg(long)]
    json: bool,
}

pub fn run(data: &Path, args: JourneyArgs) -> Result<ExitCode> {
    if !(1..=10).contains(&args.steps) {
        bail!("--steps must be between 1 and 10");
    }
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    let funnel = match &args.funnel {
        None => None,
        Some(text) => {
            let steps: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
            if steps.iter().any(String::is_empty) {
                bail!("--funnel `{text}`: an empty step; list event names separated by commas");
            }
            Some(steps)
        }
    };
    if let Some(plot) = &args.plot {
        check_output(plot, "--plot")?;
    }
    let store = super::open(data)?;
    let snapshot = snapshot(&store, &args.at)?;
    let (name, members) = members(
        &store,
        &snapshot,
        args.segment.as_deref(),
        args.condition.as_deref(),
    )?;
    if let Some(steps) = &funnel {
        let known: Vec<&str> = snapshot.index.event_names().collect();
        if let Some(unknown) = steps.iter().find(|s| !known.contains(&s.as_str())) {
            bail!(
                "--funnel: no event is named `{unknown}` (events: {})",
                known.join(", ")
            );
        }
    }
    let options = JourneyOptions {
        goal: args.goal.clone(),
        steps: args.steps,
        top: args.top,
        collapse_repeats: !args.keep_repeats,
        funnel,
    };
    let journeys = Journeys::build(&snapshot.index, snapshot.at, &members, &options)?;
    if let Some(path) = &args.plot {
        let chart = Sankey {
            title: format!("{name}: paths to {}", args.goal),
            journeys: journeys.clone(),
        };
        save(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&journeys)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{name}: {} members, {} reached {} ({} conversions)\n",
        journeys.members,
        journeys.converters,
        journeys.goal,
        journeys.conversions
    );
    let mut paths = Table::new(&["path", "conversions", "share"]);
    for p in &journeys.paths {
        paths.row(vec![
            p.steps.join(" > "),
            p.count.to_string(),
            percent(p.share),
        ]);
    }
    outln!("{}", paths.render());
    let mut funnel = Table::new(&[
        "funnel step",
        "reached",
        "dropped",
        "drop-off",
        "median time from previous",
    ]);
    for s in &journeys.funnel {
        funnel.row(vec![
            s.event.clone(),
            s.reached.to_string(),
            s.drop_off.to_string(),
            percent(s.drop_off_rate),
            s.median_ms_from_previous.map_or("-".into(), duration),
        ]);
    }
    outln!("{}", funnel.render());
    let mut links = Table::new(&["step", "from", "to", "paths", "median time"]);
    for t in &journeys.transitions {
        links.row(vec![
            t.position.to_string(),
            t.from.clone(),
            t.to.clone(),
            t.count.to_string(),
            duration(t.median_ms),
        ]);
    }
    out!("{}", links.render());
    Ok(ExitCode::SUCCESS)
}
