//! The command line: clap arguments → library calls → rendered output and
//! an exit status. The only module that prints.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostics::{Diagnostics, Theme};
use crate::error::RunError;
use crate::events::{Input, ReadOptions};
use crate::report::{self, FailOn};
use crate::resolve::ParamOverride;
use crate::source::SourceMap;
use crate::{AsOf, CheckOptions, Failure};

/// pacta: check commitments and claims against event logs.
#[derive(Debug, Parser)]
#[command(name = "pacta", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rule files against event logs and report every verdict.
    Check(CheckArgs),
    /// Draw the commitment graph (Graphviz DOT or Mermaid), coloured by verdict when given logs.
    Graph(GraphArgs),
    /// Tell the story of one verdict: `pacta explain 'order_sla[order=A1]' RULES --events LOG`.
    Explain(ExplainArgs),
    /// Keep a reviewed report next to the rules (`NAME.pacta.snap`); exit 1 when verdicts moved.
    Snapshot(SnapshotArgs),
    /// Print the verdict transitions between two JSON reports; exit 1 when any moved.
    Diff(DiffArgs),
    /// Rewrite rule files in the canonical layout (comments kept); `--check` only reports.
    Fmt(FmtArgs),
    /// Warn about rules that cannot do what they seem to (never violated, never triggered, unused names).
    Lint(LintArgs),
}

/// Arguments of `pacta fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Rule files, or folders of `*.pacta` files.
    #[arg(required = true, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file is not formatted (for CI).
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `pacta lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Rule files, or folders of `*.pacta` files.
    #[arg(required = true, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
}

/// Arguments of `pacta snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// Rules, logs and how to read them.
    #[command(flatten)]
    pub run: RunArgs,
    /// Replace the snapshot with the new report.
    #[arg(long, env = "PACTA_ACCEPT", value_parser = clap::builder::FalseyValueParser::new())]
    pub accept: bool,
    /// The snapshot file (default: `RULES.snap` beside the first rule file, `pacta.snap` in a folder).
    #[arg(long, value_name = "FILE")]
    pub snap: Option<PathBuf>,
}

/// Arguments of `pacta diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
}

/// Arguments of `pacta explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A commitment id, an instance `id[var=value]`, or a claim id.
    #[arg(value_name = "ID")]
    pub target: String,
    /// Rules, logs and how to read them.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Arguments of `pacta graph`: the only command that runs without a log.
#[derive(Debug, clap::Args)]
#[command(mut_arg("events", |a| a.required(false)))]
pub struct GraphArgs {
    /// Rules, logs (with them, nodes are coloured by status and verdict)
    /// and how to read them.
    #[command(flatten)]
    pub run: RunArgs,
    /// Drawing format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Write the drawing to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Drawing formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// What every command that evaluates rules takes (`check`, `explain`,
/// `graph`, `snapshot`): the rules, the logs, the as-of, how the logs are
/// read and param overrides — so a log `check` reads, the others read too.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Rule files, or folders of `*.pacta` files.
    #[arg(required = true, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// An event log (JSON Lines, or CSV when named `*.csv`); `-` reads standard input. Repeat to merge logs by time.
    /// Required by `check`, `explain` and `snapshot`; `graph` draws the rules alone without one.
    #[arg(long = "events", short = 'e', value_name = "LOG", required = true)]
    pub events: Vec<PathBuf>,
    /// Check as of this instant: RFC 3339, a local date-time, a date (its end), or `now`. Default: the last event.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Name of the time field in the logs.
    #[arg(long, default_value = "at", value_name = "FIELD")]
    pub time_field: String,
    /// Name of the event-kind field in the logs.
    #[arg(long, default_value = "event", value_name = "FIELD")]
    pub kind_field: String,
    /// Skip and count bad log lines instead of failing.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Override a `param` for this run: `--param immediately=3d`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

impl RunArgs {
    /// The logs to read.
    pub fn logs(&self) -> Vec<Input> {
        self.events.iter().map(|p| Input::from_arg(p)).collect()
    }

    /// The options of the run (the in-memory engine, every instance kept);
    /// `Err` with the message printed when a `--param` is malformed.
    pub fn options(&self) -> Result<CheckOptions, Outcome> {
        for (flag, name) in [
            ("--time-field", &self.time_field),
            ("--kind-field", &self.kind_field),
        ] {
            if name.trim().is_empty() {
                return Err(input_error(
                    format!("`{flag}` needs a field name"),
                    "name the field as it is written in the log, e.g. `--time-field timestamp` or `--kind-field type`",
                ));
            }
        }
        Ok(CheckOptions {
            as_of: as_of_arg(self.as_of.as_deref()),
            read: ReadOptions {
                time_field: self.time_field.clone(),
                kind_field: self.kind_field.clone(),
                skip_bad_lines: self.skip_bad_lines,
                progress: None,
            },
            params: parse_params(&self.params)?,
            ..CheckOptions::default()
        })
    }
}

/// Arguments of `pacta check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Rules, logs and how to read them.
    #[command(flatten)]
    pub run: RunArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Verdicts that fail the run (exit 1), comma-separated: statuses and claim verdicts.
    #[arg(long, value_name = "LIST", default_value = "violated,contradicted")]
    pub fail_on: String,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add a coverage section: commitments never triggered, event kinds no rule reads.
    #[arg(long)]
    pub coverage: bool,
    /// Which evaluator runs: `auto` streams a time-ordered JSON Lines log
    /// when the rules allow it and evaluates in memory otherwise; `stream`
    /// fails (exit 2, saying why) when the run cannot be streamed;
    /// `memory` always evaluates in memory. Reports are the same bytes.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
}

/// `--engine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// Stream when possible.
    Auto,
    /// Stream, or fail saying why not.
    Stream,
    /// Always in memory.
    Memory,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts (section 9 of the design).
    Json,
    /// GitHub Actions workflow annotations (`::error file=…`).
    Github,
    /// A Markdown summary and tables, for a pull-request comment.
    Markdown,
    /// Counts per status and only the failing instances and claims.
    Summary,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// JUnit XML: one test case per commitment instance and claim.
    Junit,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed: exit 0.
    Clean,
    /// A verdict failed the run: exit 1.
    Failed,
    /// The run could not be made: exit 2.
    Error,
}

impl Outcome {
    /// The exit status.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
            Outcome::Error => 2,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Graph(args) => graph(args),
        Command::Explain(args) => explain(args),
        Command::Snapshot(args) => snapshot(args),
        Command::Diff(args) => diff(args),
        Command::Fmt(args) => fmt(args),
        Command::Lint(args) => lint(args),
    }
}

fn theme() -> Theme {
    use std::io::IsTerminal as _;
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || !std::io::stderr().is_terminal()
    {
        Theme::Plain
    } else {
        Theme::Colour
    }
}

/// Prints diagnostics to standard error.
fn report_failure(sources: &SourceMap, diags: &Diagnostics) -> Outcome {
    let text = diags.render(sources, theme());
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let n = diags.len();
    if n > 1 {
        let _ = writeln!(err, "error: {n} problems found; no report was made");
    }
    Outcome::Error
}

fn input_error(message: String, help: &str) -> Outcome {
    let mut d = Diagnostics::new();
    d.push(RunError::Input {
        message,
        help: help.to_string(),
    });
    report_failure(&SourceMap::new(), &d)
}

fn check(args: CheckArgs) -> Outcome {
    let fail_on = match FailOn::parse(&args.fail_on) {
        Ok(f) => f,
        Err(e) => {
            return input_error(
                format!("`--fail-on {}`: {e}", args.fail_on),
                "list statuses (`violated`, `pending`, `inactive`, `expired`, `cancelled`, `fulfilled`) and verdicts (`contradicted`, `unverifiable`, `consistent`), comma-separated",
            );
        }
    };
    let base = match args.run.options() {
        Ok(o) => o,
        Err(o) => return o,
    };
    // Coverage is a section of the reports people read; the formats for
    // other tools have no place for it, and dropping it silently would
    // let a CI step believe it was checked.
    if args.coverage && matches!(args.format, Format::Github | Format::Sarif | Format::Junit) {
        return input_error(
            format!(
                "`--coverage` is not shown in `--format {}`",
                match args.format {
                    Format::Github => "github",
                    Format::Sarif => "sarif",
                    _ => "junit",
                }
            ),
            "coverage is a section of the text, json, summary and markdown reports",
        );
    }
    if args.coverage && args.engine == EngineArg::Stream {
        return input_error(
            "`--coverage` cannot be streamed: it counts every event of every kind".into(),
            "drop `--engine stream` (the default `auto` evaluates in memory with `--coverage`)",
        );
    }
    let opts = CheckOptions {
        // Streamed when the rules and the log allow it (`--coverage` needs
        // every event); the summary keeps only the instances it lists.
        engine: match args.engine {
            EngineArg::Memory => crate::Engine::Memory,
            EngineArg::Auto if args.coverage => crate::Engine::Memory,
            EngineArg::Auto => crate::Engine::Auto,
            EngineArg::Stream => crate::Engine::Stream,
        },
        keep: match args.format {
            Format::Summary => crate::stream::Keep::Statuses(fail_on.statuses.clone()),
            _ => crate::stream::Keep::All,
        },
        // A test hook: tiny runs spill and forget keys on small logs.
        spill_bytes: std::env::var("PACTA_SPILL_BYTES")
            .ok()
            .and_then(|v| v.parse().ok()),
        ..base
    };
    let logs = args.run.logs();
    let bar = progress_bar(&args.run.events);
    let mut opts = opts;
    if let Some(b) = &bar {
        let b = b.clone();
        let start = std::time::Instant::now();
        opts.read.progress = Some(std::sync::Arc::new(move |bytes| {
            // Shown only for logs that take longer than a second to read.
            if b.is_hidden() && start.elapsed() > std::time::Duration::from_secs(1) {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            b.set_position(bytes);
        }));
    }
    let result = crate::check(&args.run.rules, &logs, &opts);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let run = match result {
        Ok(run) => run,
        Err(Failure { sources, diags }) => return report_failure(&sources, &diags),
    };
    if matches!(args.format, Format::Json | Format::Text | Format::Summary) {
        // Streamed: a report of millions of instances is never one string.
        if let Some(o) = emit_with(args.output.as_deref(), |w| match args.format {
            Format::Text => {
                use std::io::IsTerminal as _;
                let colour = args.output.is_none()
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                // Values from the logs reach a terminal: their control
                // characters are shown, not obeyed.
                let mut w = report::printable::Printable::new(w);
                report::text::write_styled(&run, colour, &mut w)?;
                if args.coverage {
                    w.write_all(report::text::render_coverage(&run).as_bytes())?;
                }
                w.finish()
            }
            Format::Summary => {
                let mut w = report::printable::Printable::new(w);
                report::text::write_summary(&run, &fail_on, &mut w)?;
                if args.coverage {
                    w.write_all(report::text::render_coverage(&run).as_bytes())?;
                }
                w.finish()
            }
            _ => report::json::write_json(&run, args.coverage, w),
        }) {
            return o;
        }
        return if fail_on.fails(&run) {
            Outcome::Failed
        } else {
            Outcome::Clean
        };
    }
    let text = match args.format {
        // Written above, streamed.
        Format::Json | Format::Text | Format::Summary => String::new(),
        Format::Github => report::ci::render_github(&run),
        Format::Markdown if args.coverage => {
            let mut md = report::ci::render_markdown(&run);
            md.push_str(&report::ci::render_markdown_coverage(&run));
            md
        }
        Format::Markdown => report::ci::render_markdown(&run),
        Format::Sarif => report::exchange::render_sarif(&run, &fail_on),
        Format::Junit => report::exchange::render_junit(&run, &fail_on),
    };
    if let Some(code) = emit(&text, args.output.as_deref()) {
        return code;
    }
    if fail_on.fails(&run) {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}

fn explain(args: ExplainArgs) -> Outcome {
    let target = match report::explain::Target::parse(&args.target) {
        Ok(t) => t,
        Err(e) => return input_error(e, "write `id`, `id[var=value]` or a claim id"),
    };
    let opts = match args.run.options() {
        Ok(o) => o,
        Err(o) => return o,
    };
    let run = match crate::check(&args.run.rules, &args.run.logs(), &opts) {
        Ok(run) => run,
        Err(Failure { sources, diags }) => return report_failure(&sources, &diags),
    };
    match report::explain::explain(&run, &target) {
        Ok(text) => emit(&report::printable::printable(&text), None).unwrap_or(Outcome::Clean),
        Err(e) => input_error(e, "`pacta check` lists every id and instance"),
    }
}

fn stdout_colour() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn snapshot(args: SnapshotArgs) -> Outcome {
    let opts = match args.run.options() {
        Ok(o) => o,
        Err(o) => return o,
    };
    let run = match crate::check(&args.run.rules, &args.run.logs(), &opts) {
        Ok(run) => run,
        Err(Failure { sources, diags }) => return report_failure(&sources, &diags),
    };
    let snap = args
        .snap
        .clone()
        .unwrap_or_else(|| match args.run.rules.first() {
            Some(p) if p.is_dir() => p.join("pacta.snap"),
            Some(p) => {
                let mut s = p.clone().into_os_string();
                s.push(".snap");
                PathBuf::from(s)
            }
            None => PathBuf::from("pacta.snap"),
        });
    let mut new_path = snap.clone().into_os_string();
    new_path.push(".new");
    let new_path = PathBuf::from(new_path);
    let name = crate::load::display(&snap);
    let text = report::snapshot::render(&run);
    let old = std::fs::read_to_string(&snap).ok();
    let write = |path: &std::path::Path| -> Option<Outcome> {
        write_replacing(path, |w| w.write_all(text.as_bytes()))
            .err()
            .map(|e| {
                input_error(
                    format!("cannot write `{}`: {e}", crate::load::display(path)),
                    "check the folder exists and is writable",
                )
            })
    };
    let mut out = String::new();
    let outcome = match old {
        Some(old) if old == text => {
            let _ = std::fs::remove_file(&new_path);
            out.push_str(&format!("snapshot `{name}` is up to date\n"));
            Outcome::Clean
        }
        Some(old) => {
            let moved = report::snapshot::transitions(
                &report::snapshot::parse_verdicts(&old),
                &report::snapshot::parse_verdicts(&text),
            );
            if moved.is_empty() {
                out.push_str(&format!(
                    "snapshot `{name}`: no verdict moved; the report's details changed:\n"
                ));
                out.push_str(&report::snapshot::text_diff(
                    &old,
                    &text,
                    &name,
                    &format!("{name}.new"),
                ));
            } else {
                out.push_str(&format!(
                    "snapshot `{name}`: {} verdict(s) moved:\n",
                    moved.len()
                ));
                out.push_str(&report::snapshot::render_transitions(
                    &moved,
                    stdout_colour(),
                ));
            }
            if args.accept {
                if let Some(o) = write(&snap) {
                    return o;
                }
                let _ = std::fs::remove_file(&new_path);
                out.push_str(&format!("accepted: `{name}` updated\n"));
                Outcome::Clean
            } else {
                if let Some(o) = write(&new_path) {
                    return o;
                }
                out.push_str(&format!(
                    "wrote `{}`; review it, then run with `--accept` (or PACTA_ACCEPT=1) to replace the snapshot\n",
                    crate::load::display(&new_path)
                ));
                Outcome::Failed
            }
        }
        None => {
            if let Some(o) = write(&snap) {
                return o;
            }
            out.push_str(&format!(
                "created snapshot `{name}`; review it and commit it beside the rules\n"
            ));
            Outcome::Clean
        }
    };
    emit(&out, None).unwrap_or(outcome)
}

fn diff(args: DiffArgs) -> Outcome {
    let read = |p: &PathBuf| -> Result<std::collections::BTreeMap<String, String>, Outcome> {
        let name = crate::load::display(p);
        let text = std::fs::read_to_string(p).map_err(|e| {
            input_error(
                format!("cannot read `{name}`: {e}"),
                "give two reports written by `pacta check --format json`",
            )
        })?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            input_error(
                format!("`{name}` is not JSON: {e}"),
                "give two reports written by `pacta check --format json`",
            )
        })?;
        report::snapshot::verdicts_of_json(&v).ok_or_else(|| {
            input_error(
                format!(
                    "`{name}` is not a pacta JSON report (no `commitments` and `claims` lists)"
                ),
                "give two reports written by `pacta check --format json`",
            )
        })
    };
    let (old, new) = match (read(&args.old), read(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let moved = report::snapshot::transitions(&old, &new);
    let text = if moved.is_empty() {
        "no verdict moved\n".to_string()
    } else {
        report::snapshot::render_transitions(&moved, stdout_colour())
    };
    let code = if moved.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Failed
    };
    emit(&text, None).unwrap_or(code)
}

/// The rule files named by arguments: files as given, folders' `*.pacta` sorted.
fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Outcome> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    input_error(
                        format!("cannot read folder `{}`: {e}", crate::load::display(p)),
                        "check the path",
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "pacta"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn fmt(args: FmtArgs) -> Outcome {
    let files = match rule_files(&args.rules) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let mut out = String::new();
    let mut unformatted = 0usize;
    let mut failed = false;
    for f in files {
        let name = crate::load::display(&f);
        let text = match std::fs::read(&f).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                return input_error(
                    format!("cannot format `{name}`: not UTF-8"),
                    "rule files are UTF-8 text",
                );
            }
            Err(e) => {
                return input_error(
                    format!("cannot read rule file `{name}`: {e}"),
                    "check the path",
                );
            }
        };
        match crate::fmt::format_source(&name, &text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                if args.check {
                    let line = crate::fmt::first_changed_line(&text, &formatted).unwrap_or(1);
                    out.push_str(&format!("{name}:{line}: not formatted\n"));
                } else if let Err(e) = write_replacing(&f, |w| w.write_all(formatted.as_bytes())) {
                    return input_error(
                        format!("cannot write `{name}`: {e}"),
                        "check the file is writable",
                    );
                } else {
                    out.push_str(&format!("formatted {name}\n"));
                }
            }
            Err(Failure { sources, diags }) => {
                report_failure(&sources, &diags);
                failed = true;
            }
        }
    }
    if args.check && unformatted > 0 {
        out.push_str(&format!("{unformatted} file(s) need `pacta fmt`\n"));
    }
    if let Some(o) = emit(&out, None) {
        return o;
    }
    if failed {
        Outcome::Error
    } else if args.check && unformatted > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    }
}

fn lint(args: LintArgs) -> Outcome {
    match crate::lint::lint_rules(&args.rules) {
        Ok(linted) => {
            let n = linted.lints.len();
            let (sources, diags) = linted.into_diagnostics();
            if n == 0 {
                return emit("no lints\n", None).unwrap_or(Outcome::Clean);
            }
            let text = diags.render(&sources, theme());
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = writeln!(err, "{n} lint(s)");
            Outcome::Failed
        }
        Err(Failure { sources, diags }) => report_failure(&sources, &diags),
    }
}

/// Parses `--param NAME=VALUE` flags.
fn parse_params(raw: &[String]) -> Result<Vec<ParamOverride>, Outcome> {
    let mut params = Vec::new();
    for p in raw {
        let Some((name, value)) = p.split_once('=') else {
            return Err(input_error(
                format!("`--param {p}` needs the form NAME=VALUE"),
                "e.g. `--param immediately=3d`",
            ));
        };
        let Some(value) = crate::syntax::parse_param_value(value) else {
            return Err(input_error(
                format!("`--param {p}`: `{value}` is not a duration, time or number"),
                "write a value as in a rule file: `3d`, `2 business days`, `2025-06-01`, `1000`",
            ));
        };
        let name = name.trim().to_string();
        if params.iter().any(|q: &ParamOverride| q.name == name) {
            return Err(input_error(
                format!("`--param {name}` is given twice"),
                "give each param one value",
            ));
        }
        params.push(ParamOverride { name, value });
    }
    Ok(params)
}

/// A progress bar on standard error for reading the logs, or `None` when
/// standard error is not a terminal or `CI` is set. It starts hidden.
fn progress_bar(logs: &[PathBuf]) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let total: u64 = logs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::hidden(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "reading logs {bar:40} {bytes}/{total_bytes} ({eta})",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

fn as_of_arg(a: Option<&str>) -> AsOf {
    match a {
        None => AsOf::LastEvent,
        Some("now") => AsOf::Now,
        Some(t) => AsOf::At(t.to_string()),
    }
}

fn graph(args: GraphArgs) -> Outcome {
    let opts = match args.run.options() {
        Ok(o) => o,
        Err(o) => return o,
    };
    let rules = match crate::rules_to_model(&args.run.rules, &opts.params) {
        Ok(r) => r,
        Err(Failure { sources, diags }) => return report_failure(&sources, &diags),
    };
    let text = if args.run.events.is_empty() {
        match args.format {
            GraphFormat::Dot => report::graph::render_dot(&rules.model, &rules.graph, None),
            GraphFormat::Mermaid => report::graph::render_mermaid(&rules.model, &rules.graph, None),
        }
    } else {
        let run = match crate::check_rules(rules, &args.run.logs(), &opts) {
            Ok(run) => run,
            Err(Failure { sources, diags }) => return report_failure(&sources, &diags),
        };
        match args.format {
            GraphFormat::Dot => report::graph::render_dot(&run.model, &run.graph, Some(&run.eval)),
            GraphFormat::Mermaid => {
                report::graph::render_mermaid(&run.model, &run.graph, Some(&run.eval))
            }
        }
    };
    emit(&text, args.output.as_deref()).unwrap_or(Outcome::Clean)
}

/// Writes `path` whole or not at all: the bytes go to a temporary file in
/// the same folder, which then replaces `path` (keeping its permissions).
/// A failed write (a full disk) leaves the old file as it was, where
/// writing in place would have left it cut short — a rule file `pacta fmt`
/// rewrites, a reviewed snapshot, the last good report. A path that is not
/// a regular file (`/dev/stdout`, a pipe) is written in place.
fn write_replacing(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        write(&mut w)?;
        return w.flush();
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    // Opened as `File::create` opens a new file, so a new target gets the
    // permissions it would have had; a replaced one keeps its own.
    let tmp = tempfile::Builder::new().make_in(dir, |p| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
    })?;
    if let Some(m) = existing {
        tmp.as_file().set_permissions(m.permissions())?;
    }
    let mut w = std::io::BufWriter::new(tmp);
    write(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes output produced by `write` to a file or standard output through a
/// buffer; `Some` when that failed. A closed pipe is not a failure.
fn emit_with(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Option<Outcome> {
    let result = match output {
        Some(path) => write_replacing(path, write),
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut w).and_then(|()| w.flush())
        }
    };
    let (message, help) = write_failure(&result.err()?, output)?;
    Some(input_error(message, &help))
}

/// The message and help for a report that could not be written; `None`
/// for a closed pipe on standard output (`pacta check … | head`), which is
/// not a failure of the check.
fn write_failure(e: &std::io::Error, output: Option<&std::path::Path>) -> Option<(String, String)> {
    if e.kind() == std::io::ErrorKind::BrokenPipe && output.is_none() {
        return None;
    }
    if e.get_ref()
        .is_some_and(|x| x.is::<crate::report::RowsLost>())
    {
        return Some((
            format!("the report is incomplete: {e}"),
            "the decided instances were kept in a temporary file that could not be read \
             back; check the temporary folder (TMPDIR) and its disk, or run with \
             `--engine memory`"
                .into(),
        ));
    }
    Some((
        format!(
            "cannot write the report{}: {e}",
            output
                .map(|p| format!(" to `{}`", crate::load::display(p)))
                .unwrap_or_default()
        ),
        "check the destination is writable".into(),
    ))
}

/// Writes output to a file or standard output; `Some` when that failed.
fn emit(text: &str, output: Option<&std::path::Path>) -> Option<Outcome> {
    if let Some(path) = output {
        if let Err(e) = write_replacing(path, |w| w.write_all(text.as_bytes())) {
            return Some(input_error(
                format!("cannot write `{}`: {e}", crate::load::display(path)),
                "check the folder exists and is writable",
            ));
        }
    } else {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`pacta check … | head`) is not an error of the check.
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Some(input_error(
                    format!("cannot write the report: {e}"),
                    "check standard output",
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::io::{Error, ErrorKind};
    use std::path::Path;

    use super::write_failure;
    use crate::report::RowsLost;

    #[test]
    fn a_report_that_lost_rows_says_so_and_a_closed_pipe_is_no_failure() {
        let lost = Error::other(RowsLost("cannot read back the temporary file".into()));
        let (message, help) = write_failure(&lost, None).unwrap();
        assert!(
            message.starts_with("the report is incomplete: cannot read back"),
            "{message}"
        );
        assert!(help.contains("TMPDIR"), "{help}");
        let full = Error::new(ErrorKind::StorageFull, "no space left on device");
        let (message, help) = write_failure(&full, Some(Path::new("out.json"))).unwrap();
        assert_eq!(
            message,
            "cannot write the report to `out.json`: no space left on device"
        );
        assert_eq!(help, "check the destination is writable");
        let pipe = Error::from(ErrorKind::BrokenPipe);
        assert!(write_failure(&pipe, None).is_none());
        assert!(write_failure(&pipe, Some(Path::new("out.json"))).is_some());
    }
}
