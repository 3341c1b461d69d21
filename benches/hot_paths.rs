//! Criterion benches of pacta's hot paths on the shipping-SLA workload of
//! `bench/run.sh`: reading a JSON Lines log against the model (declared
//! kinds, ignored kinds), evaluating the commitment, looking instances up,
//! and rendering the reports (the JSON and text reports both streamed, as
//! the CLI writes them, and as one string; the summary report streamed);
//! and the streaming evaluator (`src/stream`): whole checks beside the
//! in-memory engine, its parallel reader alone, and its engine alone.
//!
//! ```text
//! cargo bench --bench hot_paths
//! cargo bench --bench hot_paths -- stream     # only the streaming ones
//! ```
//!
//! The log comes from the benchmark's own generator (`bench/gen_orders.rs`,
//! included as a module): 40,000 orders, about 100,000 lines, written to a
//! file in the temporary folder (the page cache keeps it in memory), since
//! `events::read_logs` reads paths or standard input only.
//!
//! The streaming reader and engine are reached through the hidden hooks of
//! `pacta::stream::bench`. Not reachable, so not measured apart: a single
//! line's parse (`events::jsonl` is private; `read_logs` per line is the
//! nearest), and the in-memory engine's deadlines (computed per instance
//! inside `eval`, with no queue to drive).

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

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pacta::events::{Event, Input, ReadOptions};
use pacta::model::Status;
use pacta::source::SourceMap;
use pacta::stream::Keep;
use pacta::stream::bench as hook;
use pacta::{AsOf, CheckOptions, Checked, Engine, Rules};

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
    // The streaming engine's reader alone (`stream::read`): chunks parsed on
    // every core (as `check` runs it), then on one, events dropped.
    let as_of: jiff::Timestamp = AS_OF.parse().expect("the as-of is a time");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    g.measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Elements(w.lines));
    for (name, threads) in [("stream_reader", cores), ("stream_reader_1_thread", 1)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = hook::read_only(&loaded.model, &w.all, &read_opts, Some(as_of), threads)
                    .expect("the stream reader reads the log");
                black_box(r)
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
    bench_stream(c, &w, &run, &loaded);
    drop(w);
}

fn stream_opts(engine: Engine, keep: Keep) -> CheckOptions {
    CheckOptions {
        engine,
        keep,
        ..opts()
    }
}

/// The streaming evaluator: whole checks (streamed and in memory, side by
/// side), then its engine alone on typed events, then its timer queue.
fn bench_stream(c: &mut Criterion, w: &Workload, run: &Checked, loaded: &Rules) {
    let summary = || Keep::Statuses(vec![Status::Violated]);
    // The streamed runs must stream, and agree with the in-memory one.
    let want = pacta::report::summary(run).statuses;
    for keep in [summary(), Keep::All] {
        let o = stream_opts(Engine::Stream, keep);
        let s = pacta::check_rules(rules(), &[Input::Path(w.all.clone())], &o).expect("streams");
        assert!(s.eval.streamed.is_some(), "the workload streams");
        assert_eq!(pacta::report::summary(&s).statuses, want, "same statuses");
    }

    let mut g = c.benchmark_group("stream");
    // Flat sampling: ten samples of equal size, so the slowest bench (the
    // in-memory check) needs 10 iterations, not 55.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Bytes(w.bytes));
    // Checks as the CLI runs them (rules loaded apart, the result dropped
    // after the clock stops): `--format summary` keeps only the violated
    // instances, `--format json` every one.
    for (name, engine, keep) in [
        ("check_summary", Engine::Stream, summary()),
        ("check_json_store", Engine::Stream, Keep::All),
        ("memory_engine", Engine::Memory, Keep::All),
    ] {
        let o = stream_opts(engine, keep);
        g.bench_function(name, |b| {
            b.iter_batched(
                rules,
                |r| pacta::check_rules(r, &[Input::Path(w.all.clone())], &o).expect("check"),
                BatchSize::PerIteration,
            );
        });
    }

    // The engine alone (instants, timer queue, key lookups, decisions, the
    // store's sort), on the events the streaming reader would hand it:
    // typed once by `read_logs`, kinds the rules read, up to the as-of.
    let reads = hook::reads(&loaded.model).expect("the bench rules stream");
    let events: Vec<Event> = run
        .log
        .events
        .iter()
        .filter(|e| reads.get(e.kind).copied().unwrap_or(false) && e.at <= run.eval.as_of)
        .cloned()
        .collect();
    let engine = |events: Vec<Event>, as_of, keep| {
        hook::engine_only(&loaded.model, events, as_of, keep).expect("the engine runs")
    };
    let decided = engine(events.clone(), run.eval.as_of, Keep::All);
    assert_eq!(
        decided.instances,
        want.values().sum::<u64>(),
        "the engine decides every instance"
    );
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("timer_queue", |b| {
        b.iter_batched(
            || events.clone(),
            |ev| engine(ev, run.eval.as_of, Keep::All),
            BatchSize::PerIteration,
        );
    });

    // The timer queue: TRIGGERS orders paid a second apart and never
    // shipped, so all 100,000 deadlines are in the queue at once. As of the
    // last payment every instance is pending (no timer is due); as of 49
    // hours later the queue violates every one. Same keys, same records
    // kept: the difference is the queue popping its deadlines.
    let (paid, path) = paid_only(&loaded.model, TRIGGERS);
    let last = paid.last().map(|e| e.at).expect("payments");
    let later = last
        .checked_add(jiff::SignedDuration::from_hours(49))
        .expect("a time");
    let kept = || Keep::Statuses(vec![Status::Violated, Status::Pending]);
    let check = engine(paid.clone(), later, kept());
    assert_eq!((check.violated, check.kept), (TRIGGERS, TRIGGERS as usize));
    let check = engine(paid.clone(), last, kept());
    assert_eq!((check.violated, check.kept), (0, TRIGGERS as usize));
    g.throughput(Throughput::Elements(TRIGGERS));
    for (name, as_of) in [("timers_all_pending", last), ("timers_all_violated", later)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || paid.clone(),
                |ev| engine(ev, as_of, kept()),
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
    let _ = std::fs::remove_file(path);
}

/// Orders in the timer-queue bench.
const TRIGGERS: u64 = 100_000;

/// `n` payments a second apart from 2025-01-01, typed by `read_logs`, and
/// the file they were read from.
fn paid_only(model: &pacta::model::Model, n: u64) -> (Vec<Event>, PathBuf) {
    let start: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().expect("a time");
    let mut text = String::new();
    for i in 0..n {
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(
                i64::try_from(i).expect("small"),
            ))
            .expect("a time");
        text.push_str(&format!(
            "{{\"at\":\"{at}\",\"event\":\"order_paid\",\"order\":{{\"id\":\"T{i:09}\"}}}}\n"
        ));
    }
    let path = std::env::temp_dir().join(format!("pacta-bench-{}-paid.jsonl", std::process::id()));
    std::fs::write(&path, text).expect("write the bench log");
    let mut sources = SourceMap::new();
    let log = pacta::events::read_logs(
        &[Input::Path(path.clone())],
        model,
        &mut sources,
        &ReadOptions::default(),
    )
    .expect("read the payments");
    assert_eq!(log.events.len() as u64, n, "every payment typed");
    (log.events, path)
}

criterion_group!(benches, bench_all);
criterion_main!(benches);
