//! What each exit code means, per command: one table that `--help` (after the options) and the
//! man page's EXIT STATUS section are both made from, so the two cannot disagree.
//!
//! The rule everywhere: 0 all accepted, 1 some documents rejected, held back or quarantined (or
//! something else needs a person's attention), 2 the command itself failed. A command inherits
//! the nearest entry above it (`ledger list` has its own; a command without one, the top
//! level's).
//!
//! ```text
//! $ tallyman run --help
//! ...
//! Exit codes:
//!   0  nothing rejected, conflicting, held back or quarantined; ...
//! ```

/// One command's exit codes: code and meaning, in order.
pub type Codes = &'static [(u8, &'static str)];

const TOP: Codes = &[
    (
        0,
        "everything accepted: nothing rejected, conflicting, held back or quarantined",
    ),
    (
        1,
        "some documents were rejected, conflicting, held back or quarantined, or something \
         needs attention (each command's --help says what)",
    ),
    (
        2,
        "the command itself failed: bad arguments or configuration, a file, folder or ledger \
         that cannot be read or written, a stuck lock",
    ),
];

const RUN: Codes = &[
    (
        0,
        "nothing rejected, conflicting, held back or quarantined; also when another run holds \
         the lock and is at work (overlapping scheduled runs are normal)",
    ),
    (
        1,
        "something was rejected, conflicting, held back or quarantined; a partner's \
         acknowledgment rejected something we sent; a channel had a problem (a folder or \
         server that could not be read, a file left for the next run to deliver, a link or \
         other non-file in a drop folder), while the other channels went on; or this run \
         finished an interrupted run that had quarantined files",
    ),
    (
        2,
        "the run itself failed: bad configuration, work directory, ERP inbox or ledger not \
         writable, a lock held past [run] stuck_after or by a process that is gone, a lost \
         ledger",
    ),
];

const TRANSLATE: Codes = &[
    (
        0,
        "every transaction set, message and feed order translated",
    ),
    (
        1,
        "some were rejected or are of a kind not translated (855, 860, 997, CONTRL, \
         APERAK...), or a file is none of the formats read",
    ),
    (
        2,
        "the command itself failed: an unreadable file, a bad grammar or feed profile directory",
    ),
];

const INSPECT: Codes = &[
    (0, "the file has no errors"),
    (
        1,
        "a transaction set, message or envelope has errors, or the file is not X12 or EDIFACT",
    ),
    (
        2,
        "the command itself failed: an unreadable file, a bad grammar directory",
    ),
];

const CHECK: Codes = &[
    (
        0,
        "a run would accept every transaction set, message and feed order (warnings allowed)",
    ),
    (
        1,
        "a run would reject some, or not translate them (855, 997, CONTRL...), or a file has \
         errors outside any document (not X12, EDIFACT or a feed; the wrong format for the \
         channel; a broken envelope)",
    ),
    (
        2,
        "the command itself failed: bad configuration, an unknown --partner (the known ones \
         are listed), a file that cannot be read (the others are still checked), an HTML file \
         that cannot be written",
    ),
];

const GENERATE: Codes = &[
    (0, "every document written"),
    (
        1,
        "some documents were held back (the reasons on stderr), or an export file could not \
         be read",
    ),
    (
        2,
        "the command itself failed: bad configuration, a channel without [channel.ID.send], an \
         unreadable file, --out in an outbound folder or not writable",
    ),
];

const LEDGER: Codes = &[
    (0, "done (`replay`: as `tallyman run`)"),
    (
        1,
        "`outbound`: a document we sent was rejected or its acknowledgment is overdue; \
         `replay`: as `tallyman run`",
    ),
    (
        2,
        "the command itself failed: bad configuration, a ledger that cannot be opened, no such \
         run or channel",
    ),
];

const LEDGER_READ: Codes = &[
    (0, "printed"),
    (
        2,
        "the command itself failed: bad configuration, a ledger that cannot be opened, no such \
         run or channel",
    ),
];

const OUTBOUND: Codes = &[
    (0, "nothing we sent was rejected or is overdue"),
    (
        1,
        "a document we sent was rejected by the partner, or its acknowledgment is overdue (the \
         channel's ack_due)",
    ),
    (
        2,
        "the command itself failed: bad configuration, a ledger that cannot be opened, no such \
         channel",
    ),
];

const STATUS: Codes = &[
    (0, "all is well"),
    (
        1,
        "something needs attention (listed): a stuck or orphaned run, the last run's errors, \
         files in quarantine, a drop folder that cannot be listed, documents not delivered, a \
         silent partner (silence_alert), overdue acknowledgments, no run yet",
    ),
    (
        2,
        "the status could not be read: bad configuration, a ledger that cannot be opened",
    ),
];

const PRINTED: Codes = &[
    (0, "written"),
    (2, "writing failed (a closed stdout is not a failure)"),
];

/// Commands by their path below `tallyman`; the first entry is the top level.
const TABLE: &[(&[&str], Codes)] = &[
    (&[], TOP),
    (&["run"], RUN),
    (&["status"], STATUS),
    (&["translate"], TRANSLATE),
    (&["inspect"], INSPECT),
    (&["check"], CHECK),
    (&["generate"], GENERATE),
    (&["ledger"], LEDGER),
    (&["ledger", "list"], LEDGER_READ),
    (&["ledger", "show"], LEDGER_READ),
    (&["ledger", "acks"], LEDGER_READ),
    (&["ledger", "outbound"], OUTBOUND),
    (&["ledger", "replay"], RUN),
    (&["ledger", "resolve"], RUN),
    (&["completions"], PRINTED),
    (&["man"], PRINTED),
];

/// The codes of the command at `path` (names below `tallyman`): its own entry, or the nearest
/// one above it.
pub fn codes(path: &[&str]) -> Codes {
    TABLE
        .iter()
        .filter(|(p, _)| path.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, c)| *c)
        .expect("the top level's entry matches every path")
}

/// `Exit codes:` and one item per code, wrapped to `width` columns under a hanging indent, as
/// `--help` prints it after the options.
pub fn help(codes: Codes, width: usize) -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, text) in codes {
        let mut line = format!("  {code}  ");
        let indent = line.len();
        let mut at_start = true;
        for word in text.split_whitespace() {
            if !at_start && line.len() + 1 + word.len() > width {
                s.push_str(&line);
                s.push('\n');
                line = " ".repeat(indent);
                at_start = true;
            }
            if !at_start {
                line.push(' ');
            }
            line.push_str(word);
            at_start = false;
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.pop();
    s
}

/// The man page's EXIT STATUS section: a tagged paragraph per code.
pub fn roff(codes: Codes) -> roff::Roff {
    let mut r = roff::Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    for (code, text) in codes {
        r.control("TP", []);
        r.text([roff::bold(code.to_string())]);
        r.text([roff::roman(*text)]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_without_an_entry_has_the_nearest_above() {
        assert_eq!(codes(&["ledger", "replay"]), RUN);
        assert_eq!(codes(&["ledger", "outbound"]), OUTBOUND);
        assert_eq!(codes(&["ledger", "something-new"]), LEDGER);
        assert_eq!(codes(&["something-new"]), TOP);
    }

    #[test]
    fn help_wraps_under_a_hanging_indent() {
        let text = help(RUN, 60);
        assert!(
            text.starts_with("Exit codes:\n  0  nothing rejected"),
            "{text}"
        );
        for line in text.lines() {
            assert!(line.len() <= 60, "{line:?} is wider than 60");
        }
        assert!(
            text.contains("\n     "),
            "continuation lines are indented: {text}"
        );
        // Every word is kept, in order.
        let words: Vec<&str> = RUN.iter().flat_map(|(_, t)| t.split_whitespace()).collect();
        let shown: Vec<&str> = text
            .lines()
            .skip(1)
            .flat_map(|l| l.split_whitespace())
            .filter(|w| !["0", "1", "2"].contains(w))
            .collect();
        assert_eq!(shown, words);
    }
}
