//! Every chart is written as SVG and PNG; SVGs hold the expected labels, PNGs are real PNGs.
//! Set TESSERA_CHART_DIR to keep the files for a look.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use roaring::RoaringBitmap;
use serde_json::json;
use tessera_cluster::choose_k::{ChooseK, KScore};
use tessera_discover::chart::{save, Bars, Chart, ChooseKChart, Heatmap, Sankey, Scatter};
use tessera_discover::journey::{JourneyOptions, Journeys};
use tessera_engine::Index;
use tessera_model::MINUTE_MS;

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("TESSERA_CHART_DIR") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (None, PathBuf::from(dir))
        }
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().to_path_buf();
            (Some(tmp), path)
        }
    }
}

fn check(chart: &impl Chart, dir: &Path, name: &str, labels: &[&str]) {
    let svg = dir.join(format!("{name}.svg"));
    save(chart, &svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
        "{name}: not an SVG document"
    );
    for label in labels {
        let escaped = label
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            text.contains(&escaped),
            "{name}.svg lacks the label `{label}`"
        );
    }
    let png = dir.join(format!("{name}.png"));
    save(chart, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
    assert!(
        bytes.len() > 2_000,
        "{name}.png is only {} bytes",
        bytes.len()
    );
}

#[test]
fn every_chart_renders_as_svg_and_png() {
    let (_keep, dir) = out_dir();
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for i in 0..300 {
        let c = i % 3;
        let t = i as f64 * 0.37;
        points.push((c as f64 * 4.0 + t.sin(), (c as f64 * 2.0) + t.cos()));
        labels.push(if i % 50 == 7 { -1 } else { c as i64 });
    }
    let scatter = Scatter {
        title: "Profiles by cluster (PCA)".into(),
        x_label: "PC1 (62.0%)".into(),
        y_label: "PC2 (21.5%)".into(),
        points,
        labels,
    };
    check(
        &scatter,
        &dir,
        "scatter",
        &[
            "Profiles by cluster (PCA)",
            "cluster 0 (",
            "noise (6)",
            "PC1 (62.0%)",
        ],
    );

    let scores = (2..=8)
        .map(|k| KScore {
            k,
            inertia: 1000.0 / k as f64,
            silhouette: if k == 4 { 0.61 } else { 0.4 - 0.01 * k as f64 },
            davies_bouldin: 1.0,
            calinski_harabasz: 100.0,
        })
        .collect();
    let choose = ChooseKChart {
        title: "How many clusters?".into(),
        table: ChooseK {
            scores,
            suggested_k: 4,
        },
    };
    check(
        &choose,
        &dir,
        "choose_k",
        &["inertia (elbow)", "mean silhouette", "suggested k = 4"],
    );

    let names = vec![
        "vip".to_string(),
        "lapsed_loyal".to_string(),
        "new <customers>".to_string(),
    ];
    let heatmap = Heatmap {
        title: "Segment overlap (Jaccard)".into(),
        names: names.clone(),
        values: vec![
            vec![1.0, 0.25, 0.0],
            vec![0.25, 1.0, 0.5],
            vec![0.0, 0.5, 1.0],
        ],
    };
    check(
        &heatmap,
        &dir,
        "heatmap",
        &[
            "Segment overlap (Jaccard)",
            "lapsed_loyal",
            "new <customers>",
            "0.25",
        ],
    );

    let bars = Bars {
        title: "Segment sizes".into(),
        x_label: "profiles".into(),
        names,
        values: vec![1234.0, 56.0, 789.0],
    };
    check(&bars, &dir, "bars", &["Segment sizes", "vip", "1234"]);

    let steps = |list: &[(&str, i64)]| {
        list.iter()
            .map(|(n, m)| event(n, day(90.0) + m * MINUTE_MS, json!({})))
            .collect::<Vec<_>>()
    };
    let index = Index::from_profiles(&[
        (
            1,
            profile(
                &[],
                steps(&[
                    ("Product Viewed", 1),
                    ("Added to Cart", 2),
                    ("Checkout Started", 3),
                    ("Order Completed", 4),
                ]),
            ),
        ),
        (
            2,
            profile(
                &[],
                steps(&[
                    ("Email Opened", 1),
                    ("Product Viewed", 2),
                    ("Order Completed", 9),
                ]),
            ),
        ),
        (
            3,
            profile(
                &[],
                steps(&[
                    ("Product Viewed", 1),
                    ("Added to Cart", 2),
                    ("Checkout Started", 5),
                    ("Order Completed", 7),
                ]),
            ),
        ),
    ]);
    let members: RoaringBitmap = (0..3).collect();
    let journeys = Journeys::build(
        &index,
        AT,
        &members,
        &JourneyOptions::new("Order Completed"),
    )
    .unwrap();
    let sankey = Sankey {
        title: "Paths to Order Completed".into(),
        journeys,
    };
    check(
        &sankey,
        &dir,
        "sankey",
        &[
            "Paths to Order Completed",
            "Checkout Started (2)",
            "Order Completed (3)",
            "goal",
            "step -3",
        ],
    );
}

#[test]
fn unknown_extensions_are_refused() {
    let (_keep, dir) = out_dir();
    let bars = Bars {
        title: "t".into(),
        x_label: "x".into(),
        names: vec!["a".into()],
        values: vec![1.0],
    };
    let err = save(&bars, &dir.join("sizes.jpg")).unwrap_err().to_string();
    assert!(
        err.ends_with("the file name must end in .svg or .png (the format is taken from it)"),
        "{err}"
    );
}
