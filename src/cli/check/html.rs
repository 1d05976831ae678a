//! `tallyman check --html FILE`: the report as one self-contained page.
//!
//! Inline CSS, no scripts and nothing fetched: the page reads the same in a mail attachment, a
//! browser without JavaScript and on paper. At the top a summary a partner manager can read (how
//! many documents a run would accept, and what the partner must fix, in plain sentences); then
//! each file, interchange and document with its segment tree and the findings where they occur;
//! then the coverage. Every value that comes from a file is escaped; and should a value ever slip
//! through, the page's Content-Security-Policy allows no script and no fetch, only its own inline
//! style. `tests/check_browser.rs` loads the page in headless Chromium to hold it to that.

use crate::pipeline::check::{
    AckCheck, DocumentCheck, FileCheck, FindingCheck, Report, Verdict, coverage::Coverage,
};
use std::fmt::Write as _;

/// Text made safe for HTML content and attribute values.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #ccc}h3,h4{margin-bottom:.3em}
.setting{color:#555}
.v{display:inline-block;padding:0 .5em;border-radius:.3em;font-weight:600;font-size:.9em}
.accepted{background:#d8f0dc;color:#12501f}.accepted_with_warnings,.partially_accepted{background:#fbefc5;color:#5c4500}
.rejected,.not_translated{background:#f8d4d4;color:#7a1111}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}
.finding{margin:.3em 0 .3em 1em;padding:.3em .6em;border-left:4px solid #b00}
.finding.warning{border-left-color:#c90}
.where{color:#555;font-size:.9em}.code{color:#555;font-size:.9em}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.tree{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.tree td{border:none;border-bottom:1px solid #eee;padding:.1em .4em}
.tree .tag{font-weight:600}.tree .unplaced{color:#a00}
.tree tr.f td{border-bottom:none}
.no{color:#a00;font-weight:600}
@media print{body{margin:0;max-width:none}h2{break-before:page}.finding,tr{break-inside:avoid}pre{white-space:pre-wrap}}
";

/// The whole page.
pub fn page(report: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let c = &report.channel;
    let title = match &c.partner {
        Some(p) => format!("Onboarding check: partner {p}"),
        None => "Onboarding check".to_owned(),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"setting\">{}</p>\n",
        esc(&title),
        esc(&title),
        esc(&super::setting_line(c))
    );
    summary(&mut h, report);
    for f in &report.files {
        file(&mut h, f);
    }
    if !report.coverage.is_empty() {
        h.push_str("<h2>What the partner sends</h2>\n");
        for cov in &report.coverage {
            coverage(&mut h, cov);
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn badge(v: Verdict) -> String {
    let class = serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("<span class=\"v {class}\">{}</span>", v.words())
}

/// The summary: counts, then every error the partner must fix, in plain sentences.
fn summary(h: &mut String, r: &Report) {
    let t = &r.totals;
    let total = t.accepted + t.accepted_with_warnings + t.rejected + t.not_translated;
    let _ = write!(
        h,
        "<h2 style=\"break-before:auto\">Summary</h2>\n<p>{} file{} checked, {total} document{}: a run would accept <b>{}</b>{}, reject <b>{}</b>{}{}.</p>\n",
        t.files,
        if t.files == 1 { "" } else { "s" },
        if total == 1 { "" } else { "s" },
        t.accepted + t.accepted_with_warnings,
        if t.accepted_with_warnings > 0 {
            format!(" ({} with warnings)", t.accepted_with_warnings)
        } else {
            String::new()
        },
        t.rejected,
        if t.not_translated > 0 {
            format!(", and not translate {}", t.not_translated)
        } else {
            String::new()
        },
        if t.files_with_errors > 0 {
            format!(
                "; {} file{} ha{} errors outside any document",
                t.files_with_errors,
                if t.files_with_errors == 1 { "" } else { "s" },
                if t.files_with_errors == 1 { "s" } else { "ve" }
            )
        } else {
            String::new()
        }
    );
    h.push_str(
        "<table>\n<tr><th>File</th><th>Format</th><th>Verdict</th><th>Documents</th></tr>\n",
    );
    for f in &r.files {
        let docs: Vec<&DocumentCheck> = f.all_documents().collect();
        let ok = docs
            .iter()
            .filter(|d| matches!(d.verdict, Verdict::Accepted | Verdict::AcceptedWithWarnings))
            .count();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{ok} of {} accepted</td></tr>",
            esc(&f.name),
            esc(&format!("{:?}", f.format).to_lowercase()),
            badge(f.verdict),
            docs.len()
        );
    }
    h.push_str("</table>\n");
    let mut errors: Vec<(String, &FindingCheck)> = Vec::new();
    for f in &r.files {
        for x in f.findings.iter().filter(|x| x.finding.is_error()) {
            errors.push((f.name.clone(), x));
        }
        for ic in &f.interchanges {
            for x in ic.findings.iter().filter(|x| x.finding.is_error()) {
                errors.push((format!("{}, interchange {}", f.name, ic.control), x));
            }
            for g in &ic.groups {
                for x in g.findings.iter().filter(|x| x.finding.is_error()) {
                    errors.push((format!("{}, group {}", f.name, g.control), x));
                }
                for d in &g.documents {
                    for x in d.findings.iter().filter(|x| x.finding.is_error()) {
                        errors.push((format!("{}, {}", f.name, doc_name(d)), x));
                    }
                }
            }
        }
        for d in &f.documents {
            for x in d.findings.iter().filter(|x| x.finding.is_error()) {
                errors.push((format!("{}, {}", f.name, doc_name(d)), x));
            }
        }
    }
    if errors.is_empty() {
        h.push_str("<p>Nothing to fix: every document would be accepted.</p>\n");
        return;
    }
    h.push_str("<h3>What must change</h3>\n<ol>\n");
    for (whose, x) in errors {
        let _ = writeln!(
            h,
            "<li><b>{}</b>: {} <span class=\"where\">({})</span>{}</li>",
            esc(&whose),
            esc(&x.finding.message),
            esc(&super::address(x)),
            x.fix
                .map(|f| format!("<br>To fix: {}", esc(f)))
                .unwrap_or_default()
        );
    }
    h.push_str("</ol>\n");
}

fn doc_name(d: &DocumentCheck) -> String {
    let mut s = format!("{} {}", d.set_id, d.control);
    if let (Some(k), Some(n)) = (d.kind, &d.number) {
        let _ = write!(s, " ({} {n})", k.replace('_', " "));
    }
    s.trim_end().to_owned()
}

fn finding(h: &mut String, x: &FindingCheck) {
    let f = &x.finding;
    let class = if f.is_error() { "error" } else { "warning" };
    let _ = write!(
        h,
        "<div class=\"finding {class}\"><b>{class}</b> {}<br><span class=\"where\">at {}</span>",
        esc(&f.message),
        esc(&super::address(x))
    );
    if let Some(fix) = x.fix.filter(|_| f.is_error()) {
        let _ = write!(h, "<br>To fix: {}", esc(fix));
    }
    if let Some(a) = &x.ack_code {
        let _ = write!(
            h,
            "<br><span class=\"code\">acknowledgment code {} {} ({})</span>",
            esc(a.element),
            esc(a.code),
            esc(&a.meaning)
        );
    }
    h.push_str("</div>\n");
}

fn file(h: &mut String, f: &FileCheck) {
    let _ = writeln!(
        h,
        "<h2>{} {}</h2>\n<p>{}{}, {} bytes{}</p>",
        esc(&f.name),
        badge(f.verdict),
        esc(&format!("{:?}", f.format).to_lowercase()),
        if f.versions.is_empty() {
            String::new()
        } else {
            format!(" {}", esc(&f.versions.join(", ")))
        },
        f.size,
        f.profile
            .as_deref()
            .map(|p| format!(", feed profile {}", esc(p)))
            .unwrap_or_default()
    );
    for x in &f.findings {
        finding(h, x);
    }
    for ic in &f.interchanges {
        let head = if ic.explicit {
            format!(
                "Interchange {} from {} to {}",
                ic.control, ic.sender, ic.receiver
            )
        } else {
            "Messages without an interchange header".to_owned()
        };
        let _ = writeln!(h, "<h3>{} {}</h3>", esc(&head), badge(ic.verdict));
        for x in &ic.findings {
            finding(h, x);
        }
        for g in &ic.groups {
            if g.explicit {
                let _ = writeln!(
                    h,
                    "<p>Group {} ({}{}) {}</p>",
                    esc(&g.control),
                    esc(&g.functional_id),
                    if g.version.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", esc(&g.version))
                    },
                    badge(g.verdict)
                );
            }
            for x in &g.findings {
                finding(h, x);
            }
            for d in &g.documents {
                document(h, d);
            }
        }
        for a in &ic.acks {
            ack(h, a);
        }
    }
    for d in &f.documents {
        document(h, d);
    }
}

fn ack(h: &mut String, a: &AckCheck) {
    match (&a.text, &a.note) {
        (Some(text), _) => {
            let what = match &a.group {
                Some(g) => format!("{} for group {g}", a.kind),
                None => a.kind.to_owned(),
            };
            let _ = writeln!(
                h,
                "<p>A run sends this {} ({}); its envelope and control numbers are the run's:</p>\n<pre>{}</pre>",
                esc(&what),
                esc(a.verdict.as_deref().unwrap_or("")),
                esc(text)
            );
        }
        (None, Some(note)) => {
            let _ = writeln!(h, "<p>{}</p>", esc(note));
        }
        (None, None) => {}
    }
}

fn document(h: &mut String, d: &DocumentCheck) {
    let _ = writeln!(
        h,
        "<h4>{}{} {}</h4>",
        esc(&doc_name(d)),
        if d.version.is_empty() {
            String::new()
        } else {
            format!(", {}", esc(&d.version))
        },
        badge(d.verdict)
    );
    // Findings not at one of the tree's segments come first.
    let at_segment = |x: &FindingCheck| {
        x.finding
            .segment_index
            .is_some_and(|i| d.segments.iter().any(|s| s.index == i))
    };
    for x in d.findings.iter().filter(|x| !at_segment(x)) {
        finding(h, x);
    }
    if !d.segments.is_empty() {
        h.push_str("<table class=\"tree\">\n");
        for s in &d.segments {
            let depth = if s.path.is_empty() {
                0
            } else {
                s.path.split('/').count()
            };
            let values: Vec<String> = s
                .elements
                .iter()
                .map(|e| match &e.name {
                    Some(n) => format!(
                        "<span title=\"{}\">{}</span>={}",
                        esc(n),
                        esc(&e.id),
                        esc(&e.value)
                    ),
                    None => format!("{}={}", esc(&e.id), esc(&e.value)),
                })
                .collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td style=\"padding-left:{}em\" class=\"tag{}\" title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                s.index,
                depth as f32 * 1.2 + 0.4,
                if s.placed { "" } else { " unplaced" },
                esc(s.name.as_deref().unwrap_or("")),
                esc(&s.tag),
                esc(&s.path),
                values.join(" &nbsp; ")
            );
            let here: Vec<&FindingCheck> = d
                .findings
                .iter()
                .filter(|x| x.finding.segment_index == Some(s.index))
                .collect();
            if !here.is_empty() {
                h.push_str("<tr class=\"f\"><td></td><td colspan=\"3\">");
                for x in here {
                    finding(h, x);
                }
                h.push_str("</td></tr>\n");
            }
        }
        h.push_str("</table>\n");
    }
    if let Some(doc) = &d.document {
        let _ = writeln!(
            h,
            "<p>What the ERP receives:</p>\n<pre>{}</pre>",
            esc(doc.get())
        );
    }
}

fn coverage(h: &mut String, c: &Coverage) {
    let _ = writeln!(
        h,
        "<h3>{} {} {}{} ({} document{})</h3>",
        esc(&c.standard),
        esc(&c.set_id),
        esc(&c.version),
        c.name
            .as_deref()
            .map(|n| format!(" {}", esc(n)))
            .unwrap_or_default(),
        c.documents,
        if c.documents == 1 { "" } else { "s" }
    );
    h.push_str("<table>\n<tr><th>Loop</th><th>Segment</th><th>Name</th><th>Sent</th><th>In documents</th><th>Grammar</th></tr>\n");
    for u in &c.segments {
        let rule = match (u.usage, u.max) {
            (Some(usage), Some(max)) => format!("{usage}, max {max}"),
            _ => "not in the grammar here".to_owned(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            esc(&u.path),
            esc(&u.tag),
            esc(u.name.as_deref().unwrap_or("")),
            u.count,
            u.documents,
            esc(&rule),
            if u.allowed {
                ""
            } else {
                " <span class=\"no\">not allowed where sent</span>"
            }
        );
    }
    h.push_str("</table>\n");
    if !c.codes.is_empty() {
        h.push_str("<table>\n<tr><th>Element</th><th>Name</th><th>Value</th><th>Sent</th><th>Code list</th></tr>\n");
        for u in &c.codes {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&u.element),
                esc(&u.name),
                esc(&u.value),
                u.count,
                if u.allowed {
                    "allowed"
                } else {
                    "<span class=\"no\">not in the list</span>"
                }
            );
        }
        h.push_str("</table>\n");
    }
    if !c.unused.is_empty() {
        let list: Vec<String> = c
            .unused
            .iter()
            .map(|u| {
                let at = if u.whole_loop {
                    format!("loop {}", u.path)
                } else if u.path.is_empty() {
                    u.tag.clone()
                } else {
                    format!("{}/{}", u.path, u.tag)
                };
                esc(&at).into_owned()
            })
            .collect();
        let _ = writeln!(h, "<p>Never sent: {}</p>", list.join(", "));
    }
}
