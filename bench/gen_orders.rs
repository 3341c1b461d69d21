//! Writes a deterministic, time-ordered JSON Lines log of an online shop's
//! order events for the shipping-SLA benchmark (`bench/run.sh`,
//! `rules/order_sla_bench.pacta`).
//!
//! ```text
//! cargo run --release --example gen_orders -- N [--seed S] [--out FILE]
//!                                              [--as-of 2025-12-31T12:00:00Z]
//! ```
//!
//! N orders are spread over the year 2025 (orders placed at a steady rate,
//! so tens of thousands are open at once at N = 10^7). Each order gets its
//! own events — `order_paid`, `order_shipped`, `order_cancelled` — and some
//! noise lines of kinds no rule reads (`cart_updated`, `page_view`): about
//! 2.5 lines per order, about 20% of them noise, about 150 bytes a line,
//! with the order id nested as `order.id`. The outcomes mix on time, late,
//! never shipped, cancelled (also exactly at the deadline), shipped exactly
//! at the 48-hour mark, paid twice, cancelled after shipping or after the
//! deadline, shipped before payment and shipped without payment.
//!
//! The output is in time order: orders are generated in order of creation
//! and their later events wait in a min-heap until the next order's
//! creation time has passed them, so memory stays proportional to the
//! orders open at once, not to N.
//!
//! With `--as-of`, the generator also prints to standard error, as one JSON
//! object, the status each paid order should have as of that instant under
//! the SLA (fulfilled, violated, cancelled, pending) — a third opinion
//! beside pacta and the DuckDB query. The same seed and N always give the
//! same bytes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// 2025-01-01T00:00:00Z as Unix seconds.
const YEAR_START: u64 = 1_735_689_600;
/// Seconds in 365 days.
const YEAR_SPAN: u64 = 365 * 86_400;
/// The SLA: 48 hours.
const SLA: u64 = 48 * 3600;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// splitmix64: a small, fast, well-mixed generator (Steele, Lea, Flood 2014).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[lo, hi]` (slightly biased for huge ranges; fine here).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// The splitmix64 finaliser, also used to derive per-order attributes.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a queued line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    CartUpdated,
    Paid,
    Shipped,
    Cancelled,
    PageView,
}

/// A line waiting in the heap: ordered by time, then by creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    at: u64,
    seq: u64,
    order: u64,
    kind: Kind,
}

/// Expected statuses as of the `--as-of` instant.
#[derive(Default, Debug)]
pub struct Expected {
    /// Shipped in time.
    pub fulfilled: u64,
    /// Deadline passed without a shipment (or with a late one).
    pub violated: u64,
    /// Cancelled before the shipment and by the deadline.
    pub cancelled: u64,
    /// Deadline not passed yet.
    pub pending: u64,
}

impl Expected {
    /// The SLA's verdict for one order, from its events' times, as of `as_of`:
    /// the first payment starts the 48 h clock; a shipment at or after it and
    /// no later than the deadline fulfils it; a cancellation (one before the
    /// payment takes effect at the payment) cancels it if it comes before the
    /// shipment and no later than the deadline; events after `as_of` are not
    /// evidence yet.
    fn add(&mut self, events: &[(Kind, u64)], as_of: u64) {
        let seen = |k: Kind| {
            events
                .iter()
                .filter(move |(kind, at)| *kind == k && *at <= as_of)
        };
        let Some(paid) = seen(Kind::Paid).map(|(_, at)| *at).min() else {
            return; // no payment by the as-of: no instance
        };
        let deadline = paid + SLA;
        let shipped = seen(Kind::Shipped)
            .map(|(_, at)| *at)
            .filter(|at| *at >= paid)
            .min();
        let cancelled = seen(Kind::Cancelled).map(|(_, at)| (*at).max(paid)).min();
        match (shipped, cancelled) {
            (Some(s), c) if s <= deadline && c.is_none_or(|c| c >= s) => self.fulfilled += 1,
            (s, Some(c)) if c <= deadline && s.is_none_or(|s| c < s) => self.cancelled += 1,
            _ if as_of > deadline => self.violated += 1,
            _ => self.pending += 1,
        }
    }
}

struct Options {
    orders: u64,
    seed: u64,
    out: Option<String>,
    as_of: Option<u64>,
}

fn usage() -> String {
    "usage: gen_orders N [--seed S] [--out FILE] [--as-of YYYY-MM-DDTHH:MM:SSZ]".to_string()
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut opts = Options {
        orders: 0,
        seed: 42,
        out: None,
        as_of: None,
    };
    let mut orders = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => {
                let v = args.next().ok_or_else(usage)?;
                opts.seed = v.parse().map_err(|_| format!("--seed {v}: not a number"))?;
            }
            "--out" => opts.out = Some(args.next().ok_or_else(usage)?),
            "--as-of" => {
                let v = args.next().ok_or_else(usage)?;
                opts.as_of = Some(
                    parse_utc(&v)
                        .ok_or_else(|| format!("--as-of {v}: expected YYYY-MM-DDTHH:MM:SSZ"))?,
                );
            }
            "-h" | "--help" => return Err(usage()),
            n => {
                let n = n.replace('_', "");
                orders = Some(
                    n.parse::<u64>()
                        .map_err(|_| format!("{n}: not a number\n{}", usage()))?,
                );
            }
        }
    }
    opts.orders = orders.ok_or_else(usage)?;
    Ok(opts)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(y: i64, m: u64, d: u64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + i64::try_from(doy).unwrap_or(0);
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01 (Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u64::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let m = u64::try_from(m).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds.
fn parse_utc(s: &str) -> Option<u64> {
    let num = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<u64>().ok());
    if s.len() != 20 || !s.ends_with('Z') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let days = days_from_civil(i64::try_from(y).ok()?, mo, d);
    u64::try_from(days)
        .ok()
        .map(|days| days * DAY + h * 3600 + mi * 60 + se)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`, caching the date part.
struct Clock {
    day: u64,
    date: String,
}

impl Clock {
    fn write(&mut self, out: &mut String, t: u64) {
        let day = t / DAY;
        if day != self.day || self.date.is_empty() {
            let (y, m, d) = civil_from_days(i64::try_from(day).unwrap_or(0));
            self.day = day;
            self.date.clear();
            let _ = write!(self.date, "{y:04}-{m:02}-{d:02}T");
        }
        let s = t % DAY;
        out.push_str(&self.date);
        let _ = write!(out, "{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60);
    }
}

const CARRIERS: [&str; 5] = ["DHL", "DPD", "Hermes", "GLS", "UPS"];
const REASONS: [&str; 4] = [
    "customer_request",
    "payment_disputed",
    "out_of_stock",
    "duplicate_order",
];
const PAGES: [&str; 4] = ["/account/orders", "/track", "/help/shipping", "/cart"];

fn pick<'a>(list: &[&'a str], h: u64) -> &'a str {
    let n = u64::try_from(list.len()).unwrap_or(1);
    list.get(usize::try_from(h % n).unwrap_or(0))
        .copied()
        .unwrap_or("")
}

/// The order's id: a bijection of its index onto 9-digit numbers, so ids
/// are unique but not in time order.
fn order_id(i: u64) -> u64 {
    (i.wrapping_mul(387_420_489).wrapping_add(12_345_678)) % 1_000_000_000
}

/// Appends one JSON line for `p` (without the newline).
fn render(out: &mut String, clock: &mut Clock, p: &Pending, seed: u64) {
    let h = mix(p.order ^ seed.rotate_left(17));
    let id = order_id(p.order);
    let customer = h % 900_000 + 100_000;
    out.push_str("{\"at\":\"");
    clock.write(out, p.at);
    let _ = match p.kind {
        Kind::Paid => write!(
            out,
            "\",\"event\":\"order_paid\",\"order\":{{\"id\":\"O{id:09}\"}},\"customer\":{{\"id\":\"C{customer}\"}},\"amount\":{{\"value\":\"{}.{:02}\",\"currency\":\"EUR\"}},\"source\":\"psp\"}}",
            (h >> 8) % 400 + 5,
            (h >> 40) % 100
        ),
        Kind::Shipped => write!(
            out,
            "\",\"event\":\"order_shipped\",\"order\":{{\"id\":\"O{id:09}\"}},\"carrier\":{{\"name\":\"{}\",\"tracking\":\"TR{:012}\"}},\"source\":\"scanner\"}}",
            pick(&CARRIERS, h >> 12),
            mix(h) % 1_000_000_000_000
        ),
        Kind::Cancelled => write!(
            out,
            "\",\"event\":\"order_cancelled\",\"order\":{{\"id\":\"O{id:09}\"}},\"customer\":{{\"id\":\"C{customer}\"}},\"reason\":{{\"code\":\"{}\"}},\"source\":\"account\"}}",
            pick(&REASONS, h >> 14)
        ),
        Kind::CartUpdated => write!(
            out,
            "\",\"event\":\"cart_updated\",\"cart\":{{\"id\":\"K{id:09}\",\"items\":{}}},\"customer\":{{\"id\":\"C{customer}\"}},\"amount\":{{\"value\":\"{}.{:02}\"}}}}",
            (h >> 5) % 7 + 1,
            (h >> 8) % 400 + 5,
            (h >> 40) % 100
        ),
        Kind::PageView => write!(
            out,
            "\",\"event\":\"page_view\",\"session\":{{\"id\":\"S{:012x}\"}},\"page\":{{\"path\":\"{}\",\"ref\":\"O{id:09}\"}},\"customer\":{{\"id\":\"C{customer}\"}}}}",
            mix(h ^ 1) % (1 << 48),
            pick(&PAGES, h >> 22)
        ),
    };
}

/// What was written, for the summary on standard error.
#[derive(Default, Debug)]
pub struct Stats {
    /// Lines written.
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Lines of kinds no rule reads.
    pub noise: u64,
    /// Orders per outcome (see `order_events`); the last is "paid twice".
    pub outcomes: [u64; 12],
}

/// Schedules order `i`'s events (all at or after `created`) into `events`;
/// returns the outcome index.
fn order_events(rng: &mut SplitMix, created: u64, events: &mut Vec<(Kind, u64)>) -> usize {
    events.clear();
    if rng.chance(300) {
        events.push((Kind::CartUpdated, created));
    }
    let paid = created + rng.range(60, HOUR);
    let r = rng.next() % 1000;
    let outcome = match r {
        0..=4 => {
            // shipped without payment (a free replacement): no instance
            events.push((Kind::Shipped, paid + rng.range(HOUR, DAY)));
            return finish(rng, created, events, 0);
        }
        5..=7 => {
            // shipped before the payment only: does not count → violated
            events.push((Kind::Shipped, created));
            events.push((Kind::Paid, paid));
            1
        }
        8..=12 => {
            // shipped exactly at the deadline: on time
            events.push((Kind::Paid, paid));
            events.push((Kind::Shipped, paid + SLA));
            2
        }
        13..=15 => {
            // cancelled exactly at the deadline: cancelled
            events.push((Kind::Paid, paid));
            events.push((Kind::Cancelled, paid + SLA));
            3
        }
        16..=95 => {
            // late: shipped after the deadline
            events.push((Kind::Paid, paid));
            events.push((Kind::Shipped, paid + SLA + rng.range(1, 4 * DAY)));
            4
        }
        96..=135 => {
            // never shipped
            events.push((Kind::Paid, paid));
            5
        }
        136..=235 => {
            // cancelled before shipping, in time
            events.push((Kind::Paid, paid));
            events.push((Kind::Cancelled, paid + rng.range(60, SLA - 1)));
            6
        }
        236..=255 => {
            // shipped, then cancelled: fulfilled
            let shipped = paid + rng.range(600, 40 * HOUR);
            events.push((Kind::Paid, paid));
            events.push((Kind::Shipped, shipped));
            events.push((Kind::Cancelled, shipped + rng.range(60, 2 * DAY)));
            7
        }
        256..=270 => {
            // cancelled only after the deadline, never shipped: violated
            events.push((Kind::Paid, paid));
            events.push((Kind::Cancelled, paid + SLA + rng.range(1, 3 * DAY)));
            8
        }
        271..=275 => {
            // cancelled, then shipped anyway: cancelled
            let cancelled = paid + rng.range(60, DAY);
            events.push((Kind::Paid, paid));
            events.push((Kind::Cancelled, cancelled));
            events.push((Kind::Shipped, cancelled + rng.range(60, DAY)));
            9
        }
        _ => {
            // on time
            events.push((Kind::Paid, paid));
            events.push((Kind::Shipped, paid + rng.range(600, SLA - 1)));
            10
        }
    };
    if rng.chance(30) {
        // paid twice: the second payment does not restart the clock
        events.push((Kind::Paid, paid + rng.range(HOUR, 30 * HOUR)));
    }
    finish(rng, created, events, outcome)
}

/// Adds the trailing noise (a tracking page view) and returns `outcome`.
fn finish(
    rng: &mut SplitMix,
    created: u64,
    events: &mut Vec<(Kind, u64)>,
    outcome: usize,
) -> usize {
    if rng.chance(200) {
        events.push((Kind::PageView, created + rng.range(HOUR, 3 * DAY)));
    }
    outcome
}

/// Writes `orders` orders' events, in time order, to `out`; with `as_of`
/// (Unix seconds), also counts the status each instance should have then.
/// The benches (`benches/hot_paths.rs`) call this too.
pub fn generate<W: Write>(
    orders: u64,
    seed: u64,
    as_of: Option<u64>,
    out: W,
) -> std::io::Result<(Stats, Expected)> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut rng = SplitMix(seed);
    let mut heap: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut clock = Clock {
        day: 0,
        date: String::new(),
    };
    let mut line = String::with_capacity(256);
    let mut stats = Stats::default();
    let mut expected = Expected::default();
    let mut events: Vec<(Kind, u64)> = Vec::with_capacity(8);
    let mut seq: u64 = 0;
    let n = orders.max(1);
    let mut emit = |p: &Pending, stats: &mut Stats, out: &mut BufWriter<W>| {
        line.clear();
        render(&mut line, &mut clock, p, seed);
        line.push('\n');
        stats.lines += 1;
        stats.bytes += u64::try_from(line.len()).unwrap_or(0);
        if matches!(p.kind, Kind::CartUpdated | Kind::PageView) {
            stats.noise += 1;
        }
        out.write_all(line.as_bytes())
    };
    for i in 0..orders {
        // Steady arrivals: order i is created in the i-th N-th of the year.
        let created = YEAR_START + (i * YEAR_SPAN + rng.range(0, YEAR_SPAN - 1)) / n;
        while heap.peek().is_some_and(|Reverse(p)| p.at < created) {
            if let Some(Reverse(p)) = heap.pop() {
                emit(&p, &mut stats, &mut out)?;
            }
        }
        let outcome = order_events(&mut rng, created, &mut events);
        if let Some(c) = stats.outcomes.get_mut(outcome) {
            *c += 1;
        }
        if events.iter().filter(|(k, _)| *k == Kind::Paid).count() > 1 {
            if let Some(c) = stats.outcomes.get_mut(11) {
                *c += 1;
            }
        }
        if let Some(as_of) = as_of {
            expected.add(&events, as_of);
        }
        for &(kind, at) in &events {
            heap.push(Reverse(Pending {
                at,
                seq,
                order: i,
                kind,
            }));
            seq += 1;
        }
    }
    while let Some(Reverse(p)) = heap.pop() {
        emit(&p, &mut stats, &mut out)?;
    }
    out.flush()?;
    Ok((stats, expected))
}

fn run(opts: &Options) -> std::io::Result<(Stats, Expected)> {
    match &opts.out {
        Some(path) => generate(
            opts.orders,
            opts.seed,
            opts.as_of,
            std::fs::File::create(path)?,
        ),
        None => generate(opts.orders, opts.seed, opts.as_of, std::io::stdout().lock()),
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok((stats, expected)) => {
            if opts.as_of.is_some() {
                eprintln!(
                    "{{\"expected\":{{\"fulfilled\":{},\"violated\":{},\"cancelled\":{},\"pending\":{}}},\"lines\":{},\"bytes\":{},\"noise\":{}}}",
                    expected.fulfilled,
                    expected.violated,
                    expected.cancelled,
                    expected.pending,
                    stats.lines,
                    stats.bytes,
                    stats.noise
                );
            } else {
                eprintln!(
                    "gen_orders: {} orders, {} lines, {} bytes ({:.0} B/line), {:.1}% noise; outcomes {:?}",
                    opts.orders,
                    stats.lines,
                    stats.bytes,
                    stats.bytes as f64 / stats.lines.max(1) as f64,
                    100.0 * stats.noise as f64 / stats.lines.max(1) as f64,
                    stats.outcomes
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_orders: {e}");
            ExitCode::FAILURE
        }
    }
}
