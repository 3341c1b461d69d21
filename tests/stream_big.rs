//! The streaming engine on a log of many chunks: 30,000 orders from the
//! benchmark's generator (~75,000 lines, 12 MB: six 2 MiB chunks parsed
//! by parallel workers and put back in order, with noise lines skipped by
//! the byte probe) must give the JSON and summary reports of the in-memory
//! engine, byte for byte, and the counts the generator expects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    reason = "test code; the generator's `main` is not used here"
)]

#[path = "../bench/gen_orders.rs"]
mod gen_orders;

use pacta::events::Input;
use pacta::stream::Keep;
use pacta::{AsOf, CheckOptions, Engine};

const AS_OF: &str = "2025-12-31T12:00:00Z";

#[test]
fn many_chunks_give_the_in_memory_bytes() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stream_big");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("orders.jsonl");
    let as_of_secs = AS_OF.parse::<jiff::Timestamp>().unwrap().as_second() as u64;
    let mut text = Vec::new();
    let (_, expected) = gen_orders::generate(30_000, 7, Some(as_of_secs), &mut text).unwrap();
    assert!(text.len() > 9 << 20, "the log must span several chunks");
    std::fs::write(&log, &text).unwrap();
    let run_with = |engine: Engine, keep: Keep, spill_bytes: Option<usize>| {
        let opts = CheckOptions {
            as_of: AsOf::At(AS_OF.into()),
            engine,
            keep,
            spill_bytes,
            ..CheckOptions::default()
        };
        let r = pacta::rules_to_model(&["rules/order_sla_bench.pacta".into()], &[]).unwrap();
        let run = pacta::check_rules(r, &[Input::Path(log.clone())], &opts).unwrap();
        assert_eq!(run.eval.streamed.is_some(), engine == Engine::Stream);
        run
    };
    let run = |engine: Engine, keep: Keep| run_with(engine, keep, None);
    let memory = run(Engine::Memory, Keep::All);
    let stream = run(Engine::Stream, Keep::All);
    let json = |r: &pacta::Checked| {
        let mut out = Vec::new();
        pacta::report::json::write_json(r, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let (m, s) = (json(&memory), json(&stream));
    assert!(m == s, "the JSON reports differ");
    // The text report: rows built by the workers from the store's blocks
    // (streamed) against rows listed on one thread (in memory), over
    // several blocks per status.
    let text_of = |r: &pacta::Checked| pacta::report::text::render(r);
    let (tm, ts) = (text_of(&memory), text_of(&stream));
    assert!(tm == ts, "the text reports differ");
    // Blocks written back in order: within each status, the instances
    // come by key, over more than one block.
    let mut keys: Vec<&str> = Vec::new();
    let mut longest = 0;
    for line in tm.lines() {
        if let Some(rest) = line.strip_prefix("  ship_within_48h[order=") {
            let key = rest.split(']').next().unwrap();
            if let Some(prev) = keys.last() {
                assert!(*prev < key, "{prev} before {key}");
            }
            keys.push(key);
        } else if !line.starts_with("    ") {
            longest = longest.max(keys.len());
            keys.clear();
        }
    }
    assert!(longest > 2 * 2048, "a status must span several blocks");
    // And the JSON report of many blocks is the one serde_json writes on
    // one thread.
    assert!(
        m == pacta::report::json::render_with(&memory, false),
        "the JSON report differs from the reference"
    );
    let fail_on = pacta::report::FailOn::default();
    let summary = run(Engine::Stream, Keep::Statuses(fail_on.statuses.clone()));
    assert_eq!(
        pacta::report::text::render_summary(&memory, &fail_on),
        pacta::report::text::render_summary(&summary, &fail_on)
    );
    // Runs of 64 KiB: ~20 runs in a temporary file, merged, and a listing
    // of thousands of rows read back from it.
    let wide = pacta::report::FailOn::parse("violated,cancelled,pending").unwrap();
    let spilled = run_with(
        Engine::Stream,
        Keep::Statuses(wide.statuses.clone()),
        Some(64 << 10),
    );
    let store = spilled.eval.streamed.as_ref().unwrap();
    assert!(store.spilled_to_disk(), "the runs must go to a file");
    assert_eq!(
        pacta::report::text::render_summary(&memory, &wide),
        pacta::report::text::render_summary(&spilled, &wide)
    );
    assert_eq!(store.error(), None);
    let counts = pacta::report::summary(&stream).statuses;
    let want = [
        ("fulfilled", expected.fulfilled),
        ("violated", expected.violated),
        ("cancelled", expected.cancelled),
        ("pending", expected.pending),
    ];
    for (status, n) in want {
        assert_eq!(
            counts[status], n,
            "{status}: the generator expects otherwise"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
