//! The Prometheus textfile (`[metrics] textfile = "PATH"`), written atomically at the end of
//! every run for node_exporter's textfile collector (`--collector.textfile.directory`).
//!
//! Phase: after the run, whatever its end (a run that fails counts in
//! `tallyman_run_failures_total`). Totals come from the ledger, so they survive a lost
//! textfile; the run counters and the last success time are carried over from the previous
//! file, so that they survive a failing ledger.
//!
//! ```text
//! tallyman_documents_total{channel="acme",kind="order",outcome="accepted"} 1520
//! tallyman_last_run_exit_code 1
//! tallyman_quarantine_files 2
//! tallyman_files_waiting{channel="acme"} 0
//! tallyman_run_failures_total 3
//! ```

use super::report::RunReport;
use super::settings::Config;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

/// Writes the textfile for a run that ended with `exit` (`report`: none when it failed).
/// Nothing is written without `[metrics] textfile`.
pub fn write(cfg: &Config, report: Option<&RunReport>, exit: u8) -> io::Result<()> {
    let Some(path) = &cfg.metrics_textfile else {
        return Ok(());
    };
    let previous = std::fs::read_to_string(path).unwrap_or_default();
    let carried = |name: &str| -> f64 {
        previous
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    // What the ledger and the work directory say; a ledger that cannot be read leaves these
    // out (the failure counter says why someone should look).
    // The run's report holds the overdue acknowledgments already; without one they are
    // looked up.
    let look = super::status::Look {
        list_folders: false,
        overdue_acks: report.is_none(),
    };
    let status = super::status::status(cfg, look).ok();
    let mut m = Metrics::default();

    if let Some(s) = &status {
        m.family(
            "tallyman_documents_total",
            "counter",
            "Documents routed over all runs, per channel, document kind and outcome.",
        );
        for d in &s.documents {
            m.sample(
                "tallyman_documents_total",
                &[
                    ("channel", &d.channel),
                    ("kind", &d.kind),
                    ("outcome", &d.route),
                ],
                d.count as f64,
            );
        }
        m.family(
            "tallyman_files_total",
            "counter",
            "Files received over all runs, per channel.",
        );
        for c in &s.channels {
            m.sample(
                "tallyman_files_total",
                &[("channel", &c.id)],
                c.files as f64,
            );
        }
        m.family(
            "tallyman_bytes_total",
            "counter",
            "Bytes received over all runs, per channel.",
        );
        for c in &s.channels {
            m.sample(
                "tallyman_bytes_total",
                &[("channel", &c.id)],
                c.bytes as f64,
            );
        }
        m.family(
            "tallyman_quarantine_files",
            "gauge",
            "Files in quarantine, not replayed yet.",
        );
        m.sample("tallyman_quarantine_files", &[], s.quarantine.len() as f64);
        m.family(
            "tallyman_quarantine_oldest_age_seconds",
            "gauge",
            "Age of the oldest file in quarantine (0 when it is empty).",
        );
        m.sample(
            "tallyman_quarantine_oldest_age_seconds",
            &[],
            s.quarantine.first().map_or(0.0, |q| q.age_seconds as f64),
        );
        let mut waiting: BTreeMap<&str, u64> = s
            .channels
            .iter()
            .map(|c| (c.id.as_str(), c.undelivered))
            .collect();
        for f in report
            .map(|r| r.still_arriving.as_slice())
            .unwrap_or_default()
        {
            let channel = f.split('/').next().unwrap_or(f);
            if let Some(n) = waiting.get_mut(channel) {
                *n += 1;
            }
        }
        m.family(
            "tallyman_files_waiting",
            "gauge",
            "Per channel: files left for the next run (still being written) and documents not yet delivered to an SFTP folder.",
        );
        for (c, n) in &waiting {
            m.sample("tallyman_files_waiting", &[("channel", c)], *n as f64);
        }
        let mut overdue: BTreeMap<&str, u64> =
            cfg.channels.iter().map(|c| (c.id.as_str(), 0)).collect();
        let channels: Vec<&str> = match report {
            Some(r) => r
                .outbound
                .overdue
                .iter()
                .map(|a| a.channel.as_str())
                .collect(),
            None => s.overdue_acks.iter().map(|a| a.channel.as_str()).collect(),
        };
        for c in channels {
            *overdue.entry(c).or_default() += 1;
        }
        m.family(
            "tallyman_acks_overdue",
            "gauge",
            "Per channel: documents sent whose acknowledgment is overdue (ack_due).",
        );
        for (c, n) in &overdue {
            m.sample("tallyman_acks_overdue", &[("channel", c)], *n as f64);
        }
    }

    if let Some(r) = report {
        m.family(
            "tallyman_last_run_documents",
            "gauge",
            "Documents of the last run, per channel, document kind and outcome.",
        );
        for (channel, entry) in &r.channels {
            for (kind, n) in &entry.documents {
                for (outcome, v) in [
                    ("accepted", n.accepted),
                    ("duplicate", n.duplicate),
                    ("conflict", n.conflict),
                    ("rejected", n.rejected),
                ] {
                    m.sample(
                        "tallyman_last_run_documents",
                        &[("channel", channel), ("kind", kind), ("outcome", outcome)],
                        v as f64,
                    );
                }
            }
        }
        m.family(
            "tallyman_last_run_bytes",
            "gauge",
            "Bytes the last run read.",
        );
        m.sample("tallyman_last_run_bytes", &[], r.bytes as f64);
        m.family(
            "tallyman_last_run_duration_seconds",
            "gauge",
            "How long the last run took.",
        );
        m.sample(
            "tallyman_last_run_duration_seconds",
            &[],
            r.duration_ms as f64 / 1000.0,
        );
    }
    m.family(
        "tallyman_last_run_timestamp_seconds",
        "gauge",
        "When the last run ended (Unix time).",
    );
    m.sample("tallyman_last_run_timestamp_seconds", &[], now);
    m.family(
        "tallyman_last_run_exit_code",
        "gauge",
        "The last run's exit code: 0 clean, 1 something rejected, quarantined or held, 2 the run failed.",
    );
    m.sample("tallyman_last_run_exit_code", &[], f64::from(exit));
    m.family(
        "tallyman_last_success_timestamp_seconds",
        "gauge",
        "When a run last completed (exit 0 or 1; Unix time).",
    );
    let success = if exit < 2 {
        now
    } else {
        carried("tallyman_last_success_timestamp_seconds")
    };
    m.sample("tallyman_last_success_timestamp_seconds", &[], success);
    m.family(
        "tallyman_runs_total",
        "counter",
        "Runs that ended, whatever their end.",
    );
    m.sample(
        "tallyman_runs_total",
        &[],
        carried("tallyman_runs_total") + 1.0,
    );
    m.family(
        "tallyman_run_failures_total",
        "counter",
        "Runs that failed (exit 2: configuration, I/O, ledger, a stuck lock).",
    );
    m.sample(
        "tallyman_run_failures_total",
        &[],
        carried("tallyman_run_failures_total") + if exit >= 2 { 1.0 } else { 0.0 },
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Readable by the exporter, which runs as another user.
    super::work::replace_atomic(path, m.text.as_bytes(), 0o644)
}

/// The exposition format (version 0.0.4), written by hand: a few lines, no registry needed.
#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// A label value as the format wants it: backslash, quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut m = Metrics::default();
        m.sample("x", &[("a", "q\"b\\\nz")], 1.5);
        assert_eq!(m.text, "x{a=\"q\\\"b\\\\\\nz\"} 1.5\n");
    }
}
