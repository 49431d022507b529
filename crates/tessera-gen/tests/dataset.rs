//! End-to-end tests of the generator: determinism, file formats, scaling, planted behaviour,
//! and the sizes of the demo segments evaluated by hand over a 20k-customer data set.

#[path = "support/profiles.rs"]
mod profiles;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;
use tessera_gen::{generate, GenConfig, GenProgress, GenSummary, DEMO_SEGMENTS};
use tessera_model::{parse_timestamp, DAY_MS};

use profiles::{Channel, Dataset, Name};

const CUSTOMERS: u64 = 20_000;

struct Shared {
    dir: TempDir,
    config: GenConfig,
    summary: GenSummary,
    progress: Vec<GenProgress>,
    data: Dataset,
}

/// One 20k-customer data set, generated once for all the tests of this binary.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let config = GenConfig {
            customers: CUSTOMERS,
            ..GenConfig::default()
        };
        let mut progress = Vec::new();
        let summary = generate(&config, dir.path(), &mut |p| progress.push(p)).unwrap();
        let data = profiles::load(dir.path());
        Shared {
            dir,
            config,
            summary,
            progress,
            data,
        }
    })
}

fn small(dir: &Path, customers: u64, seed: u64) -> GenSummary {
    let config = GenConfig {
        customers,
        seed,
        ..GenConfig::default()
    };
    generate(&config, dir, &mut |_| {}).unwrap()
}

fn first_line(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn gzip_files_decompress_to_the_plain_files() {
    use std::io::Read;
    let (plain, zipped) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let config = GenConfig {
        customers: 500,
        seed: 3,
        ..GenConfig::default()
    };
    let summary = generate(&config, plain.path(), &mut |_| {}).unwrap();
    let gzip = GenConfig {
        gzip: true,
        ..config
    };
    let compressed = generate(&gzip, zipped.path(), &mut |_| {}).unwrap();
    assert_eq!(compressed.files.len(), summary.files.len());
    let mut data_files = 0;
    for (file, zipped_file) in summary.files.iter().zip(&compressed.files) {
        let expected = fs::read(file).unwrap();
        let stored = fs::read(zipped_file).unwrap();
        let name = zipped_file.file_name().unwrap().to_string_lossy();
        if name.ends_with(".gz") {
            data_files += 1;
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(&stored[..])
                .read_to_end(&mut text)
                .unwrap();
            assert!(text == expected, "{name} differs from the plain file");
            assert!(
                stored.len() * 2 < expected.len(),
                "{name}: {}",
                stored.len()
            );
        } else {
            assert!(stored == expected, "{name} differs");
        }
    }
    assert_eq!(data_files, 4);
}

#[test]
fn the_same_seed_gives_byte_identical_files() {
    let (a, b, c) = (
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
    );
    let summary = small(a.path(), 2_000, 7);
    assert_eq!(
        small(b.path(), 2_000, 7),
        GenSummary {
            files: summary
                .files
                .iter()
                .map(|f| b.path().join(f.file_name().unwrap()))
                .collect(),
            ..summary.clone()
        }
    );
    small(c.path(), 2_000, 8);
    for file in &summary.files {
        let name = file.file_name().unwrap();
        let bytes = fs::read(file).unwrap();
        assert!(
            bytes == fs::read(b.path().join(name)).unwrap(),
            "{name:?} differs between runs"
        );
        if name == "web_events.jsonl" || name == "customers.csv" {
            assert!(
                bytes != fs::read(c.path().join(name)).unwrap(),
                "{name:?} ignores the seed"
            );
        }
    }
}

#[test]
fn a_customer_is_the_same_person_at_any_run_size() {
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    small(a.path(), 300, 5);
    small(b.path(), 600, 5);
    for name in [
        "customers.csv",
        "web_events.jsonl",
        "email_events.jsonl",
        "pos_transactions.csv",
    ] {
        let shorter = fs::read_to_string(a.path().join(name)).unwrap();
        let longer = fs::read_to_string(b.path().join(name)).unwrap();
        assert!(longer.starts_with(&shorter), "{name}");
        assert!(longer.len() > shorter.len(), "{name}");
    }
}

#[test]
fn files_have_the_contracted_headers_and_mappings() {
    let dir = shared().dir.path();
    assert_eq!(
        first_line(&dir.join("customers.csv")),
        "customer_id,email,phone,loyalty_id,first_name,age,gender,income,occupation,city,\
         city_tier,home_lat,home_lon,interests,signup_at,updated_at,email_opt_in,ads_opt_in"
    );
    assert_eq!(
        first_line(&dir.join("stores.csv")),
        "store_id,name,lat,lon,tags"
    );
    assert_eq!(
        first_line(&dir.join("pos_transactions.csv")),
        "transaction_id,loyalty_id,store_id,timestamp,total,items,category,product_id"
    );
    let customers: toml::Table = fs::read_to_string(dir.join("customers.mapping.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(customers["kind"].as_str(), Some("profiles"));
    assert_eq!(
        customers["identifiers"]["loyalty_id"].as_str(),
        Some("loyalty_id")
    );
    assert_eq!(
        customers["traits"]["home"]["columns"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        customers["consent"]["advertising"].as_str(),
        Some("ads_opt_in")
    );
    let pos: toml::Table = fs::read_to_string(dir.join("pos.mapping.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(pos["event"].as_str(), Some("Order Completed"));
    assert_eq!(
        pos["properties"]["channel"]["value"].as_str(),
        Some("store")
    );
    let stores = fs::read_to_string(dir.join("stores.csv")).unwrap();
    assert!(stores
        .lines()
        .any(|l| l.split(',').nth(1) == Some("downtown")));
    assert!((9..=13).contains(&stores.lines().count()));
}

#[test]
fn crm_rows_are_plausible_and_a_little_dirty() {
    let dir = shared().dir.path();
    let mut reader = csv::Reader::from_path(dir.join("customers.csv")).unwrap();
    let (mut rows, mut junk, mut messy, mut loyalty, mut zero_phone, mut intl_phone) =
        (0, 0, 0, 0, 0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        rows += 1;
        let (email, phone) = (&row[1], &row[2]);
        junk += usize::from(email == "test@test.com");
        messy +=
            usize::from(email != email.trim() || email.chars().any(|c| c.is_ascii_uppercase()));
        loyalty += usize::from(row[3].starts_with('L') && row[3].len() == 8);
        zero_phone += usize::from(phone == "0000");
        intl_phone += usize::from(phone.starts_with("+1 "));
        assert!(
            phone.is_empty()
                || phone == "0000"
                || phone.starts_with('(')
                || phone.starts_with("+1 ")
        );
        let age: u32 = row[5].parse().unwrap();
        assert!((18..=80).contains(&age));
        assert!(["urban", "suburban", "rural"].contains(&&row[10]));
        assert!(
            row[14].ends_with('Z')
                && parse_timestamp(&row[14]).unwrap() <= parse_timestamp(&row[15]).unwrap()
        );
        assert!(["true", "false"].contains(&&row[16]) && ["true", "false"].contains(&&row[17]));
    }
    assert_eq!(rows, CUSTOMERS as usize);
    let share = |n: usize| n as f64 / rows as f64;
    assert!((0.005..0.02).contains(&share(junk)), "junk {junk}");
    assert!((0.03..0.08).contains(&share(messy)), "messy {messy}");
    assert!((0.65..0.75).contains(&share(loyalty)), "loyalty {loyalty}");
    assert!(
        zero_phone > 0 && share(zero_phone) < 0.01,
        "0000 phones {zero_phone}"
    );
    assert!(
        (0.05..0.15).contains(&share(intl_phone)),
        "+1 phones {intl_phone}"
    );
}

#[test]
fn every_json_line_is_a_valid_segment_message() {
    let Shared { dir, config, .. } = shared();
    let (start, now) = (config.now - i64::from(config.days) * DAY_MS, config.now);
    let mut ids = HashSet::new();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for file in ["web_events.jsonl", "email_events.jsonl"] {
        for line in fs::read_to_string(dir.path().join(file)).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let kind = v["type"].as_str().unwrap();
            let id = v["messageId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "duplicate messageId {id}");
            let ts = parse_timestamp(v["timestamp"].as_str().unwrap()).unwrap();
            assert!(start <= ts && ts < now, "{line}");
            assert!(
                v["userId"].is_string() || v["anonymousId"].is_string(),
                "{line}"
            );
            match kind {
                "track" => {
                    let event = v["event"].as_str().unwrap();
                    assert!(v["properties"].is_object(), "{line}");
                    *kinds.entry(event.to_string()).or_default() += 1;
                }
                "page" => assert!(v["name"].is_string() && v["properties"].is_object()),
                "identify" => {
                    assert!(
                        v["userId"].is_string() && v["anonymousId"].is_string(),
                        "{line}"
                    );
                    assert!(v["traits"].is_object());
                    *kinds.entry("identify".into()).or_default() += 1;
                }
                other => panic!("unexpected type {other}"),
            }
            if file == "email_events.jsonl" {
                assert!(
                    v["properties"]["campaign"].is_string()
                        && v["properties"]["subject"].is_string()
                );
            } else {
                assert!(
                    v["context"]["device"]["type"].is_string()
                        && v["context"]["timezone"].is_string()
                );
            }
            if v["event"] == "Order Completed" {
                let p = &v["properties"];
                assert!(
                    p["order_id"].is_string() && p["revenue"].is_f64() && p["channel"] == "web"
                );
            }
        }
    }
    for kind in [
        "Product Viewed",
        "Added to Cart",
        "Checkout Started",
        "Order Completed",
        "Email Opened",
        "Email Link Clicked",
        "identify",
    ] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 100,
            "{kind}: {kinds:?}"
        );
    }
}

#[test]
fn volumes_scale_with_customers_and_progress_is_reported() {
    let Shared {
        summary, progress, ..
    } = shared();
    let per_customer = summary.events() as f64 / CUSTOMERS as f64;
    assert!(
        (18.0..32.0).contains(&per_customer),
        "{per_customer} events per customer"
    );
    let dir = TempDir::new().unwrap();
    let quarter = small(dir.path(), CUSTOMERS / 4, 42);
    let ratio = summary.events() as f64 / quarter.events() as f64;
    assert!((3.6..4.4).contains(&ratio), "{ratio}");
    assert_eq!(progress.len(), 2);
    assert_eq!(progress[0].customers_done, 10_000);
    assert_eq!(
        progress[1],
        GenProgress {
            customers_done: CUSTOMERS,
            events_written: summary.events()
        }
    );
}

#[test]
fn planted_behaviour_shows_in_the_data() {
    let Shared {
        summary,
        data,
        config,
        ..
    } = shared();
    let now = config.now;
    // About 70% of web carts never become an order.
    let abandonment = 1.0 - summary.web_orders as f64 / summary.web_carts as f64;
    assert!(
        (0.62..0.8).contains(&abandonment),
        "abandonment {abandonment}"
    );
    let mut carts = HashSet::new();
    let mut ordered = HashSet::new();
    for p in &data.profiles {
        for e in &p.events {
            match (e.name, &e.cart_id) {
                (Name::AddedToCart, Some(c)) => {
                    carts.insert(c.clone());
                }
                (Name::OrderCompleted, Some(c)) => {
                    ordered.insert(c.clone());
                }
                _ => {}
            }
        }
    }
    let read_back = 1.0 - ordered.len() as f64 / carts.len() as f64;
    assert!(
        (read_back - abandonment).abs() < 0.03,
        "{read_back} vs {abandonment}"
    );

    // Young people browse on phones, older people open emails.
    let share = |pred: &dyn Fn(&profiles::Profile) -> bool,
                 what: &dyn Fn(&profiles::Ev) -> Option<bool>| {
        let (mut yes, mut all) = (0, 0);
        for p in data.profiles.iter().filter(|p| pred(p)) {
            for b in p.events.iter().filter_map(what) {
                yes += usize::from(b);
                all += 1;
            }
        }
        yes as f64 / all as f64
    };
    let mobile = |e: &profiles::Ev| (e.name == Name::ProductViewed).then(|| e.device == "mobile");
    let (young, old) = (
        share(&|p| p.age < 30, &mobile),
        share(&|p| p.age >= 60, &mobile),
    );
    assert!(young > old + 0.3, "mobile share young {young} old {old}");
    let opens = |pred: &dyn Fn(&profiles::Profile) -> bool| {
        let group: Vec<_> = data.profiles.iter().filter(|p| pred(p)).collect();
        group
            .iter()
            .map(|p| p.count(Name::EmailOpened, profiles::Window::All, now, |_| true))
            .sum::<usize>() as f64
            / group.len() as f64
    };
    assert!(opens(&|p| p.age >= 50) > 1.5 * opens(&|p| p.age < 25));

    // Spend has a heavy tail: the top 1% of spenders hold far more than 1% of revenue.
    let mut spend: Vec<f64> = data
        .profiles
        .iter()
        .map(|p| p.revenue(profiles::Window::All, now))
        .collect();
    spend.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = spend.iter().sum();
    let top: f64 = spend[..spend.len() / 100].iter().sum();
    assert!(top / total > 0.08, "top 1% hold {}", top / total);

    // Both channels sell, and most web traffic is tied to a customer.
    let orders = |c| {
        data.profiles
            .iter()
            .map(|p| {
                p.count(Name::OrderCompleted, profiles::Window::All, now, |e| {
                    e.channel == Some(c)
                })
            })
            .sum::<usize>()
    };
    assert!(orders(Channel::Store) > 1_000 && orders(Channel::Web) > 1_000);
    assert!((data.anonymous_messages as f64) < 0.1 * data.web_messages as f64);
}

#[test]
fn demo_segment_files_are_complete() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("segments");
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = DEMO_SEGMENTS.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "DEMO_SEGMENTS and segments/ disagree");
    let checks: HashSet<&str> = profiles::demo_checks().iter().map(|c| c.0).collect();
    for (file, text) in DEMO_SEGMENTS {
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{file}: {e}"));
        let name = table["name"].as_str().unwrap();
        assert_eq!(format!("{name}.toml"), *file);
        assert!(
            table["description"].as_str().is_some_and(|d| d.len() > 20),
            "{file}"
        );
        assert!(
            table["condition"]
                .as_str()
                .is_some_and(|c| !c.trim().is_empty()),
            "{file}"
        );
        assert!(
            table
                .get("min_size")
                .is_none_or(|m| m.as_integer().is_some()),
            "{file}"
        );
        assert!(table
            .keys()
            .all(|k| ["name", "description", "condition", "min_size"].contains(&k.as_str())));
        assert!(checks.contains(name), "no hand-written check for {name}");
    }
    assert_eq!(checks.len(), DEMO_SEGMENTS.len());
}

#[test]
fn demo_segments_select_non_trivial_audiences() {
    let Shared { data, config, .. } = shared();
    let mut report = String::new();
    let mut failures = Vec::new();
    for (name, check, (low, high)) in profiles::demo_checks() {
        let size = data
            .profiles
            .iter()
            .filter(|p| check(p, config.now))
            .count();
        let share = size as f64 / CUSTOMERS as f64;
        report.push_str(&format!("{name}: {size} ({:.2}%)\n", share * 100.0));
        if !(low..=high).contains(&share) {
            failures.push(format!("{name}: {share:.4} not in {low}..={high}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}\n{report}");
}
