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

// ---- The fast lanes against the full parse ----
//
// `LineReader::read` answers through the one-pass scanner and the byte
// probe when they are sure, and through the full `serde_json` parse
// otherwise. On any line, it must give what the full parse alone gives:
// the same record, or an error with the same message.

mod lanes {
    use proptest::prelude::*;

    use super::super::jsonl::{LineReader, Parsed, parse_record, wanted_keys};
    use super::super::value::{Body, Record};
    use super::super::{LineError, ReadOptions};
    use crate::model::Model;

    fn model() -> Model {
        let loaded = crate::load::load_text(
            "rules.pacta",
            "party shop\nparty ru\n\
             event paid(order.id: id, amount: number, by: party)\n\
             event shipped(order: id, n: int, ok: bool)\n\
             event noted(note: text, at2: time)\n\
             event cited(source: int)\n\
             commitment c { for each order by shop after paid(order.id: order) \
             must shipped(order: order) within 1 day }\n",
        )
        .unwrap();
        crate::loaded_to_model(loaded, &[]).unwrap().model
    }

    /// A comparable account of what a line read to.
    fn account(r: Result<Record, LineError>) -> String {
        match r {
            Ok(Record { at, body }) => match body {
                Body::Ignored(kind) => format!("ignored {kind:?} at {at}"),
                Body::Event {
                    kind,
                    values,
                    source,
                } => format!("event {kind} at {at}: {values:?} source {source:?}"),
                Body::Claim(c) => format!("claim at {at}: {c:?}"),
            },
            Err(e) => format!("error: {}", e.message),
        }
    }

    fn fast(line: &[u8], reader: &LineReader, model: &Model, opts: &ReadOptions) -> String {
        account(reader.read(line, None, model, opts).map(|p| match p {
            Parsed::Ignored(kind, at) => Record {
                at,
                body: Body::Ignored(kind.into_owned()),
            },
            Parsed::Record(r) => r,
        }))
    }

    fn full(line: &[u8], wanted: &[String], model: &Model, opts: &ReadOptions) -> String {
        account(parse_record(line, wanted, model, opts))
    }

    /// JSON-ish text: mostly the shapes of real log lines, with the edge
    /// cases the scanner must refuse or get right mixed in.
    fn value(depth: u32) -> BoxedStrategy<String> {
        let leaf = prop_oneof![
            Just("\"2025-03-01T10:00:00Z\"".to_string()),
            Just("\"2025-03-01T10:00:00+03:00\"".to_string()),
            Just("\"2025-02-30T10:00:00Z\"".to_string()),
            Just("\"2025-03-01 12:30\"".to_string()),
            Just("\"paid\"".to_string()),
            Just("\"shipped\"".to_string()),
            Just("\"noted\"".to_string()),
            Just("\"cited\"".to_string()),
            Just("\"page_view\"".to_string()),
            Just("\"claim\"".to_string()),
            Just("\"shop\"".to_string()),
            Just("\"A\"".to_string()),
            Just("\"\"".to_string()),
            Just("\"a\\\"b\"".to_string()),
            Just("\"a\\\\b\\/c\\n\"".to_string()),
            Just("\"\\u0041\"".to_string()),
            Just("\"\\ud800\"".to_string()),
            Just("\"bad \\q escape\"".to_string()),
            Just("\"tab\there\"".to_string()),
            Just("\"é ü 中\"".to_string()),
            Just("0".to_string()),
            Just("-1".to_string()),
            Just("12".to_string()),
            Just("1.50".to_string()),
            Just("-0.0e+3".to_string()),
            Just("1E5".to_string()),
            Just("01".to_string()),
            Just("1.".to_string()),
            Just(".5".to_string()),
            Just("-".to_string()),
            Just("1e".to_string()),
            Just("99999999999999999999999999999999".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("nul".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            4 => leaf,
            1 => prop::collection::vec(value(depth - 1), 0..3)
                .prop_map(|v| format!("[{}]", v.join(","))),
            2 => object(depth - 1),
        ]
        .boxed()
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("at"),
            Just("event"),
            Just("order"),
            Just("id"),
            Just("order.id"),
            Just("amount"),
            Just("by"),
            Just("n"),
            Just("ok"),
            Just("note"),
            Just("at2"),
            Just("source"),
            Just("text"),
            Just("about"),
            Just("says"),
            Just("x"),
            Just("e\\u0076ent"),
            Just("ev\\\"ent"),
        ]
        .prop_map(|k| format!("\"{k}\""))
    }

    fn object(depth: u32) -> BoxedStrategy<String> {
        let ws = prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just(" \r ")];
        prop::collection::vec((key(), value(depth), ws), 0..7)
            .prop_map(|members| {
                let body: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, w)| format!("{w}{k}{w}:{w}{v}{w}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            })
            .boxed()
    }

    /// A line: an object, sometimes broken by a cut or a stray byte.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        (object(2), 0usize..8, any::<usize>(), any::<u8>()).prop_map(|(text, how, at, byte)| {
            let mut b = text.into_bytes();
            let at = if b.is_empty() { 0 } else { at % b.len() };
            match how {
                0 => b.truncate(at),
                1 => b.insert(at, byte),
                2 => {
                    if let Some(x) = b.get_mut(at) {
                        *x = byte;
                    }
                }
                3 => b.extend_from_slice(b" x"),
                _ => {}
            }
            b
        })
    }

    fn typical() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![
                Just("paid"),
                Just("shipped"),
                Just("noted"),
                Just("cited"),
                Just("page_view")
            ],
            prop_oneof![
                Just("\"A\""),
                Just("7"),
                Just("{\"id\":\"B\"}"),
                Just("{\"id\":\"B\",\"id\":\"C\"}")
            ],
            prop_oneof![
                Just(""),
                Just(",\"source\":\"psp\""),
                Just(",\"source\":\"p\\u0073p\""),
                Just(",\"source\":5"),
                Just(",\"source\":null"),
                Just(",\"source\":[\"x\"]"),
                Just(",\"source\":{\"url\":\"u\"}"),
                Just(",\"source\":true"),
                Just(",\"source\":\"a\",\"source\":7"),
                Just(",\"source\":7,\"source\":\"a\""),
            ],
        )
            .prop_map(|(kind, order, source)| {
                format!(
                    "{{\"at\":\"2025-03-01T10:00:00Z\",\"event\":\"{kind}\",\"order\":{order},\
                     \"amount\":\"12.5\",\"by\":\"shop\",\"n\":3,\"ok\":true,\"note\":\"n\",\
                     \"at2\":\"2025-03-02T00:00:00Z\",\"order.id\":\"X\"{source}}}"
                )
                .into_bytes()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
        ))]

        #[test]
        fn the_fast_lanes_read_every_line_as_the_full_parse_does(
            line in prop_oneof![3 => line(), 1 => typical()]
        ) {
            let model = model();
            let opts = ReadOptions::default();
            let reader = LineReader::new(&model, &opts);
            let wanted = wanted_keys(&model, &opts);
            prop_assert_eq!(
                fast(&line, &reader, &model, &opts),
                full(&line, &wanted, &model, &opts),
                "line: {}", String::from_utf8_lossy(&line)
            );
        }
    }
}

/// `source` is provenance: a string, or nothing. Another value is a bad
/// line, unless the kind declares a field `source`, which is then typed as
/// declared (and cited only when it is a string).
#[test]
fn source_is_a_string_or_a_declared_field() {
    use super::ReadOptions;
    use super::jsonl::{parse_record, wanted_keys};
    use super::value::Body;

    let loaded = crate::load::load_text(
        "rules.pacta",
        "party shop\nevent shipped(order: id)\nevent counted(source: int)\nevent cited(source: text)\n",
    )
    .unwrap();
    let model = crate::loaded_to_model(loaded, &[]).unwrap().model;
    let opts = ReadOptions::default();
    let wanted = wanted_keys(&model, &opts);
    let read = |line: &str| parse_record(line.as_bytes(), &wanted, &model, &opts);
    let source_of = |line: &str| match read(line).map(|r| r.body) {
        Ok(Body::Event { source, .. }) => Ok(source.map(|s| s.to_string())),
        Ok(_) => Err("not an event".to_string()),
        Err(e) => Err(e.message),
    };
    let at = r#""at": "2025-03-01T10:00:00Z""#;
    assert_eq!(
        source_of(&format!(
            r#"{{{at}, "event": "shipped", "order": "A", "source": "s"}}"#
        )),
        Ok(Some("s".into()))
    );
    for absent in ["", r#", "source": null"#] {
        assert_eq!(
            source_of(&format!(
                r#"{{{at}, "event": "shipped", "order": "A"{absent}}}"#
            )),
            Ok(None)
        );
    }
    for (bad, found) in [
        ("42", "the number `42`"),
        (r#"["x"]"#, "an array"),
        (r#"{"url": "u"}"#, "an object"),
        ("false", "`false`"),
    ] {
        assert_eq!(
            source_of(&format!(
                r#"{{{at}, "event": "shipped", "order": "A", "source": {bad}}}"#
            )),
            Err(format!(
                "`shipped` event: field `source`: expected a string (a URL or citation), found {found}"
            ))
        );
    }
    assert_eq!(
        source_of(&format!(r#"{{{at}, "event": "counted", "source": 42}}"#)),
        Ok(None)
    );
    assert_eq!(
        source_of(&format!(r#"{{{at}, "event": "cited", "source": "c"}}"#)),
        Ok(Some("c".into()))
    );
    // An undeclared kind is not read: its `source` is no error.
    assert!(matches!(
        read(&format!(r#"{{{at}, "event": "viewed", "source": 42}}"#)).map(|r| r.body),
        Ok(Body::Ignored(_))
    ));
}
