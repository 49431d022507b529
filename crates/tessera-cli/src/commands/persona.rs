//! `tessera persona SEGMENT`: who is in a segment, against the whole population.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use tessera_discover::features::extract;
use tessera_discover::persona::{Persona, PersonaOptions, ValueShare};

use super::discover::{feature_set, members, percent, snapshot, At};
use crate::table::Table;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tessera persona vip --at 2026-11-01
  tessera persona --where 'city_tier = \"urban\" and age < 30' --features features/rfm.toml
  tessera persona lapsed_loyal --json > lapsed.json

Each feature's mean is compared with the population's (lift = members' mean / population mean)
and tested against the rest of the population: Welch's t-test for numbers, the two-proportion
z-test for 0/1 columns; significant means p below 0.01 divided by the number of features.
Purchase hours and weekdays are in UTC. Details: docs/discovery.md")]
pub struct PersonaArgs {
    /// A stored segment.
    segment: Option<String>,
    /// An ad-hoc condition instead of a stored segment.
    #[arg(long = "where", value_name = "CONDITION")]
    condition: Option<String>,
    /// The feature set the members are compared on (file, features/NAME.toml or built-in).
    #[arg(long, value_name = "FILE_OR_NAME", default_value = "retail")]
    features: String,
    /// Family-wise significance level.
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    #[command(flatten)]
    at: At,
    #[arg(long)]
    json: bool,
}

pub fn run(data: &Path, args: PersonaArgs) -> Result<ExitCode> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        bail!("--alpha must be between 0 and 1 (exclusive)");
    }
    let set = feature_set(data, &args.features)?;
    let store = super::open(data)?;
    let snapshot = snapshot(&store, &args.at)?;
    let (name, members) = members(
        &store,
        &snapshot,
        args.segment.as_deref(),
        args.condition.as_deref(),
    )?;
    let matrix = extract(&snapshot.index, snapshot.at, &set)
        .with_context(|| format!("extracting feature set `{}`", set.name))?;
    let options = PersonaOptions {
        purchase: set.purchase.clone(),
        alpha: args.alpha,
        ..PersonaOptions::default()
    };
    let persona = Persona::build(
        &snapshot.index,
        snapshot.at,
        &members,
        Some(&matrix),
        &options,
    )?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&persona)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{name}: {} of {} profiles ({})",
        persona.size,
        persona.population,
        percent(persona.share)
    );
    outln!("{}\n", persona.description);
    let mut features = Table::new(&["feature", "members", "everyone", "lift", "p-value", ""]);
    let mut stats: Vec<_> = persona.features.iter().collect();
    stats.sort_by(|a, b| {
        let p = |f: &&tessera_discover::persona::FeatureStat| f.test.map_or(2.0, |t| t.p_value);
        p(a).total_cmp(&p(b))
    });
    for f in stats {
        features.row(vec![
            f.name.clone(),
            number(f.mean),
            number(f.population_mean),
            f.lift.map_or("-".into(), |l| format!("{l:.2}x")),
            f.test.map_or("-".into(), |t| {
                // Below f64's range the p-value underflows to 0.
                if t.p_value > 0.0 {
                    format!("{:.2e}", t.p_value)
                } else {
                    "<1e-300".into()
                }
            }),
            if f.significant {
                "*".into()
            } else {
                String::new()
            },
        ]);
    }
    out!("{}", features.render());
    outln!(
        "(* significant; p from Welch's t-test or the two-proportion z-test against the rest)\n"
    );
    for (title, shares) in [
        ("top categories (purchases)", &persona.top_categories),
        ("top products (purchases)", &persona.top_products),
        ("channels (purchases)", &persona.channels),
        ("devices (product views)", &persona.devices),
    ] {
        print_shares(title, shares);
    }
    outln!(
        "typical purchase time (members' local time{}): {} around {}",
        if persona.purchases_in_utc > 0 {
            format!(
                "; {} of {} purchases in UTC, without a time zone",
                persona.purchases_in_utc, persona.orders
            )
        } else {
            String::new()
        },
        persona.typical_weekday.unwrap_or("-"),
        persona
            .typical_hour
            .map_or("-".into(), |h| format!("{h:02}:00"))
    );
    let tiers = |t: [f64; 3]| format!("{} / {} / {}", percent(t[0]), percent(t[1]), percent(t[2]));
    outln!(
        "RFM (population terciles): recency recent/mid/lapsed {}; frequency low/mid/high {}; monetary low/mid/high {}; never bought {}",
        tiers(persona.rfm.recency),
        tiers(persona.rfm.frequency),
        tiers(persona.rfm.monetary),
        percent(persona.rfm.non_buyers)
    );
    outln!(
        "spend: {:.2} in {} orders by {} buyers; {:.2} per member; average order value {}",
        persona.spend,
        persona.orders,
        persona.buyers,
        persona.spend_per_member,
        persona
            .average_order_value
            .map_or("-".into(), |v| format!("{v:.2}"))
    );
    Ok(ExitCode::SUCCESS)
}

fn print_shares(title: &str, shares: &[ValueShare]) {
    if shares.is_empty() {
        outln!("{title}: none\n");
        return;
    }
    let mut t = Table::new(&[title, "count", "share", "everyone", "lift"]);
    for s in shares {
        t.row(vec![
            s.value.clone(),
            s.count.to_string(),
            percent(s.share),
            percent(s.population_share),
            s.lift.map_or("-".into(), |l| format!("{l:.2}x")),
        ]);
    }
    outln!("{}", t.render());
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}
