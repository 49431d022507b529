//! Traits Tessera computes itself and writes back (a saved cluster: `cluster_retail = 3`), so
//! that segments, exports, SQL and the real-time server read them like any other trait.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use tessera_model::{Millis, TraitValue};

use crate::{Error, Result, Store};

impl Store {
    /// Records `name = value` for each canonical profile as an observation at `ts`, in one
    /// transaction, and returns how many were written. The trait's type is declared on first
    /// use; a trait that already has another type is refused (nothing is written), as an
    /// import would refuse it. Observations carry no message id: they are derived data,
    /// re-written by re-running what derived them, and erased with the person like any other
    /// trait value.
    pub fn write_derived_traits(
        &mut self,
        name: &str,
        values: &[(u64, TraitValue)],
        ts: Millis,
    ) -> Result<usize> {
        let Some(first) = values.first() else {
            return Ok(0);
        };
        let ty = first.1.trait_type();
        if let Some((_, other)) = values.iter().find(|(_, v)| v.trait_type() != ty) {
            return Err(Error::InvalidInput(format!(
                "trait `{name}`: values of two types ({} and {})",
                ty.as_str(),
                other.trait_type().as_str()
            )));
        }
        // Every profile must be a canonical one (checked before anything is written).
        let canonical = self.canonical_ids()?;
        if let Some((profile, _)) = values
            .iter()
            .find(|(p, _)| canonical.get(*p as usize) != Some(p))
        {
            return Err(Error::InvalidInput(format!(
                "trait `{name}`: profile #{profile} does not exist (or was merged into another)"
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let declared: Option<String> = tx
            .query_row(
                "SELECT type FROM trait_schema WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        match declared {
            Some(declared) if declared != ty.as_str() => {
                return Err(Error::InvalidInput(format!(
                    "trait `{name}` is already a {declared} trait; these values are {}: choose another name",
                    ty.as_str()
                )));
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO trait_schema (name, type) VALUES (?1, ?2)",
                    params![name, ty.as_str()],
                )?;
            }
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO trait_values (profile_id, name, ts, value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (profile, value) in values {
                insert.execute(params![
                    *profile as i64,
                    name,
                    ts,
                    value.to_json().to_string()
                ])?;
            }
        }
        tx.commit()?;
        self.trait_types.insert(name.to_string(), ty);
        Ok(values.len())
    }
}
