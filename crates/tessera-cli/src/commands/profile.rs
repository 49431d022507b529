//! `tessera profile show|erase`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Show a profile: identifiers, traits, consent, segments, merges and recent events.
    #[command(
        after_help = "Examples:\n  tessera profile show email:ana@example.com\n  tessera profile show user_id:C0000042 --json\n  tessera profile show '#17' --at 2026-11-01T12:00:00Z"
    )]
    Show {
        /// `kind:value` (e.g. `email:ana@example.com`), a bare user id, or `#N` for a profile number.
        id: String,
        /// How many recent events to show.
        #[arg(long, default_value_t = 10)]
        events: usize,
        /// Print JSON (the access-request export format).
        #[arg(long)]
        json: bool,
        /// Compute the computed traits and local time as of this instant (RFC 3339 or date;
        /// default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Erase a profile and everything merged into it (GDPR Art. 17), in one transaction.
    #[command(after_help = "Example:\n  tessera profile erase email:ana@example.com --yes")]
    Erase {
        /// `kind:value`, a bare user id, or `#N`.
        id: String,
        /// Confirm the erasure (it cannot be undone).
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(data: &Path, command: ProfileCommand) -> Result<ExitCode> {
    match command {
        ProfileCommand::Show {
            id,
            events,
            json,
            at,
        } => {
            let at = super::at_or_now(at.as_deref())?;
            let store = super::open(data)?;
            let profile = store.resolve_profile(&id)?;
            let view = store.profile_view(profile, events)?;
            let computed = tessera_service::computed_values(&store, profile, at)?;
            if json {
                let mut body = serde_json::to_value(&view)?;
                body["computed"] = serde_json::to_value(&computed)?;
                outln!("{}", serde_json::to_string_pretty(&body)?);
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "profile #{} ({} record{})",
                view.profile,
                view.records.len(),
                if view.records.len() == 1 { "" } else { "s" }
            );
            outln!("identifiers:");
            for id in &view.identifiers {
                outln!("  {id}");
            }
            outln!("traits:");
            for (name, value) in &view.traits {
                outln!("  {name} = {value}");
            }
            outln!("computed (as of {}):", tessera_model::format_millis(at));
            for (name, value) in &computed {
                match value {
                    Some(value) => outln!("  {name} = {value}"),
                    None => outln!("  {name}: no value"),
                }
            }
            outln!("consent:");
            for purpose in tessera_model::ConsentPurpose::ALL {
                let state = match view.consents.get(purpose) {
                    Some(true) => "granted",
                    Some(false) => "refused",
                    None => "not stated (treated as not granted)",
                };
                outln!("  {purpose}: {state}");
            }
            outln!(
                "segments: {}",
                if view.segments.is_empty() {
                    "none".to_string()
                } else {
                    view.segments.join(", ")
                }
            );
            if !view.merges.is_empty() {
                outln!("merges:");
                for m in &view.merges {
                    outln!(
                        "  {} record #{} into #{}: {}",
                        m.at,
                        m.from,
                        m.into,
                        m.reason
                    );
                }
            }
            outln!("events: {} in total; most recent:", view.event_count);
            for (at, kind, name, props) in &view.recent_events {
                outln!("  {at}  {kind:<8} {name}  {props}");
            }
            Ok(ExitCode::SUCCESS)
        }
        ProfileCommand::Erase { id, yes } => {
            let mut store = super::open(data)?;
            let profile = store.resolve_profile(&id)?;
            if !yes {
                let view = store.profile_view(profile, 0)?;
                bail!(
                    "this would erase profile #{profile} ({} identifiers, {} events); add --yes to confirm",
                    view.identifiers.len(),
                    view.event_count
                );
            }
            let erasure = store.erase_profile(profile)?;
            outln!(
                "erased profile #{profile}: {} records, {} identifiers, {} events, {} trait values, {} memberships; the erasure is recorded without the erased data",
                erasure.profiles, erasure.identifiers, erasure.events, erasure.traits, erasure.memberships
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
