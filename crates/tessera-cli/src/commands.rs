//! One module per command group, and the helpers they share.

pub mod cluster;
pub mod cluster_save;
pub mod demo;
pub mod discover;
pub mod export;
pub mod import;
pub mod journey;
pub mod loadgen;
pub mod members;
pub mod persona;
pub mod place;
pub mod profile;
pub mod report;
pub mod segment;
pub mod serve;
pub mod sql;
pub mod warehouse;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tessera_model::{parse_timestamp, Millis};
use tessera_store::Store;

pub fn init(data: &Path) -> Result<ExitCode> {
    let store = Store::init(data).with_context(|| format!("initialising {}", data.display()))?;
    outln!(
        "initialised {} (schema version {}); configuration in {}",
        data.display(),
        store.schema_version()?,
        data.join(tessera_store::CONFIG_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn open(data: &Path) -> Result<Store> {
    Store::open(data).with_context(|| format!("opening the store in {}", data.display()))
}

/// mimalloc's `mi_option_purge_delay` (milliseconds before freed memory goes back to the OS;
/// 1,000 in mimalloc 3): its position in the option enum of `mimalloc.h`, v2 and v3 alike,
/// which `libmimalloc-sys` does not name (it names 14 and 16 around it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Runs a load of the store with freed memory handed back to the OS at once, then returns
/// what is still held. Loading frees about as much as the engine keeps (parsed events, the
/// staging of every column); mimalloc holds freed pages for reuse, so without this the
/// process keeps its load-time high-water mark. Measured on the 1M-customer store: without the
/// final collect, 3.2 GiB resident after the load instead of 2.0 GiB; without purging during
/// the load, the peak is the freed staging of the traits (see BENCHMARKS.md).
///
/// Only a positive delay is changed (a user's `MIMALLOC_PURGE_DELAY=-1`, no purging, is kept),
/// and it is restored afterwards: steady allocation later keeps mimalloc's batching.
#[allow(unsafe_code)]
pub fn loading<T>(load: impl FnOnce() -> T) -> T {
    // SAFETY: `mi_option_get`/`mi_option_set` read and write a process-wide option, valid to
    // call at any time from any thread; `mi_collect` only walks mimalloc's own heaps. None
    // takes a pointer from us.
    let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    let purge_now = delay > 0;
    if purge_now {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    let loaded = load();
    if purge_now {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
    }
    unsafe { libmimalloc_sys::mi_collect(true) };
    loaded
}

/// `--at` values: RFC 3339 or a date; absent means now.
pub fn at_or_now(at: Option<&str>) -> Result<Millis> {
    match at {
        None => Ok(now()),
        Some(text) => parse_timestamp(text).with_context(|| {
            format!(
                "--at `{text}` is not a date or RFC 3339 timestamp such as 2026-10-01T00:00:00Z"
            )
        }),
    }
}

pub fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
