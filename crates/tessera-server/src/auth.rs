//! API-key authentication: HTTP Basic with the key as user name (Segment's write-key scheme),
//! `Bearer` tokens, or `writeKey` in the body; keys are compared by SHA-256 hash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use base64::Engine;
use tessera_store::{key_hash, ApiKey, Scope, Store};

use crate::ApiError;

/// Active keys by hash, reloaded from the store when an unknown key shows up (at most once a
/// second), so that `tessera key create` takes effect without a restart.
pub(crate) struct KeyCache {
    reader: Arc<Mutex<Store>>,
    keys: RwLock<HashMap<[u8; 32], ApiKey>>,
    last_reload: Mutex<Instant>,
}

const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

impl KeyCache {
    pub(crate) fn load(reader: Arc<Mutex<Store>>) -> Result<KeyCache, ApiError> {
        let cache = KeyCache {
            reader,
            keys: RwLock::new(HashMap::new()),
            last_reload: Mutex::new(Instant::now() - RELOAD_INTERVAL),
        };
        cache.reload()?;
        Ok(cache)
    }

    fn reload(&self) -> Result<(), ApiError> {
        let keys = {
            let reader = self
                .reader
                .lock()
                .map_err(|_| ApiError::Internal("key reader poisoned".into()))?;
            reader.active_api_keys()?
        };
        *self
            .keys
            .write()
            .map_err(|_| ApiError::Internal("key cache poisoned".into()))? =
            keys.into_iter().collect();
        Ok(())
    }

    /// The key for this plaintext, if it is active and allows `needed`.
    pub(crate) fn check(&self, plaintext: &str, needed: Scope) -> Result<ApiKey, ApiError> {
        let hash = key_hash(plaintext);
        let cached = self
            .keys
            .read()
            .map_err(|_| ApiError::Internal("key cache poisoned".into()))?
            .get(&hash)
            .cloned();
        let key = match cached {
            Some(key) => key,
            None => {
                let due = {
                    let mut last = self
                        .last_reload
                        .lock()
                        .map_err(|_| ApiError::Internal("poisoned".into()))?;
                    let due = last.elapsed() >= RELOAD_INTERVAL;
                    if due {
                        *last = Instant::now();
                    }
                    due
                };
                if due {
                    self.reload()?;
                }
                self.keys
                    .read()
                    .map_err(|_| ApiError::Internal("key cache poisoned".into()))?
                    .get(&hash)
                    .cloned()
                    .ok_or(ApiError::Unauthorized)?
            }
        };
        if key.scope.allows(needed) {
            Ok(key)
        } else {
            Err(ApiError::Forbidden(match needed {
                Scope::Write => "send events (it needs the write scope)",
                Scope::Read => "read (it needs the read scope)",
                Scope::Admin => "manage Tessera (it needs the admin scope)",
            }))
        }
    }
}

/// The key in the `Authorization` header: `Basic base64(key:)` as Segment's libraries send
/// it (the password is ignored), or `Bearer key`.
pub(crate) fn header_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let user = text.split_once(':').map_or(text.as_str(), |(user, _)| user);
        return (!user.is_empty()).then(|| user.to_string());
    }
    value
        .strip_prefix("Bearer ")
        .map(|key| key.trim().to_string())
        .filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_and_bearer_headers_give_the_key() {
        let mut headers = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("tsk_write_abc:");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).unwrap(),
        );
        assert_eq!(header_key(&headers).as_deref(), Some("tsk_write_abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k1"));
        assert_eq!(header_key(&headers).as_deref(), Some("k1"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(header_key(&headers), None);
    }
}
