//! What an option would change about a rejection, said once per file after its findings.
//!
//! Two rejections are often not the partner's fault but tallyman's choice: a document checked
//! against the grammar of another version (its own has none, so the nearest is used), and a
//! message whose bytes are not in the character set its UNB declares (read as what they are,
//! but rejected). The findings say what happened; the hint says which option reads it.
//!
//! ```text
//! po.edi: hint: 850 0001 was checked against the grammar of another version, as its own has none (the warning at its header names both); if the partner's guide allows what was rejected, give a grammar of its version with --grammars DIR, or accept it with warnings with --lenient
//! ```

use crate::grammar::Strictness;
use crate::map::{Outcome, Status};
use std::io::{self, Write};

/// The rejected documents of one file that an option would read.
#[derive(Debug)]
pub struct Hints {
    /// Rejected by the grammar of a version other than their own.
    fallback: Vec<String>,
    /// Rejected because their bytes are not in the declared character set.
    charset: Vec<String>,
    /// Every one of them would be accepted with `--lenient`.
    lenient_reads_all: bool,
}

impl Hints {
    pub fn new() -> Self {
        Hints {
            fallback: Vec::new(),
            charset: Vec::new(),
            lenient_reads_all: true,
        }
    }

    /// Notes a document's outcome; only rejections count.
    pub fn add(&mut self, o: &Outcome) {
        use crate::diag::Code;
        if o.status != Status::Rejected {
            return;
        }
        let mut errors = o.findings.iter().filter(|f| f.is_error()).peekable();
        if errors.peek().is_none() {
            return;
        }
        let id = format!(
            "{} {}",
            o.set_id,
            o.controls.transaction.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_owned();
        let errors: Vec<_> = errors.collect();
        let by_grammar = errors.iter().any(|f| Strictness::relaxes(f));
        let fallback = by_grammar && o.findings.iter().any(|f| f.code == Code::VersionFallback);
        let charset = errors
            .iter()
            .any(|f| crate::map::edifact::is_charset_mismatch(f));
        if !fallback && !charset {
            return;
        }
        // Under --lenient nothing the grammar finds is an error: the rejection is not its.
        self.lenient_reads_all &=
            o.envelope_reasons.is_empty() && errors.iter().all(|f| Strictness::relaxes(f));
        if fallback {
            self.fallback.push(id.clone());
        }
        if charset {
            self.charset.push(id);
        }
    }

    /// One line per kind of hint, `NAME: hint: ...`; nothing when there is none.
    pub fn write(&self, name: &str, out: &mut dyn Write) -> io::Result<()> {
        let lenient = |one: bool| match (self.lenient_reads_all, one) {
            (false, _) => "",
            (true, true) => ", or accept it with warnings with --lenient",
            (true, false) => ", or accept them with warnings with --lenient",
        };
        if !self.fallback.is_empty() {
            let one = self.fallback.len() == 1;
            writeln!(
                out,
                "{name}: hint: {} checked against the grammar of another version, as {} none (the warning at {} header names both); if the partner's guide allows what was rejected, give a grammar of {} version with --grammars DIR{}",
                documents(&self.fallback, "was", "were"),
                if one { "its own has" } else { "their own have" },
                if one { "its" } else { "each" },
                if one { "its" } else { "their" },
                lenient(one),
            )?;
        }
        if !self.charset.is_empty() {
            let one = self.charset.len() == 1;
            writeln!(
                out,
                "{name}: hint: {} rejected because {} bytes are not in the character set {} UNB declares (the finding says what they are){}; ask the partner to declare the set it sends (UNOC for ISO 8859-1, UNOW for UTF-8)",
                documents(&self.charset, "was", "were"),
                if one { "its" } else { "their" },
                if one { "its" } else { "their" },
                match (self.lenient_reads_all, one) {
                    (false, _) => "",
                    (true, true) =>
                        "; --lenient reads it as what it is and accepts it with a warning",
                    (true, false) =>
                        "; --lenient reads them as what they are and accepts them with a warning",
                },
            )?;
        }
        Ok(())
    }
}

/// `850 0001 was`, or `3 documents (850 0001, 850 0002, 850 0003) were`, at most 3 named.
fn documents(ids: &[String], one: &str, many: &str) -> String {
    match ids {
        [id] => format!("{id} {one}"),
        _ => {
            let shown: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
            let more = if ids.len() > 3 { ", ..." } else { "" };
            format!(
                "{} documents ({}{more}) {many}",
                ids.len(),
                shown.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_one_document_or_counts_them() {
        let ids = |n: usize| (1..=n).map(|i| format!("850 000{i}")).collect::<Vec<_>>();
        assert_eq!(documents(&ids(1), "was", "were"), "850 0001 was");
        assert_eq!(
            documents(&ids(2), "was", "were"),
            "2 documents (850 0001, 850 0002) were"
        );
        assert_eq!(
            documents(&ids(5), "was", "were"),
            "5 documents (850 0001, 850 0002, 850 0003, ...) were"
        );
    }

    #[test]
    fn says_nothing_of_an_accepted_document_or_a_rejection_no_option_reads() {
        use crate::diag::{Code, Finding};
        let mut o = Outcome {
            status: Status::Rejected,
            set_id: "850".into(),
            offset: 0,
            controls: Default::default(),
            document: None,
            findings: vec![
                Finding::warning(Code::VersionFallback, "validated as 004010"),
                Finding::error(Code::BusinessRule, "quantity_not_positive: line 1"),
            ],
            envelope_reasons: Vec::new(),
            context: None,
        };
        let mut hints = Hints::new();
        hints.add(&o);
        o.status = Status::Accepted;
        hints.add(&o);
        let mut out = Vec::new();
        hints.write("f.edi", &mut out).unwrap();
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    }
}
