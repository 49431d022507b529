//! `tessera place`: the places (stores, venues) that geographic conditions refer to.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;
use tessera_store::Place;

use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum PlaceCommand {
    /// Create or replace a place.
    #[command(
        after_help = "Example:\n  tessera place add downtown --lat 41.8781 --lon -87.6298 --tags store,urban"
    )]
    Add {
        name: String,
        /// Latitude in degrees (WGS 84), -90…90.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees (WGS 84), -180…180.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Tags, comma-separated (`store,urban`).
        #[arg(long, default_value = "")]
        tags: String,
    },
    /// Create or replace places from a CSV file with columns name, lat, lon and tags.
    #[command(
        after_help = "Example:\n  tessera place import stores.csv\n\nThe file is checked whole first: if any row is bad, every bad row is listed\n(file:line: column: reason) and nothing is stored."
    )]
    Import { file: PathBuf },
    /// List places.
    List,
    /// Remove a place.
    Remove { name: String },
}

pub fn run(data: &Path, command: PlaceCommand) -> Result<ExitCode> {
    let mut store = super::open(data)?;
    match command {
        PlaceCommand::Add {
            name,
            lat,
            lon,
            tags,
        } => {
            let place = Place {
                name,
                lat,
                lon,
                tags: Place::parse_tags(&tags),
            };
            if let Err(e) = place.validate() {
                bail!("--{}: {}", e.field, e.reason);
            }
            store.upsert_places(std::slice::from_ref(&place))?;
            outln!("saved place `{}`", place.name);
        }
        PlaceCommand::Import { file } => match tessera_import::places::read_places_csv(&file) {
            Ok(read) => {
                store.upsert_places(&read.places)?;
                if !read.ignored_columns.is_empty() {
                    eprintln!(
                        "note: columns not used for places: {}",
                        read.ignored_columns.join(", ")
                    );
                }
                outln!("saved {} places from {}", read.places.len(), file.display());
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("error: {e}");
                }
                eprintln!("{} bad rows; nothing was stored", errors.len());
                return Ok(ExitCode::from(2));
            }
        },
        PlaceCommand::List => {
            let mut table = Table::new(&["name", "lat", "lon", "tags"]);
            for place in store.places()? {
                table.row(vec![
                    place.name,
                    place.lat.to_string(),
                    place.lon.to_string(),
                    place.tags.join(","),
                ]);
            }
            out!("{}", table.render());
        }
        PlaceCommand::Remove { name } => {
            if !store.remove_place(&name)? {
                bail!("no place named `{name}` (see `tessera place list`)");
            }
            outln!("removed place `{name}`");
        }
    }
    Ok(ExitCode::SUCCESS)
}
