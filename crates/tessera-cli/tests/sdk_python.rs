//! The official Segment Python SDK (segment-analytics-python, from PyPI) sends every call type
//! to a live `tessera serve`, batched and gzip-compressed, and the messages land on the
//! right profiles. The SDK is installed into a virtual environment by the test itself.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{init_with_key, start_server, tessera};

const SDK: &str = "segment-analytics-python==2.4.0";

/// A virtual environment with the SDK, made once per target directory.
fn sdk_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("segment-sdk-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if !ready.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed");
        assert!(status.success(), "creating the virtual environment failed");
        let output = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                SDK,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pip install {SDK} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&ready, SDK).unwrap();
    }
    python
}

fn profile(data: &Path, id: &str) -> serde_json::Value {
    let output = tessera(data)
        .args(["profile", "show", id, "--json", "--events", "50"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{id}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_official_python_sdk_sends_every_call_type_to_tessera() {
    let python = sdk_python();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = init_with_key(&data);
    let server = start_server(&data);
    let host = format!("http://{}", server.address);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/send_with_segment_sdk.py");
    for mode in ["batched", "gzip-sync"] {
        let output = Command::new(&python)
            .arg(&script)
            .env("TESSERA_HOST", &host)
            .env("TESSERA_KEY", &key)
            .env("SDK_MODE", mode)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{mode}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    drop(server);

    for mode in ["batched", "gzip-sync"] {
        let view = profile(&data, &format!("user_id:sdk-user-{mode}"));
        let identifiers: Vec<&str> = view["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["value"].as_str().unwrap())
            .collect();
        // identify's anonymous id and email, and alias's previous id, all lead to one person.
        for expected in [
            format!("anon-{mode}"),
            format!("sdk.user.{mode}@example.com"),
            format!("previous-{mode}"),
        ] {
            assert!(
                identifiers.contains(&expected.as_str()),
                "{mode}: {expected} not in {identifiers:?}"
            );
        }
        assert_eq!(view["traits"]["plan"], "pro", "{mode}");
        assert_eq!(view["traits"]["age"], 41.0, "{mode}");
        let events: Vec<&str> = view["recent_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[2].as_str().unwrap())
            .collect();
        for expected in [
            "Identify",
            "Order Completed",
            "Page Viewed",
            "Screen Viewed",
            "Group",
            "Alias",
        ] {
            assert!(
                events.contains(&expected),
                "{mode}: {expected} not in {events:?}"
            );
        }
        let order = view["recent_events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[2] == "Order Completed")
            .unwrap();
        assert_eq!(order[3]["revenue"], 42.5);
        // The anonymous visitor is a profile of its own.
        let visitor = profile(&data, &format!("anonymous_id:visitor-{mode}"));
        assert_eq!(visitor["recent_events"][0][2], "Product Viewed");
    }
}
