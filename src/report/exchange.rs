//! Reports for other tools: SARIF 2.1.0 (code-scanning UIs) and JUnit XML
//! (test dashboards), through the `serde-sarif` and `quick-junit` crates.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::{FailOn, fmt_time, instance_name, sorted_commitments};
use crate::Checked;
use crate::eval::{Item, Verdict};
use crate::model::{Origin, Status};
use crate::source::LogRef;
use crate::span::Span;

/// A file path as the URI reference SARIF requires: relative paths stay
/// relative (code-scanning tools resolve them against the checkout),
/// absolute ones become `file://` URIs, and every byte but unreserved
/// characters and `/` is percent-encoded (`my rules.pacta` →
/// `my%20rules.pacta`; a `:` in a first segment would read as a scheme).
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_location(run: &Checked, span: Span, what: Option<&str>) -> Location {
    let (line, col) = run.sources.line_col(span.source, span.start);
    let loc = Location::builder().physical_location(
        PhysicalLocation::builder()
            .artifact_location(
                ArtifactLocation::builder()
                    .uri(uri(run.sources.name(span.source)))
                    .build(),
            )
            .region(
                Region::builder()
                    .start_line(line as i64)
                    .start_column(col as i64)
                    .build(),
            )
            .build(),
    );
    match what {
        Some(m) => loc
            .message(Message::builder().text(m.to_string()).build())
            .build(),
        None => loc.build(),
    }
}

fn log_location(run: &Checked, r: LogRef, what: &str) -> Location {
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(uri(run.sources.log_name(r.log)))
                        .build(),
                )
                .region(Region::builder().start_line(i64::from(r.line)).build())
                .build(),
        )
        .message(Message::builder().text(what.to_string()).build())
        .build()
}

fn descriptor(id: &str, text: &str) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(id.to_string())
        .short_description(
            MultiformatMessageString::builder()
                .text(text.to_string())
                .build(),
        )
        .build()
}

/// The log lines of the events among a verdict's evidence, as SARIF
/// related locations.
fn related_locations(run: &Checked, evidence: &[crate::eval::Evidence]) -> Vec<Location> {
    let zone = &run.model.zone;
    evidence
        .iter()
        .filter_map(|e| match &e.item {
            Item::Event { origin, kind, .. } => {
                let kind = run
                    .model
                    .kinds
                    .get(*kind)
                    .map_or("event", |k| k.name.as_str());
                Some(log_location(
                    run,
                    *origin,
                    &format!("{}: {kind} at {}", e.role.name(), fmt_time(e.at, zone)),
                ))
            }
            _ => None,
        })
        .collect()
}

/// SARIF 2.1.0: one result per commitment instance or claim in the fail
/// set (level `error`) and per pending instance (level `warning`), located
/// at the rule (or the claim's log line), with the deciding log lines as
/// related locations.
pub fn render_sarif(run: &Checked, fail_on: &FailOn) -> String {
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    let mut results = Vec::new();
    for (c, i) in sorted_commitments(run) {
        let status = i.status_at(as_of);
        let level = if fail_on.statuses.contains(&status) {
            ResultLevel::Error
        } else if status == Status::Pending {
            ResultLevel::Warning
        } else {
            continue;
        };
        let mut text = format!("{} is {status}", instance_name(c, &i.bindings));
        if let Some(d) = i.deadline {
            text.push_str(&format!("; deadline {}", fmt_time(d.at, zone)));
        }
        let related = related_locations(run, &i.evidence);
        let mut r = SarifResult::builder()
            .rule_id(format!("pacta/{status}"))
            .level(level)
            .message(Message::builder().text(text).build())
            .locations(vec![rule_location(run, c.span, None)])
            .build();
        if !related.is_empty() {
            r.related_locations = Some(related);
        }
        results.push(r);
    }
    for v in &run.eval.claims {
        let level = if fail_on.verdicts.contains(&v.verdict) {
            ResultLevel::Error
        } else if v.verdict == Verdict::Unverifiable {
            ResultLevel::Note
        } else {
            continue;
        };
        let mut text = format!(
            "claim {} by {} is {}",
            v.claim.id,
            v.claim.by,
            v.verdict.name()
        );
        if let Some(a) = &v.actual {
            text.push_str(&format!("; found: {a}"));
        }
        let loc = match v.claim.origin {
            Origin::Rule(span) => rule_location(run, span, None),
            Origin::Log(r) => log_location(run, r, "claim"),
        };
        let mut r = SarifResult::builder()
            .rule_id(format!("pacta/{}", v.verdict.name()))
            .level(level)
            .message(Message::builder().text(text).build())
            .locations(vec![loc])
            .build();
        let related = related_locations(run, &v.evidence);
        if !related.is_empty() {
            r.related_locations = Some(related);
        }
        results.push(r);
    }
    let rules = vec![
        descriptor("pacta/violated", "A commitment was violated"),
        descriptor("pacta/pending", "A commitment is still pending"),
        descriptor("pacta/inactive", "A commitment was never triggered"),
        descriptor(
            "pacta/expired",
            "A commitment's trigger can no longer happen",
        ),
        descriptor("pacta/cancelled", "A commitment was cancelled"),
        descriptor("pacta/fulfilled", "A commitment was fulfilled"),
        descriptor(
            "pacta/contradicted",
            "A claim is contradicted by the evidence",
        ),
        descriptor("pacta/unverifiable", "A claim cannot be decided"),
        descriptor(
            "pacta/consistent",
            "A claim is consistent with the evidence",
        ),
    ];
    let driver = ToolComponent::builder()
        .name("pacta".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .rules(rules)
        .build();
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json".to_string())
        .version(serde_json::Value::String("2.1.0".into()))
        .runs(vec![
            Run::builder()
                .tool(Tool::builder().driver(driver).build())
                .results(results)
                .build(),
        ])
        .build();
    let mut s = serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// JUnit XML: a suite of commitment instances and a suite of claims; a
/// verdict in the fail set is a failure, inactive/expired/cancelled are skipped.
pub fn render_junit(run: &Checked, fail_on: &FailOn) -> String {
    let zone = &run.model.zone;
    let as_of = run.eval.as_of;
    let mut report = Report::new("pacta");
    let mut suite = TestSuite::new("commitments");
    for (c, i) in sorted_commitments(run) {
        let status = i.status_at(as_of);
        let mut st = if fail_on.statuses.contains(&status) {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(status.name());
            s
        } else if matches!(
            status,
            Status::Inactive | Status::Expired | Status::Cancelled
        ) {
            TestCaseStatus::skipped()
        } else {
            TestCaseStatus::success()
        };
        let mut msg = format!("{status}; rule {}", run.sources.location(c.span));
        if let Some(d) = i.deadline {
            msg.push_str(&format!("; deadline {}", fmt_time(d.at, zone)));
        }
        if let Some(l) = i.late {
            msg.push_str(&format!("; fulfilled late at {}", fmt_time(l, zone)));
        }
        if !matches!(st, TestCaseStatus::Success { .. }) {
            st.set_message(msg.clone());
        }
        let mut tc = TestCase::new(instance_name(c, &i.bindings), st);
        tc.set_classname(c.id.clone());
        tc.set_system_out(msg);
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    let mut claims = TestSuite::new("claims");
    for v in &run.eval.claims {
        let st = if fail_on.verdicts.contains(&v.verdict) {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(v.verdict.name());
            s.set_message(format!(
                "{}; found: {}",
                v.verdict.name(),
                v.actual.as_deref().or(v.reason.as_deref()).unwrap_or("?")
            ));
            s
        } else if v.verdict == Verdict::Unverifiable {
            TestCaseStatus::skipped()
        } else {
            TestCaseStatus::success()
        };
        let mut tc = TestCase::new(v.claim.id.clone(), st);
        tc.set_classname(format!("claim by {}", v.claim.by));
        claims.add_test_case(tc);
    }
    report.add_test_suite(claims);
    report.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("examples/istanbul/istanbul.pacta"),
            "examples/istanbul/istanbul.pacta"
        );
        assert_eq!(uri("my rules/a b.pacta"), "my%20rules/a%20b.pacta");
        assert_eq!(uri("ru,les:a b.pacta"), "ru%2Cles%3Aa%20b.pacta");
        assert_eq!(
            uri("/tmp/dir #1 %x/r.pacta"),
            "file:///tmp/dir%20%231%20%25x/r.pacta"
        );
        assert_eq!(uri("règles.pacta"), "r%C3%A8gles.pacta");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }
}
