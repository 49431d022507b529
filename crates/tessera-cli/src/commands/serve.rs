//! `tessera serve` and `tessera key …`: the HTTP service and its API keys.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use tessera_server::{AppState, ServerConfig};
use tessera_store::{Scope, Store};

use crate::table::Table;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  tessera key create --name website --scope write     # prints the write key once
  tessera serve --listen 127.0.0.1:8088
  curl -u \"$WRITE_KEY:\" -H 'content-type: application/json' \\
       -d '{\"batch\":[{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u1\"}]}' \\
       http://127.0.0.1:8088/v1/batch

Point a Segment SDK at the same host (e.g. analytics-python's `host`) with the write key.
Logs go to standard error; set RUST_LOG=debug for more.")]
pub struct ServeArgs {
    /// Address to listen on [default: `[server] listen` in tessera.toml, else 127.0.0.1:8088].
    #[arg(long, env = "TESSERA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Largest accepted message in bytes [default: tessera.toml, else 32768].
    #[arg(long)]
    max_event_bytes: Option<usize>,
    /// Largest accepted batch body in bytes, after gzip decompression [default: tessera.toml, else 512000].
    #[arg(long)]
    max_batch_bytes: Option<usize>,
    /// Requests that may wait for the writer before new ones are answered 429 [default: tessera.toml, else 256].
    #[arg(long)]
    queue_capacity: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key and print it (it is stored only as a hash: copy it now).
    Create {
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// write (collection API), read, or admin (everything).
        #[arg(long, default_value = "write")]
        scope: Scope,
    },
    /// List API keys (without their secrets).
    List,
    /// Revoke an API key by id.
    Revoke { id: u64 },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Call URL when profiles enter or leave SEGMENT (prints the signing secret once).
    #[command(
        after_help = "Example:\n  tessera webhook add --segment vip --url http://127.0.0.1:9000/hooks --on enter"
    )]
    Add {
        #[arg(long)]
        segment: String,
        #[arg(long)]
        url: String,
        /// Which changes: enter, exit, or both.
        #[arg(long, value_delimiter = ',', default_values = ["enter", "exit"])]
        on: Vec<String>,
    },
    /// List webhooks.
    List,
    /// Remove a webhook (and its undelivered calls).
    Remove { id: u64 },
    /// Deliveries given up on after repeated failures.
    Dead,
    /// Put dead deliveries back in the queue: one by id, or all.
    Replay {
        id: Option<u64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

pub fn webhook(data: &Path, command: WebhookCommand) -> Result<ExitCode> {
    let mut store = super::open(data)?;
    match command {
        WebhookCommand::Add { segment, url, on } => {
            for item in &on {
                if item != "enter" && item != "exit" {
                    anyhow::bail!("--on `{item}`: expected enter, exit or both (enter,exit)");
                }
            }
            let on_enter = on.iter().any(|o| o == "enter");
            let on_exit = on.iter().any(|o| o == "exit");
            let hook = store.add_webhook(&segment, &url, on_enter, on_exit)?;
            eprintln!(
                "webhook #{} calls {} on {} of `{}`; calls carry X-Tessera-Signature: sha256=HMAC-SHA256(secret, body). The secret, shown only now:",
                hook.id, hook.url, on.join(" and "), hook.segment
            );
            outln!("{}", hook.secret);
        }
        WebhookCommand::List => {
            let mut table = Table::new(&["id", "segment", "url", "enter", "exit", "created"]);
            for hook in store.webhooks()? {
                table.row(vec![
                    hook.id.to_string(),
                    hook.segment,
                    hook.url,
                    hook.on_enter.to_string(),
                    hook.on_exit.to_string(),
                    tessera_model::format_millis(hook.created_at),
                ]);
            }
            out!("{}", table.render());
        }
        WebhookCommand::Remove { id } => {
            store.remove_webhook(id)?;
            outln!("removed webhook #{id}");
        }
        WebhookCommand::Dead => {
            let mut table = Table::new(&[
                "delivery",
                "webhook",
                "url",
                "attempts",
                "last error",
                "payload",
            ]);
            for d in store.dead_deliveries(1_000)? {
                table.row(vec![
                    d.id.to_string(),
                    d.webhook_id.to_string(),
                    d.url,
                    d.attempts.to_string(),
                    d.last_error.unwrap_or_default(),
                    d.payload,
                ]);
            }
            out!("{}", table.render());
        }
        WebhookCommand::Replay { id, all } => {
            if id.is_none() && !all {
                anyhow::bail!("give a delivery id, or --all");
            }
            let n = store.replay_dead(id)?;
            outln!("{n} dead deliveries queued again; a running `tessera serve` retries them within a second");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn serve(data: &Path, args: ServeArgs) -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let store = super::open(data)?;
    let reader = Store::open(data).context("opening a reading connection")?;
    if reader.active_api_keys()?.is_empty() {
        tracing::warn!(
            "no API key exists yet: create one with `tessera key create --name NAME --scope write`"
        );
    }
    // Flags (and TESSERA_LISTEN) win over tessera.toml's [server], which wins over defaults.
    let file = store.config().server.clone();
    let defaults = ServerConfig::default();
    let listen: SocketAddr = match (args.listen, &file.listen) {
        (Some(address), _) => address,
        (None, Some(text)) => text.parse().with_context(|| {
            format!(
                "tessera.toml: [server] listen = \"{text}\" is not host:port, e.g. 127.0.0.1:8088"
            )
        })?,
        (None, None) => "127.0.0.1:8088".parse().expect("a valid address"),
    };
    let config = ServerConfig {
        max_event_bytes: args
            .max_event_bytes
            .or(file.max_event_bytes)
            .unwrap_or(defaults.max_event_bytes),
        max_batch_bytes: args
            .max_batch_bytes
            .or(file.max_batch_bytes)
            .unwrap_or(defaults.max_batch_bytes),
        queue_capacity: args
            .queue_capacity
            .or(file.queue_capacity)
            .unwrap_or(defaults.queue_capacity),
        wrap_snapshot_load: Some(|load| super::loading(load)),
        ..defaults
    };
    let (state, writer) =
        AppState::start(store, reader, config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        tracing::info!(address = %listener.local_addr()?, data = %data.display(), "tessera is listening");
        tessera_server::serve(listener, state, writer, shutdown_signal()).await?;
        tracing::info!("stopped; everything acknowledged is committed");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

pub fn key(data: &Path, command: KeyCommand) -> Result<ExitCode> {
    let mut store = super::open(data)?;
    match command {
        KeyCommand::Create { name, scope } => {
            let (key, plaintext) = store.create_api_key(&name, scope)?;
            eprintln!(
                "created key #{} `{}` with scope {}; it is shown only now:",
                key.id, key.name, key.scope
            );
            outln!("{plaintext}");
        }
        KeyCommand::List => {
            let mut table = Table::new(&["id", "name", "scope", "prefix", "created", "revoked"]);
            for key in store.api_keys()? {
                table.row(vec![
                    key.id.to_string(),
                    key.name,
                    key.scope.to_string(),
                    format!("{}…", key.prefix),
                    tessera_model::format_millis(key.created_at),
                    key.revoked_at
                        .map(tessera_model::format_millis)
                        .unwrap_or_default(),
                ]);
            }
            out!("{}", table.render());
        }
        KeyCommand::Revoke { id } => {
            store.revoke_api_key(id)?;
            outln!("revoked key #{id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
