//! API keys with scopes, stored as SHA-256 hashes (the plaintext is shown once).

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{now_millis, Error, Result, Store};

/// What a key may do. `admin` may do everything; `read` may read; `write` may only send
/// events to the collection API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Write,
    Read,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Write => "write",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// Whether a key of this scope may act with `needed`.
    pub fn allows(self, needed: Scope) -> bool {
        self == Scope::Admin || self == needed
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "write" => Ok(Scope::Write),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            other => Err(format!(
                "unknown scope `{other}`: expected write, read or admin"
            )),
        }
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: u64,
    pub name: String,
    pub scope: Scope,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The SHA-256 of a key's plaintext: what is stored and compared.
pub fn key_hash(plaintext: &str) -> [u8; 32] {
    Sha256::digest(plaintext.as_bytes()).into()
}

impl Store {
    /// Creates a key and returns it with its plaintext, which is not stored anywhere.
    pub fn create_api_key(&mut self, name: &str, scope: Scope) -> Result<(ApiKey, String)> {
        let mut secret = [0u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let plaintext = format!("tsk_{}_{hex}", scope.as_str());
        let prefix: String = plaintext.chars().take(16).collect();
        let created_at = now_millis();
        let id: u64 = self.conn.query_row(
            "INSERT INTO api_keys (name, scope, hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![name, scope.as_str(), key_hash(&plaintext).as_slice(), prefix, created_at],
            |r| r.get(0),
        )?;
        let key = ApiKey {
            id,
            name: name.to_string(),
            scope,
            prefix,
            created_at,
            revoked_at: None,
        };
        Ok((key, plaintext))
    }

    /// Every key, revoked ones included.
    pub fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_keys ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_key)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .collect()
    }

    /// Hashes of the keys that are not revoked, with the key they belong to.
    pub fn active_api_keys(&self) -> Result<Vec<([u8; 32], ApiKey)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, scope, prefix, created_at, revoked_at, hash FROM api_keys WHERE revoked_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            let hash: Vec<u8> = r.get(6)?;
            Ok((hash, row_to_key(r)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, key) = row?;
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| Error::Internal("api key hash is not 32 bytes".into()))?;
            out.push((hash, key?));
        }
        Ok(out)
    }

    /// The active key with this plaintext, if any.
    pub fn verify_api_key(&self, plaintext: &str) -> Result<Option<ApiKey>> {
        let key = self
            .conn
            .query_row(
                "SELECT id, name, scope, prefix, created_at, revoked_at FROM api_keys
                 WHERE hash = ?1 AND revoked_at IS NULL",
                [key_hash(plaintext).as_slice()],
                row_to_key,
            )
            .optional()?;
        key.transpose()
    }

    pub fn revoke_api_key(&mut self, id: u64) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now_millis()],
        )?;
        if changed == 0 {
            return Err(Error::Internal(format!("no active API key with id {id}")));
        }
        Ok(())
    }
}

fn row_to_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ApiKey>> {
    let scope: String = r.get(2)?;
    Ok(scope
        .parse::<Scope>()
        .map_err(Error::Internal)
        .map(|scope| ApiKey {
            id: r.get::<_, i64>(0).unwrap_or_default() as u64,
            name: r.get(1).unwrap_or_default(),
            scope,
            prefix: r.get(3).unwrap_or_default(),
            created_at: r.get(4).unwrap_or_default(),
            revoked_at: r.get(5).unwrap_or_default(),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_verify_by_hash_and_stop_working_when_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::init(dir.path()).unwrap();
        let (key, plaintext) = store.create_api_key("web", Scope::Write).unwrap();
        assert!(plaintext.starts_with("tsk_write_"));
        assert_eq!(store.verify_api_key(&plaintext).unwrap(), Some(key.clone()));
        assert_eq!(store.verify_api_key("tsk_write_nope").unwrap(), None);
        assert_eq!(store.active_api_keys().unwrap()[0].0, key_hash(&plaintext));
        store.revoke_api_key(key.id).unwrap();
        assert_eq!(store.verify_api_key(&plaintext).unwrap(), None);
        assert!(store.revoke_api_key(key.id).is_err());
        assert_eq!(store.api_keys().unwrap().len(), 1);
        assert!(Scope::Admin.allows(Scope::Write) && !Scope::Read.allows(Scope::Write));
    }
}
