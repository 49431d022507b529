//! End to end on generated data: files → import → store → engine snapshot, checked against
//! the reference interpreter reading each profile straight from the store.

use std::path::Path;

use tessera_engine::{interpreter, ProfileData};
use tessera_gen::GenConfig;
use tessera_import::{import_file, Format, ImportOptions, MappingFile};
use tessera_service::{load_definitions, load_profile, Snapshot};
use tessera_store::Store;

fn import_generated(dir: &Path, customers: u64) -> (Store, GenConfig) {
    let config = GenConfig {
        customers,
        seed: 7,
        ..GenConfig::default()
    };
    let input = dir.join("input");
    tessera_gen::generate(&config, &input, &mut |_| {}).unwrap();
    let mut store = Store::init(&dir.join("data")).unwrap();
    let mapping = |name: &str| {
        Format::Csv(
            MappingFile::parse(&std::fs::read_to_string(input.join(name)).unwrap()).unwrap(),
        )
    };
    let files = [
        (
            tessera_gen::CUSTOMERS_FILE,
            mapping(tessera_gen::CUSTOMERS_MAPPING_FILE),
        ),
        (
            tessera_gen::POS_FILE,
            mapping(tessera_gen::POS_MAPPING_FILE),
        ),
        (tessera_gen::WEB_FILE, Format::SegmentJsonl),
        (tessera_gen::EMAIL_FILE, Format::SegmentJsonl),
    ];
    for (file, format) in &files {
        let options = ImportOptions {
            batch_size: 1_000,
            ..Default::default()
        };
        let report =
            import_file(&mut store, &input.join(file), format, &options, &mut |_| {}).unwrap();
        assert!(report.progress.stored > 0, "{file}: nothing stored");
    }
    (store, config)
}

#[test]
fn demo_segments_on_the_loaded_snapshot_match_the_interpreter_per_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = import_generated(dir.path(), 800);
    let snapshot = Snapshot::load(&store, config.now).unwrap();
    assert!(snapshot.index.len() >= 800);
    let definitions = load_definitions(&tessera_gen_segments(), &snapshot.catalog).unwrap();
    assert!(definitions.len() >= 10);

    // Every profile read on its own, as `explain` reads it.
    let mut profiles = Vec::new();
    store
        .for_each_profile(Some(config.now), |p| profiles.push(p))
        .unwrap();
    let data: Vec<(u64, ProfileData)> = profiles
        .iter()
        .map(|&p| (p, load_profile(&store, p, config.now).unwrap()))
        .collect();

    let mut non_empty = 0;
    for def in &definitions {
        let engine = snapshot.profile_ids(&snapshot.evaluate(&def.condition).unwrap());
        let reference: Vec<u64> = data
            .iter()
            .filter(|(_, profile)| interpreter::eval(&def.condition, profile, config.now))
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(engine, reference, "segment {} differs", def.name);
        non_empty += usize::from(!engine.is_empty());
    }
    assert!(
        non_empty >= definitions.len() / 2,
        "most demo segments should have members at 800 customers"
    );
}

/// Value conditions and event context (device, UTM, channel) on realistic data: the snapshot,
/// which reads the stored segment context in bulk, agrees with the interpreter reading each
/// profile, and the conditions select real audiences.
#[test]
fn value_and_context_conditions_match_the_interpreter_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = import_generated(dir.path(), 400);
    let snapshot = Snapshot::load(&store, config.now).unwrap();
    let mut profiles = Vec::new();
    store
        .for_each_profile(Some(config.now), |p| profiles.push(p))
        .unwrap();
    let data: Vec<(u64, ProfileData)> = profiles
        .iter()
        .map(|&p| (p, load_profile(&store, p, config.now).unwrap()))
        .collect();
    let conditions = [
        r#"first(Page Viewed.context.channel) = "Email""#,
        r#"first(Page Viewed.context.channel) = "Direct""#,
        r#"last(Page Viewed.context.device.type) = "mobile""#,
        r#"most_frequent(Page Viewed.context.device.type in last 90d) in ("desktop", "tablet")"#,
        r#"did(Page Viewed where context.campaign.source exists in last 30d)"#,
        r#"unique_count(Order Completed.category) >= 2"#,
        r#"distinct(Page Viewed.context.channel) contains "Email" and not last(Page Viewed.context.channel) = "Email""#,
    ];
    for text in conditions {
        let parsed = tessera_lang::parse(text);
        assert!(!tessera_lang::has_errors(&parsed.diagnostics), "{text}");
        let engine = snapshot.profile_ids(&snapshot.evaluate(&parsed.expr).unwrap());
        let reference: Vec<u64> = data
            .iter()
            .filter(|(_, profile)| interpreter::eval(&parsed.expr, profile, config.now))
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(engine, reference, "{text}");
        assert!(
            !engine.is_empty() && engine.len() < data.len(),
            "{text} selects {} of {} profiles",
            engine.len(),
            data.len()
        );
    }
}

fn tessera_gen_segments() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tessera-gen/segments")
}
