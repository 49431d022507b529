//! Places from CSV: one row per place with `name`, `lat`, `lon` and optional `tags`.
//!
//! Tags are separated by `|` or `;` inside their cell (`store|mall`). Other columns (such as
//! a store id) are ignored and reported as such. Every row is checked before anything is
//! stored, and every bad row is reported with its line, so a file is stored whole or not at
//! all.

use std::path::Path;

use tessera_store::Place;

/// A row that cannot be a place: `path:line: field: reason`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}:{line}: `{field}`: {reason}")]
pub struct PlaceRowError {
    pub path: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
}

/// The places of a CSV file, and the columns that were ignored.
#[derive(Debug, Default)]
pub struct PlacesFile {
    pub places: Vec<Place>,
    pub ignored_columns: Vec<String>,
}

/// Reads every row; `Err` lists every bad row (or the file-level problem) and stores nothing.
pub fn read_places_csv(path: &Path) -> Result<PlacesFile, Vec<PlaceRowError>> {
    let shown = path.display().to_string();
    let error = |line: u64, field: &str, reason: String| PlaceRowError {
        path: shown.clone(),
        line,
        field: field.to_string(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| vec![error(0, "file", e.to_string())])?;
    let headers = reader
        .headers()
        .map_err(|e| vec![error(1, "header", e.to_string())])?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(name_at), Some(lat_at), Some(lon_at)) =
        (column("name"), column("lat"), column("lon"))
    else {
        return Err(vec![error(
            1,
            "header",
            format!(
                "the header must name the columns `name`, `lat` and `lon` (found: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        )]);
    };
    let tags_at = column("tags");
    let used = [Some(name_at), Some(lat_at), Some(lon_at), tags_at];
    let mut file = PlacesFile {
        ignored_columns: headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(&Some(*i)))
            .map(|(_, h)| h.to_string())
            .collect(),
        ..PlacesFile::default()
    };
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(error(line, "row", e.to_string()));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        let cell = |i: usize| row.get(i).unwrap_or("");
        let coordinate = |i: usize, field: &str| -> Result<f64, PlaceRowError> {
            cell(i).parse::<f64>().map_err(|_| {
                error(
                    line,
                    field,
                    format!("`{}` is not a number of degrees such as 41.8781", cell(i)),
                )
            })
        };
        let place = match (coordinate(lat_at, "lat"), coordinate(lon_at, "lon")) {
            (Ok(lat), Ok(lon)) => Place {
                name: cell(name_at).to_string(),
                lat,
                lon,
                tags: tags_at
                    .map(|i| Place::parse_tags(cell(i)))
                    .unwrap_or_default(),
            },
            (Err(e), _) | (_, Err(e)) => {
                errors.push(e);
                continue;
            }
        };
        if let Err(e) = place.validate() {
            errors.push(error(line, e.field, e.reason));
            continue;
        }
        if let Some(first) = seen.insert(place.name.clone(), line) {
            errors.push(error(
                line,
                "name",
                format!("`{}` is already on line {first}", place.name),
            ));
            continue;
        }
        file.places.push(place);
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<PlacesFile, Vec<PlaceRowError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stores.csv");
        std::fs::write(&path, text).unwrap();
        read_places_csv(&path)
    }

    #[test]
    fn rows_become_places_with_tags_and_extra_columns_are_reported() {
        let file = read("store_id,name,lat,lon,tags\nS01,downtown,41.8781,-87.6298,store|urban\nS02,mall, 41.9 ,-87.7,\n").unwrap();
        assert_eq!(file.ignored_columns, ["store_id"]);
        assert_eq!(file.places.len(), 2);
        assert_eq!(file.places[0].tags, ["store", "urban"]);
        assert_eq!(file.places[1].lat, 41.9);
        assert!(file.places[1].tags.is_empty());
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let errors = read("name,lat,lon\nok,1,2\nbad,north,2\nfar,95,2\nok,3,4\n").unwrap_err();
        let shown: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}", e.line, e.field))
            .collect();
        assert_eq!(shown, ["3:lat", "4:lat", "5:name"]);
        assert!(
            errors[0].to_string().ends_with(
                "stores.csv:3: `lat`: `north` is not a number of degrees such as 41.8781"
            ),
            "{}",
            errors[0]
        );
        let missing = read("title,lat,lon\n").unwrap_err();
        assert!(
            missing[0].reason.contains("`name`, `lat` and `lon`"),
            "{}",
            missing[0]
        );
    }
}
