//! Criterion benches of pacta's hot paths on the shipping-SLA workload of
//! `bench/run.sh`: reading a JSON Lines log against the model (declared
//! kinds, ignored kinds), evaluating the commitment, looking instances up,
//! and rendering the reports (the JSON and text reports both streamed, as
//! the CLI writes them, and as one string; the summary report streamed).
//!
//! ```text
//! cargo bench --bench hot_paths
//! ```
//!
//! The log comes from the benchmark's own generator (`bench/gen_orders.rs`,
//! included as a module): 40,000 orders, about 100,000 lines, written to a
//! file in the temporary folder (the page cache keeps it in memory), since
//! `events::read_logs` reads paths or standard input only.
//!
//! Not reachable through the public API, so not measured apart: the timer
//! queue (deadlines are computed per instance inside `eval`, there is no
//! queue to drive), and a single line's parse (`events::jsonl` is private;
//! `read_logs` per line is the nearest).

#![allow(
    missing_docs,
    reason = "criterion_group! and criterion_main! generate undocumented items"
)]
#![allow(
    clippy::expect_used,
    reason = "a bench whose setup fails must stop at once, loudly"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pacta::events::{Input, ReadOptions};
use pacta::source::SourceMap;
use pacta::{AsOf, CheckOptions, Checked, Rules};

#[allow(
    dead_code,
    reason = "the generator's `main` and command-line parsing are not used here"
)]
#[path = "../bench/gen_orders.rs"]
mod gen_orders;

const RULES: &str = "rules/order_sla_bench.pacta";
const AS_OF: &str = "2025-12-31T12:00:00Z";
const ORDERS: u64 = 40_000;

/// The generated log, split by kind, in files removed on drop.
struct Workload {
    /// Every line.
    all: PathBuf,
    /// Only the lines of declared kinds (`order_*`).
    declared: PathBuf,
    /// Only the lines of kinds no rule reads.
    ignored: PathBuf,
    lines: u64,
    bytes: u64,
}

impl Workload {
    fn new() -> Workload {
        let mut text: Vec<u8> = Vec::new();
        let (stats, _) = gen_orders::generate(ORDERS, 42, None, &mut text).expect("generate");
        let text = String::from_utf8(text).expect("the generator writes UTF-8");
        let (mut declared, mut ignored) = (String::new(), String::new());
        for line in text.lines() {
            let target = if line.contains("\"event\":\"order_") {
                &mut declared
            } else {
                &mut ignored
            };
            target.push_str(line);
            target.push('\n');
        }
        let dir = std::env::temp_dir();
        let pid = std::process::id();
        let write = |name: &str, body: &str| {
            let p = dir.join(format!("pacta-bench-{pid}-{name}.jsonl"));
            std::fs::write(&p, body).expect("write the bench log");
            p
        };
        Workload {
            all: write("all", &text),
            declared: write("declared", &declared),
            ignored: write("ignored", &ignored),
            lines: stats.lines,
            bytes: stats.bytes,
        }
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        for p in [&self.all, &self.declared, &self.ignored] {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn rules() -> Rules {
    pacta::rules_to_model(&[PathBuf::from(RULES)], &[]).expect("the bench rules load")
}

fn opts() -> CheckOptions {
    CheckOptions {
        as_of: AsOf::At(AS_OF.into()),
        ..CheckOptions::default()
    }
}

fn check(path: &Path) -> Checked {
    pacta::check_rules(rules(), &[Input::Path(path.to_path_buf())], &opts())
        .expect("the check runs")
}

fn bench_all(c: &mut Criterion) {
    let w = Workload::new();
    let loaded = rules();
    let read_opts = ReadOptions::default();

    let mut g = c.benchmark_group("read_logs");
    g.sample_size(10).measurement_time(Duration::from_secs(12));
    g.throughput(Throughput::Elements(w.lines));
    g.bench_function("all_lines", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            let log = pacta::events::read_logs(
                &[Input::Path(w.all.clone())],
                &loaded.model,
                &mut sources,
                &read_opts,
            )
            .expect("read");
            black_box(log.events.len())
        });
    });
    let count = |p: &Path| -> u64 {
        std::fs::read_to_string(p)
            .map(|s| u64::try_from(s.lines().count()).unwrap_or(0))
            .unwrap_or(0)
    };
    for (name, path) in [
        ("declared_kinds_only", &w.declared),
        ("ignored_kinds_only", &w.ignored),
    ] {
        g.throughput(Throughput::Elements(count(path)));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sources = SourceMap::new();
                let log = pacta::events::read_logs(
                    &[Input::Path(path.clone())],
                    &loaded.model,
                    &mut sources,
                    &read_opts,
                )
                .expect("read");
                black_box(log.lines)
            });
        });
    }
    g.finish();

    let run = check(&w.all);
    let instances: u64 = run
        .eval
        .commitments
        .iter()
        .map(|i| u64::try_from(i.list.len()).unwrap_or(0))
        .sum();

    let mut g = c.benchmark_group("eval");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(instances));
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            black_box(pacta::eval::evaluate(
                &run.model,
                &run.graph,
                &run.log,
                run.eval.as_of,
            ))
        });
    });
    // Every instance's key, in an order unlike the sorted list.
    let inst = run.eval.commitments.first().expect("one commitment");
    let mut keys: Vec<Vec<pacta::model::Value>> =
        inst.list.iter().map(|i| i.bindings.clone()).collect();
    keys.reverse();
    let half = keys.len() / 2;
    keys.rotate_left(half);
    g.bench_function("instance_lookup", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for k in &keys {
                found += usize::from(inst.get(k).is_some());
            }
            black_box(found)
        });
    });
    g.finish();

    let mut g = c.benchmark_group("report");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(instances));
    // What `pacta check --format json` does: stream instance by instance.
    g.bench_function("json_write", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            pacta::report::json::write_json(&run, false, &mut sink).expect("write");
        })
    });
    // The whole report as one string (`report::json::render`).
    g.bench_function("json_render", |b| {
        b.iter(|| black_box(pacta::report::json::render(&run).len()))
    });
    g.bench_function("text", |b| {
        b.iter(|| black_box(pacta::report::text::render(&run).len()))
    });
    // What `pacta check` (text) and `--format summary` do: stream.
    g.bench_function("text_write", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            pacta::report::text::write_styled(&run, false, &mut sink).expect("write");
        })
    });
    let fail_on = pacta::report::FailOn::default();
    g.bench_function("summary_write", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            pacta::report::text::write_summary(&run, &fail_on, &mut sink).expect("write");
        })
    });
    g.bench_function("summary_counts", |b| {
        b.iter(|| black_box(pacta::report::summary(&run)))
    });
    g.finish();

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Bytes(w.bytes));
    g.bench_function("check_rules_and_json", |b| {
        b.iter_batched(
            rules,
            |r| {
                let run =
                    pacta::check_rules(r, &[Input::Path(w.all.clone())], &opts()).expect("check");
                let mut sink = std::io::sink();
                pacta::report::json::write_json(&run, false, &mut sink).expect("write");
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
    drop(w);
}

criterion_group!(benches, bench_all);
criterion_main!(benches);
