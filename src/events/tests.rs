#![expect(clippy::unwrap_used, reason = "test code")]

use std::io::Cursor;

use super::jsonl_tests_support::read_line_capped_for_test;

#[test]
fn capped_line_reader_cuts_long_lines_and_resumes() {
    let data = b"aaaaaaaaaa\nbb\n";
    let mut cur = Cursor::new(&data[..]);
    let mut buf = Vec::new();
    let (n, long) = read_line_capped_for_test(&mut cur, &mut buf, 4).unwrap();
    assert_eq!((n, long), (11, true));
    assert!(buf.is_empty());
    buf.clear();
    let (n, long) = read_line_capped_for_test(&mut cur, &mut buf, 4).unwrap();
    assert_eq!((n, long), (3, false));
    assert_eq!(buf, b"bb\n");
}

#[test]
fn progress_reports_every_byte_read() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let loaded = crate::load::load_text(
        "rules.pacta",
        "party shop\nevent paid(order: id)\ncommitment c { by shop must paid(order: \"A\") }\n",
    )
    .unwrap();
    let rules = crate::loaded_to_model(loaded, &[]).unwrap();
    let dir = std::env::temp_dir().join(format!("pacta-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("events.jsonl");
    let text =
        "{\"at\":\"2025-01-01T00:00:00Z\",\"event\":\"paid\",\"order\":\"A\"}\n".repeat(1000);
    std::fs::write(&log, &text).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let opts = super::ReadOptions {
        progress: Some(Arc::new(move |b| s2.store(b, Ordering::SeqCst))),
        ..super::ReadOptions::default()
    };
    let mut sources = rules.sources.clone();
    let read = super::read_logs(
        &[super::Input::Path(log)],
        &rules.model,
        &mut sources,
        &opts,
    )
    .unwrap();
    assert_eq!(read.events.len(), 1000);
    assert_eq!(seen.load(Ordering::SeqCst), text.len() as u64);
    let _ = std::fs::remove_dir_all(&dir);
}
