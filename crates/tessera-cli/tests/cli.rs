//! The `tessera` binary end to end on small files: import, segments as code, explain,
//! members export, erase — reading the messages users see.

use std::path::Path;
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

const AT: &str = "2026-11-01T00:00:00Z";

fn setup(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    assert!(tessera(&data, &["init"]).status.success());
    let crm = dir.join("crm.csv");
    std::fs::write(
        &crm,
        "id,email,age,city_tier,income,updated\n\
         c1,ana@example.com,30,urban,90000,2026-01-01\n\
         c2,bo@example.com,41,rural,50000,2026-01-01\n\
         c3,cy@example.com,28,urban,120000,2026-01-01\n",
    )
    .unwrap();
    let out = tessera(
        &data,
        &[
            "import",
            crm.to_str().unwrap(),
            "--id",
            "user_id=id",
            "--id",
            "email=email",
            "--trait",
            "age:number=age",
            "--trait",
            "city_tier=city_tier",
            "--trait",
            "income:number=income",
            "--timestamp",
            "updated",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let events = dir.join("events.jsonl");
    let mut lines = Vec::new();
    for (i, (user, event, day)) in [
        ("c1", "Product Viewed", 29),
        ("c1", "Product Viewed", 30),
        ("c1", "Product Viewed", 31),
        ("c3", "Product Viewed", 30),
        ("c3", "Order Completed", 31),
    ]
    .iter()
    .enumerate()
    {
        lines.push(format!(
            r#"{{"type":"track","event":"{event}","userId":"{user}","messageId":"m{i}","timestamp":"2026-10-{day}T10:00:00Z","properties":{{"product_id":"X","revenue":10}}}}"#
        ));
    }
    std::fs::write(&events, lines.join("\n")).unwrap();
    let out = tessera(&data, &["import", events.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("5 stored"), "{}", stdout(&out));
    data
}

#[test]
fn gzip_files_import_by_the_name_under_gz_and_rejects_name_the_compressed_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let file = dir.path().join("more.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        b"{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"c2\",\"messageId\":\"g1\",\"timestamp\":\"2026-10-30T10:00:00Z\"}\n\
          {\"type\":\"track\",\"userId\":\"c1\",\"timestamp\":\"2026-10-01T00:00:00Z\"}\n",
    )
    .unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    let out = tessera(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 stored"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("more.jsonl.gz:2: field `event`"), "{err}");
}

#[test]
fn rejected_lines_give_exit_status_2_and_a_precise_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"type\":\"track\",\"userId\":\"c1\",\"timestamp\":\"2026-10-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let out = tessera(&data, &["import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.jsonl:1: field `event`: missing; a track message needs the event name"),
        "{err}"
    );
    assert!(err.contains("bad.jsonl.rejects.jsonl"), "{err}");
}

#[test]
fn segments_as_code_plan_apply_size_explain_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).unwrap();
    std::fs::write(
        segments.join("hot.toml"),
        "name = \"hot\"\ndescription = \"viewed X 3+ times, no order\"\ncondition = '''\ncount(Product Viewed where product_id = \"X\" in last 7d) >= 3\n  and not did(Order Completed in last 7d) and age between 25 and 35'''\nmin_size = 1\n",
    )
    .unwrap();
    std::fs::write(
        segments.join("urban.toml"),
        "name = \"urban\"\ncondition = 'city_tier = \"urban\"'\n",
    )
    .unwrap();

    let plan = tessera(
        &data,
        &["segment", "plan", segments.to_str().unwrap(), "--at", AT],
    );
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(text.contains("hot") && text.contains("+1"), "{text}");
    assert!(
        text.contains("over-segmented: below min_size 100"),
        "urban has 2 < 100: {text}"
    );

    assert!(tessera(
        &data,
        &["segment", "apply", segments.to_str().unwrap(), "--at", AT]
    )
    .status
    .success());
    let replan = stdout(&tessera(
        &data,
        &["segment", "plan", segments.to_str().unwrap(), "--at", AT],
    ));
    assert!(
        replan.contains("unchanged") && replan.contains("+0") && replan.contains("-0"),
        "{replan}"
    );

    let explain = tessera(
        &data,
        &["segment", "explain", "hot", "user_id:c1", "--at", AT],
    );
    let text = stdout(&explain);
    assert!(text.contains("=> member"), "{text}");
    let explain = tessera(
        &data,
        &["segment", "explain", "hot", "user_id:c3", "--at", AT],
    );
    assert!(
        stdout(&explain).contains("=> not a member"),
        "{}",
        stdout(&explain)
    );

    let members = stdout(&tessera(
        &data,
        &["segment", "members", "urban", "--at", AT, "--format", "csv"],
    ));
    let lines: Vec<&str> = members.lines().collect();
    assert_eq!(
        lines[0],
        "profile,user_id,email,phone,loyalty_id,anonymous_ids"
    );
    assert_eq!(lines.len(), 3, "{members}");
    assert!(
        members.contains(",c1,ana@example.com,") && members.contains(",c3,cy@example.com,"),
        "{members}"
    );

    let overlap = stdout(&tessera(&data, &["segment", "overlap", "--at", AT]));
    assert!(overlap.contains("Jaccard"), "{overlap}");
    let sizes = stdout(&tessera(&data, &["segment", "size", "--json", "--at", AT]));
    let sizes: serde_json::Value = serde_json::from_str(&sizes).unwrap();
    assert_eq!(sizes[0]["name"], "hot");
    assert_eq!(sizes[0]["size"], 1);
    assert_eq!(sizes[1]["size"], 2);
}

#[test]
fn segment_errors_point_into_the_definition_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).unwrap();
    std::fs::write(
        segments.join("vip.toml"),
        "name = \"vip\"\ndescription = \"x\"\ncondition = 'incme > 75000'\n",
    )
    .unwrap();
    let out = tessera(&data, &["segment", "plan", segments.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("vip.toml:3:14"), "{err}");
    assert!(err.contains("unknown trait `incme`"), "{err}");
    assert!(err.contains("did you mean `income`?"), "{err}");

    let out = tessera(
        &data,
        &[
            "segment",
            "check",
            "--where",
            "age > \"old\" and count(Product Viewed) >=",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("--where:1:"), "{err}");
}

#[test]
fn erase_removes_the_person_and_says_what_was_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let refused = tessera(&data, &["profile", "erase", "email:ana@example.com"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("add --yes to confirm"),
        "{}",
        stderr(&refused)
    );
    let out = tessera(
        &data,
        &["profile", "erase", "email:ana@example.com", "--yes"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("4 events"), "{}", stdout(&out));
    let gone = tessera(&data, &["profile", "show", "user_id:c1"]);
    assert!(!gone.status.success());
    assert!(
        stderr(&gone).contains("no profile has the identifier user_id:c1"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn places_are_added_imported_checked_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(tessera(&data, &["init"]).status.success());
    let added = tessera(
        &data,
        &[
            "place",
            "add",
            "downtown",
            "--lat",
            "41.8781",
            "--lon",
            "-87.6298",
            "--tags",
            "store,urban",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let swapped = tessera(
        &data,
        &["place", "add", "sf", "--lat", "-122.4", "--lon", "37.8"],
    );
    assert!(!swapped.status.success());
    assert!(
        stderr(&swapped).contains("--lat: latitude -122.4 is outside -90…90 degrees"),
        "{}",
        stderr(&swapped)
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,lat,lon,tags\nmall,41.9,-87.7,store\nx,,1,\n").unwrap();
    let rejected = tessera(&data, &["place", "import", bad.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(
        stderr(&rejected).contains("bad.csv:3: `lat`"),
        "{}",
        stderr(&rejected)
    );
    let good = dir.path().join("stores.csv");
    std::fs::write(
        &good,
        "store_id,name,lat,lon,tags\nS1,mall,41.9,-87.7,store|mall\n",
    )
    .unwrap();
    let imported = tessera(&data, &["place", "import", good.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(stderr(&imported).contains("columns not used for places: store_id"));

    let listed = stdout(&tessera(&data, &["place", "list"]));
    let names: Vec<&str> = listed
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["downtown", "mall"], "{listed}");
    assert!(listed.contains("store,mall"));
    assert!(tessera(&data, &["place", "remove", "mall"])
        .status
        .success());
    assert!(!tessera(&data, &["place", "remove", "mall"])
        .status
        .success());
}

#[test]
fn geo_conditions_and_segment_references_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(tessera(&data, &["init"]).status.success());
    // Ana lives 1.1 km from the Loop store, Bo 40 km away, Cy has no home on file.
    let people = dir.path().join("people.jsonl");
    std::fs::write(
        &people,
        [
            r#"{"type":"identify","messageId":"p1","userId":"ana","timestamp":"2026-10-01T00:00:00Z","traits":{"home":{"lat":41.8881,"lon":-87.6298},"income":150}}"#,
            r#"{"type":"identify","messageId":"p2","userId":"bo","timestamp":"2026-10-01T00:00:00Z","traits":{"home":{"lat":42.2381,"lon":-87.6298},"income":150}}"#,
            r#"{"type":"identify","messageId":"p3","userId":"cy","timestamp":"2026-10-01T00:00:00Z","traits":{"income":150}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    assert!(tessera(&data, &["import", people.to_str().unwrap()])
        .status
        .success());
    let stores = dir.path().join("stores.csv");
    std::fs::write(
        &stores,
        "name,lat,lon,tags\nloop,41.8781,-87.6298,store|urban\n",
    )
    .unwrap();
    assert!(
        tessera(&data, &["place", "import", stores.to_str().unwrap()])
            .status
            .success()
    );

    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).unwrap();
    for (file, text) in [
        ("near.toml", "name = \"near\"\ncondition = 'home within 2 km of any place tagged \"store\"'\nmin_size = 1\n"),
        ("rich.toml", "name = \"rich\"\ncondition = 'income > 100'\nmin_size = 1\n"),
        ("target.toml", "name = \"target\"\ncondition = 'in segment \"rich\" and not in segment \"near\"'\nmin_size = 1\n"),
    ] {
        std::fs::write(segments.join(file), text).unwrap();
    }
    let applied = tessera(
        &data,
        &["segment", "apply", segments.to_str().unwrap(), "--at", AT],
    );
    assert!(applied.status.success(), "{}", stderr(&applied));
    let members = |name: &str| -> Vec<String> {
        let out = stdout(&tessera(
            &data,
            &["segment", "members", name, "--at", AT, "--format", "csv"],
        ));
        out.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(members("near"), ["ana"]);
    assert_eq!(
        members("target"),
        ["bo", "cy"],
        "two-valued logic: no home is not near"
    );

    let why = stdout(&tessera(
        &data,
        &["segment", "explain", "near", "user_id:ana", "--at", AT],
    ));
    assert!(
        why.contains("1.112 km away") && why.contains("=> member"),
        "{why}"
    );

    // A cycle is refused with the chain named, and a misspelt place with a suggestion.
    std::fs::write(
        segments.join("rich.toml"),
        "name = \"rich\"\ncondition = 'in segment \"target\"'\n",
    )
    .unwrap();
    let cycle = tessera(
        &data,
        &["segment", "plan", segments.to_str().unwrap(), "--at", AT],
    );
    assert!(!cycle.status.success());
    assert!(
        stderr(&cycle).contains("segment references form a cycle: `target` → `rich` → `target`"),
        "{}",
        stderr(&cycle)
    );
    let typo = tessera(
        &data,
        &[
            "segment",
            "size",
            "--where",
            "home within 1 km of place \"lop\"",
            "--at",
            AT,
        ],
    );
    assert!(!typo.status.success());
    assert!(
        stderr(&typo).contains("did you mean `loop`?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn rfm_traits_score_purchasers_by_quintile_in_batch_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(tessera(&data, &["init"]).status.success());
    // Customer k (1..=10) ordered k times, the last time k days before AT, 10 each.
    let mut lines = Vec::new();
    for k in 1..=10 {
        for i in 0..k {
            lines.push(format!(
                r#"{{"type":"track","messageId":"o{k}-{i}","userId":"c{k}","event":"Order Completed","timestamp":"2026-10-{:02}T00:00:00Z","properties":{{"revenue":10}}}}"#,
                31 - k - i
            ));
        }
    }
    let file = dir.path().join("orders.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    assert!(tessera(&data, &["import", file.to_str().unwrap()])
        .status
        .success());
    let size = |condition: &str| -> u64 {
        let out = tessera(
            &data,
            &[
                "segment", "size", "--where", condition, "--at", AT, "--json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()[0]["size"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(size("rfm.f >= 4"), 4, "two customers per quintile");
    assert_eq!(size("rfm.r = 5 and rfm.f = 1"), 2);
    assert_eq!(size("rfm.segment = \"Can't Lose Them\""), 2);
    assert_eq!(size("rfm.monetary > 85"), 2);
    let why = stdout(&tessera(
        &data,
        &[
            "segment",
            "explain",
            "--where",
            "rfm.f = 5",
            "user_id:c10",
            "--at",
            AT,
        ],
    ));
    assert!(
        why.contains("rfm.f = 5") && why.contains("=> member"),
        "{why}"
    );
}

#[test]
fn computed_traits_are_the_event_conditions_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = setup(dir.path());
    let config = data.join("tessera.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen(
            "[computed]\n",
            "[computed]\nspend = \"sum(Order Completed.revenue)\"\nviews_7d = \"count(Product Viewed in last 7d)\"\n",
            1,
        ),
    )
    .unwrap();
    let members = |condition: &str| -> String {
        let out = tessera(
            &data,
            &[
                "segment", "members", "--where", condition, "--at", AT, "--format", "csv",
            ],
        );
        assert!(out.status.success(), "{condition}: {}", stderr(&out));
        stdout(&out)
    };
    for (computed, direct) in [
        ("spend > 5", "sum(Order Completed.revenue) > 5"),
        ("not spend > 5", "not sum(Order Completed.revenue) > 5"),
        (
            "views_7d >= 3 and spend = 0",
            "count(Product Viewed in last 7d) >= 3 and sum(Order Completed.revenue) = 0",
        ),
    ] {
        assert_eq!(members(computed), members(direct), "{computed}");
    }
    // Not vacuous: someone spent more than 5, and someone did not.
    let spenders = members("spend > 5").lines().count() - 1;
    let others = members("not spend > 5").lines().count() - 1;
    assert!(spenders > 0 && others > 0, "{spenders} / {others}");
    // The profile view shows the values the segments test: each spender's `spend` is exactly
    // the number for which `spend = X` finds them.
    let spender = members("spend > 5");
    let profile = spender.lines().nth(1).unwrap().split(',').next().unwrap();
    let shown = tessera(
        &data,
        &[
            "profile",
            "show",
            &format!("#{profile}"),
            "--json",
            "--at",
            AT,
        ],
    );
    assert!(shown.status.success(), "{}", stderr(&shown));
    let view: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
    let spend = view["computed"]["spend"].as_f64().unwrap();
    assert!(spend > 5.0, "{view}");
    let exact = members(&format!("spend = {spend}"));
    assert!(
        exact
            .lines()
            .skip(1)
            .any(|l| l.split(',').next() == Some(profile)),
        "spend = {spend}: {exact}"
    );
    assert!(view["computed"]["views_7d"].is_number(), "{view}");
    // The members export writes the same values as columns.
    let exported = tessera(
        &data,
        &[
            "segment",
            "members",
            "--where",
            "spend > 5",
            "--at",
            AT,
            "--traits",
            "spend,age",
        ],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let exported = stdout(&exported);
    let header = exported.lines().next().unwrap();
    assert!(header.ends_with(",spend,age"), "{header}");
    let row = exported
        .lines()
        .find(|l| l.split(',').next() == Some(profile))
        .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[6].parse::<f64>().unwrap(), spend, "{row}");
    let wrong = tessera(
        &data,
        &["segment", "size", "--where", "spend exists", "--at", AT],
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("answers comparisons"),
        "{}",
        stderr(&wrong)
    );
    std::fs::write(
        &config,
        text.replacen("[computed]\n", "[computed]\nbad = \"did(X)\"\n", 1),
    )
    .unwrap();
    let bad = tessera(
        &data,
        &["segment", "size", "--where", "age > 1", "--at", AT],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("[computed] bad"), "{}", stderr(&bad));
}

#[test]
fn the_demo_writes_an_html_report_with_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = tessera(&data, &["demo", "--customers", "1500"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = data.join("report");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    for chart in ["sizes.svg", "overlap.svg", "clusters.svg", "journey.svg"] {
        assert!(
            html.contains(&format!("src=\"{chart}\"")),
            "{chart} not in the report"
        );
        let svg = std::fs::read_to_string(report.join(chart)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart}"
        );
    }
    let sizes = std::fs::read_to_string(report.join("sizes.svg")).unwrap();
    assert!(
        sizes.contains("high_intent_no_purchase"),
        "segment names label the bars"
    );
    // One persona sentence per segment, in the table.
    assert_eq!(html.matches("<tr><td>").count(), 12, "{html}");
}
