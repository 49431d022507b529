//! `tessera cluster`, `persona` and `journey` end to end on a small generated retail chain:
//! tables, JSON, charts and the messages of refused flags.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tessera(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

const AT: &str = "2026-11-01T00:00:00Z";

/// 300 generated customers with every file imported.
fn setup(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let input = dir.join("input");
    let input_s = input.to_str().unwrap();
    ok(tessera(
        &data,
        &["gen", "--customers", "300", "--out", input_s],
    ));
    ok(tessera(&data, &["init"]));
    let file = |name: &str| input.join(name).to_str().unwrap().to_string();
    ok(tessera(
        &data,
        &[
            "import",
            &file("customers.csv"),
            "--mapping",
            &file("customers.mapping.toml"),
        ],
    ));
    ok(tessera(
        &data,
        &[
            "import",
            &file("pos_transactions.csv"),
            "--mapping",
            &file("pos.mapping.toml"),
        ],
    ));
    ok(tessera(
        &data,
        &[
            "import",
            &file("web_events.jsonl"),
            &file("email_events.jsonl"),
        ],
    ));
    data
}

#[test]
fn cluster_persona_and_journey_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    let table = ok(tessera(
        &data,
        &[
            "cluster",
            "evaluate",
            "--features",
            "retail",
            "--k-range",
            "2..3",
            "--at",
            AT,
            "--plot",
            &path("k.svg"),
        ],
    ));
    assert!(
        table.starts_with("k  inertia  silhouette  davies_bouldin  calinski_harabasz"),
        "{table}"
    );
    assert!(table.contains("<- suggested (best silhouette)"), "{table}");
    let svg = std::fs::read_to_string(path("k.svg")).unwrap();
    assert!(
        svg.contains("mean silhouette") && svg.contains("suggested k = "),
        "chart labels"
    );

    let run = ok(tessera(
        &data,
        &[
            "cluster",
            "run",
            "--features",
            "retail",
            "--k",
            "3",
            "--at",
            AT,
            "--plot",
            &path("pca.png"),
            "--members-out",
            &path("members.csv"),
        ],
    ));
    assert!(run.contains("3 clusters of "), "{run}");
    assert!(
        run.contains("cluster  size  share  distinguishing features"),
        "{run}"
    );
    assert_eq!(&std::fs::read(path("pca.png")).unwrap()[..4], b"\x89PNG");
    let csv = std::fs::read_to_string(path("members.csv")).unwrap();
    assert!(csv.starts_with("profile_id,cluster\n"));

    // The same seed gives the same clusters; JSON sizes add up to the profiles clustered.
    let json: serde_json::Value = serde_json::from_str(&ok(tessera(
        &data,
        &[
            "cluster",
            "run",
            "--features",
            "retail",
            "--k",
            "3",
            "--at",
            AT,
            "--json",
        ],
    )))
    .unwrap();
    let sizes: u64 = json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["size"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, json["profiles"].as_u64().unwrap());
    assert_eq!(sizes as usize + 1, csv.lines().count());

    let persona = ok(tessera(
        &data,
        &[
            "persona",
            "--where",
            "did(Order Completed where channel = \"web\")",
            "--at",
            AT,
        ],
    ));
    assert!(persona.starts_with("(where): "), "{persona}");
    assert!(
        persona.contains("feature") && persona.contains("p-value"),
        "{persona}"
    );
    assert!(persona.contains("channels (purchases)"), "{persona}");
    assert!(
        persona.contains("typical purchase time (members' local time"),
        "{persona}"
    );
    let persona: serde_json::Value = serde_json::from_str(&ok(tessera(
        &data,
        &[
            "persona",
            "--where",
            "did(Order Completed where channel = \"web\")",
            "--at",
            AT,
            "--json",
        ],
    )))
    .unwrap();
    // Every member ordered on the web: the web share of their orders is far above everyone's.
    let web = persona["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "channel=web")
        .unwrap();
    assert!(web["lift"].as_f64().unwrap() > 1.5, "{web}");
    assert_eq!(web["significant"], true);
    assert!(!persona["description"].as_str().unwrap().is_empty());

    let journey = ok(tessera(
        &data,
        &[
            "journey",
            "--where",
            "did(Order Completed)",
            "--goal",
            "Order Completed",
            "--at",
            AT,
            "--plot",
            &path("paths.svg"),
        ],
    ));
    assert!(
        journey.contains("path") && journey.contains("funnel step"),
        "{journey}"
    );
    assert!(std::fs::read_to_string(path("paths.svg"))
        .unwrap()
        .contains("Order Completed ("));
    let journey: serde_json::Value = serde_json::from_str(&ok(tessera(
        &data,
        &[
            "journey",
            "--where",
            "did(Order Completed)",
            "--goal",
            "Order Completed",
            "--steps",
            "2",
            "--at",
            AT,
            "--json",
        ],
    )))
    .unwrap();
    // Everyone in `did(Order Completed)` converted.
    assert_eq!(journey["members"], journey["converters"]);
    assert!(journey["paths"][0]["steps"].as_array().unwrap().len() <= 3);
}

#[test]
fn refused_flags_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(tessera(&data, &["init"]));
    let err = |args: &[&str]| {
        let o = tessera(&data, args);
        assert!(!o.status.success(), "{args:?} succeeded");
        stderr(&o)
    };
    assert!(
        err(&["cluster", "run", "--features", "retail", "--k-range", "2-5"])
            .contains("--k-range `2-5`: write it as A..B, e.g. 2..10")
    );
    assert!(err(&["cluster", "run", "--features", "nosuch", "--k", "3"])
        .contains("--features `nosuch`: no such file, no features/nosuch.toml here or in"));
    assert!(err(&[
        "cluster",
        "run",
        "--features",
        "retail",
        "--algorithm",
        "dbscan"
    ])
    .contains("--algorithm dbscan needs --eps RADIUS and --min-samples N"));
    assert!(
        err(&["cluster", "run", "--features", "retail"]).contains("give --k N or --k-range A..B")
    );
    assert!(err(&[
        "cluster",
        "run",
        "--features",
        "retail",
        "--k",
        "3",
        "--plot",
        "x.jpg"
    ])
    .contains("--plot `x.jpg`: the file name must end in .svg or .png"));
    assert!(err(&[
        "cluster",
        "run",
        "--features",
        "retail",
        "--k",
        "3",
        "--linkage",
        "ward"
    ])
    .contains("--linkage applies to --algorithm agglomerative only"));
    assert!(
        err(&["journey", "--where", "age > 1", "--goal", "X", "--steps", "0"])
            .contains("--steps must be between 1 and 10")
    );
    assert!(err(&["persona", "--alpha", "2", "--where", "age > 1"])
        .contains("--alpha must be between 0 and 1"));
    // A feature set file with a mistake is reported at its line and column.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[[feature]]\nkind = \"count\"\nevent = \"Email Opened\"\nwindow = \"1 month\"\n").unwrap();
    let message = err(&[
        "cluster",
        "run",
        "--features",
        bad.to_str().unwrap(),
        "--k",
        "3",
    ]);
    assert!(
        message.contains(
            "bad.toml:5:10: window: `1 month` is not a duration such as 30m, 12h, 7d or 2w"
        ),
        "{message}"
    );
}

/// Clusters become segments: `cluster save` writes every profile's cluster as a trait, the
/// segment `trait = N` has exactly the members `cluster run --members-out` lists for N, the
/// written definitions apply, and the refusals come before any clustering.
#[test]
fn saved_clusters_are_segments_with_the_clustered_members() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let clustering = ["--features", "retail", "--k", "3", "--at", AT];
    let mut run = vec!["cluster", "run", "--members-out"];
    let members_csv = path("members.csv");
    run.push(&members_csv);
    run.extend(clustering);
    ok(tessera(&data, &run));
    let mut save = vec!["cluster", "save", "--trait", "cluster_retail", "--segments"];
    let segments_dir = path("segments");
    save.push(&segments_dir);
    save.extend(clustering);
    let saved = tessera(&data, &save);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert!(
        stderr(&saved).contains("wrote trait `cluster_retail`"),
        "{}",
        stderr(&saved)
    );

    let listed = std::fs::read_to_string(&members_csv).unwrap();
    for cluster in 0..3 {
        let mut expected: Vec<String> = listed
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(','))
            .filter(|(_, c)| *c == cluster.to_string())
            .map(|(p, _)| p.to_string())
            .collect();
        expected.sort();
        let condition = format!("cluster_retail = {cluster}");
        let members = ok(tessera(
            &data,
            &["segment", "members", "--where", &condition, "--at", AT],
        ));
        let mut got: Vec<String> = members
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        got.sort();
        assert!(!expected.is_empty(), "cluster {cluster} is empty");
        assert_eq!(got, expected, "cluster {cluster}");
    }
    // Everyone has a value: a cluster, or -1.
    let nobody = ok(tessera(
        &data,
        &[
            "segment",
            "size",
            "--where",
            "cluster_retail is null",
            "--at",
            AT,
            "--json",
        ],
    ));
    assert!(nobody.contains("\"size\": 0"), "{nobody}");

    // The definitions are segments as code.
    let file = std::fs::read_to_string(dir.path().join("segments/cluster_retail_1.toml")).unwrap();
    assert!(
        file.contains("condition = \"cluster_retail = 1\""),
        "{file}"
    );
    let applied = ok(tessera(
        &data,
        &["segment", "apply", &segments_dir, "--at", AT],
    ));
    assert!(applied.contains("cluster_retail_2"), "{applied}");
    // The stored segments chart as sizes and as an overlap heatmap.
    let sizes_png = path("sizes.png");
    ok(tessera(
        &data,
        &["segment", "size", "--at", AT, "--plot", &sizes_png],
    ));
    assert_eq!(&std::fs::read(&sizes_png).unwrap()[..4], b"\x89PNG");
    let overlap_svg = path("overlap.svg");
    ok(tessera(
        &data,
        &[
            "segment",
            "overlap",
            "cluster_retail_0",
            "cluster_retail_1",
            "--at",
            AT,
            "--plot",
            &overlap_svg,
        ],
    ));
    let svg = std::fs::read_to_string(&overlap_svg).unwrap();
    assert!(
        svg.contains("cluster_retail_1") && svg.contains("Jaccard"),
        "heatmap labels"
    );
    let wrong = tessera(&data, &["segment", "size", "--plot", &path("sizes.txt")]);
    assert!(!wrong.status.success());

    // Refusals: an existing trait without --replace, a built-in name, a computed trait.
    let again = tessera(&data, &save);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--replace"), "{}", stderr(&again));
    let mut replace = save.clone();
    replace.push("--replace");
    ok(tessera(&data, &replace));
    let builtin = tessera(
        &data,
        &[
            "cluster",
            "save",
            "--trait",
            "local_hour",
            "--features",
            "retail",
            "--k",
            "3",
        ],
    );
    assert!(
        stderr(&builtin).contains("built-in"),
        "{}",
        stderr(&builtin)
    );
    let income = tessera(
        &data,
        &[
            "cluster",
            "save",
            "--trait",
            "income",
            "--features",
            "retail",
            "--k",
            "3",
        ],
    );
    assert!(
        stderr(&income).contains("exists already"),
        "{}",
        stderr(&income)
    );
}
