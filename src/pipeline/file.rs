//! Translating one staged file: the part of a run that runs in parallel.
//!
//! Each file is translated as `tallyman translate` would, under its channel's strictness; every
//! accepted document is then checked against the channel (sender, receiver, version) and the
//! business rules, hashed for dedupe, and written to a spool (in memory within the run's
//! budget, on disk past it: [`super::spool`]) so that a file's documents never all sit in
//! memory at once. Nothing here looks at the ledger or at other files: routing
//! (duplicates, conflicts) happens afterwards, in input order.
//!
//! When the channel's output includes CSV, each spooled document's CSV rows are written here
//! too, to a second spool beside the first, so that writing the ERP files after
//! routing only copies bytes. A record there is the rows' length (4 bytes, little-endian) and
//! the rows, one record per spool line.
//!
//! The summaries of a file's documents (what routing and the reports need of each) go to a
//! third spool, and are read back one by one in file order
//! ([`FileResult::documents`]): a file of two million orders costs no more memory than a file
//! of one, whether they are accepted or all broken. What explains a document that failed (its
//! problems and item ids) is part of its record. The findings of documents that are not told
//! at the document (warnings, and notes on documents their envelope rejects) go to a fourth
//! spool, read back merged with the file's envelope findings in file order
//! ([`FileResult::file_findings`]).

use super::settings::{Channel, ChannelFormat};
use super::spool::{Budget, Spool, SpoolWriter};
pub use docs::Documents;
use docs::{DocSpool, DocWriter};

mod docs;
use crate::diag::{Code, Controls, Finding};
use crate::feeds::Profiles;
use crate::grammar::{GrammarSet, Strictness};
use crate::map::{Options, Status};
use crate::model::hash::{ContentHash, ValueHasher};
use crate::model::{Document, Purpose};
use crate::translate::Format;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

/// Sender, receiver and control number of an interchange.
pub type InterchangeKey = std::sync::Arc<(String, String, String)>;

/// What one document came to before routing.
#[derive(Debug, Clone)]
pub struct DocResult {
    pub offset: u64,
    pub set_id: String,
    pub controls: Controls,
    /// Translated and passed the channel and business checks: a candidate for acceptance.
    pub candidate: bool,
    /// Recognized but not a document tallyman translates (997, 855, CONTRL...).
    pub not_mapped: bool,
    /// `order`, `ship_notice`, `invoice`, when the document was mapped.
    pub kind: Option<&'static str>,
    pub number: Option<String>,
    /// The purpose's name (`original`, `replace`...).
    pub purpose: Option<String>,
    /// The hashes of the document's content, for candidates.
    pub content_hash: Option<ContentHashes>,
    /// Line index in the file's spool, for candidates.
    pub spool_line: Option<usize>,
    /// Interchange sender, receiver and control number, when there is an interchange (shared
    /// by the documents of one interchange).
    pub interchange: Option<InterchangeKey>,
    /// Why it is rejected (empty for candidates).
    pub problems: Vec<Finding>,
    /// Item ids of the document's lines (SKU or other), for business context in reports.
    pub items: Vec<String>,
    /// A partner's acknowledgment, accepted: its canonical JSON, for the ledger (it goes to
    /// no ERP file).
    pub acknowledgment: Option<String>,
}

impl DocResult {
    /// A document at `offset` with nothing known of it yet but its set and control numbers.
    pub fn new(offset: u64, set_id: String, controls: Controls) -> Self {
        DocResult {
            offset,
            set_id,
            controls,
            candidate: false,
            not_mapped: false,
            kind: None,
            number: None,
            purpose: None,
            content_hash: None,
            spool_line: None,
            interchange: None,
            problems: Vec::new(),
            items: Vec::new(),
            acknowledgment: None,
        }
    }
}

/// A document's content hash in each version a ledger may hold (see [`crate::model::hash`]):
/// a ledger written by an earlier tallyman holds v1 hashes, and a document is compared with a
/// stored hash in the stored hash's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentHashes {
    /// SHA-256 of the JSON with a default source, worked out only when the ledger holds v1
    /// hashes ([`crate::ledger::Ledger::holds_v1_hashes`]).
    pub v1: Option<[u8; 32]>,
    /// SHA-256 of the values.
    pub v2: [u8; 32],
}

impl ContentHashes {
    /// Whether a stored hash is of this content. A v1 hash when the document's was not worked
    /// out (the ledger held none when the run began) matches nothing: the document goes to
    /// quarantine as a conflict, never skipped as a duplicate.
    pub fn matches(&self, stored: &ContentHash) -> bool {
        match stored {
            ContentHash::V1(h) => self.v1 == Some(*h),
            ContentHash::V2(h) => *h == self.v2,
        }
    }

    /// The hash a document is recorded with.
    pub fn recorded(&self) -> ContentHash {
        ContentHash::V2(self.v2)
    }
}

/// What one file came to before routing.
#[derive(Debug)]
pub struct FileResult {
    pub format: Format,
    pub profile: Option<String>,
    /// The documents, spooled ([`FileResult::documents`] reads them back).
    docs: DocSpool,
    /// The findings outside the documents (envelopes, unreadable bytes, a file in the wrong
    /// format), in file order; [`FileResult::file_findings`] adds the documents' others.
    pub findings: Vec<Finding>,
    /// Findings first of all, before the merge (a file in the wrong format says so first).
    lead: Vec<Finding>,
    /// Findings of documents not told at the document, spooled in file order.
    notes: usize,
    /// Errors that enclose no document, or a file that could not be read at all.
    pub file_errors: usize,
    /// The spooled JSON lines (and CSV rows) of the candidates, and the notes.
    spools: Option<Spools>,
    /// What the acknowledgments of its interchanges say, for a channel that sends them.
    pub receipts: crate::ack::receipt::Receipts,
}

/// A file's spools besides its documents' summaries (see the module documentation).
#[derive(Debug)]
pub struct Spools {
    /// One JSON line per candidate.
    pub lines: Spool,
    /// The CSV rows of each candidate, when its channel writes CSV.
    pub csv: Option<Spool>,
    notes: Spool,
}

impl FileResult {
    /// The file's documents, in file order, read back from their spool.
    pub fn documents(&self) -> io::Result<Documents<'_>> {
        let reader = match (&self.docs.spool, self.docs.count) {
            (Some(s), n) if n > 0 => Some(s.reader()?),
            _ => None,
        };
        Ok(Documents {
            spool: &self.docs,
            reader,
            index: 0,
            last_interchange: None,
            buf: Vec::new(),
        })
    }

    /// The spooled JSON lines and CSV rows of the candidates (none for a file not read).
    pub fn spools(&self) -> Option<&Spools> {
        self.spools.as_ref()
    }

    /// Gives the spools' memory or disk space back once the file is routed.
    pub fn remove_spools(&mut self) {
        if let Some(s) = self.spools.take() {
            s.lines.remove();
            if let Some(c) = s.csv {
                c.remove();
            }
            s.notes.remove();
        }
        if let Some(d) = self.docs.spool.take() {
            d.remove();
        }
    }

    /// Every finding of the file that is not one of a document's problems, in file order:
    /// the lead, then the file's own findings and the spooled notes merged by byte offset (a
    /// note first on a tie, as a document's findings came before the envelope's).
    pub fn file_findings(&self) -> io::Result<impl Iterator<Item = io::Result<Finding>> + '_> {
        let notes = match (&self.spools, self.notes) {
            (Some(s), n) if n > 0 => {
                let lines = s.notes.reader()?.lines();
                Some(lines.map(|l| {
                    l.and_then(|l| serde_json::from_str::<Finding>(&l).map_err(io::Error::other))
                }))
            }
            _ => None,
        };
        let mut notes = notes.into_iter().flatten().peekable();
        let mut own = self.findings.iter().peekable();
        let merged = std::iter::from_fn(move || {
            let take_note = match (notes.peek(), own.peek()) {
                (Some(Ok(n)), Some(f)) => n.offset <= f.offset,
                (Some(_), _) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            if take_note {
                notes.next()
            } else {
                own.next().cloned().map(Ok)
            }
        });
        Ok(self.lead.iter().cloned().map(Ok).chain(merged))
    }
}

/// Where the CSV rows of the documents in `spool` go, when the channel writes CSV.
fn csv_spool(spool: &Path) -> PathBuf {
    spool.with_extension("csv")
}

/// Where the summaries of the documents in `spool` go (see the module documentation).
fn docs_spool(spool: &Path) -> PathBuf {
    spool.with_extension("docs")
}

/// Where the findings of the documents in `spool` that are not told at them go, one JSON
/// object a line (see the module documentation).
fn notes_spool(spool: &Path) -> PathBuf {
    spool.with_extension("notes")
}

/// The CSV rows of the spooled documents (see the module documentation).
struct CsvSpool {
    out: SpoolWriter,
}

impl CsvSpool {
    /// Adds a document's record: its CSV rows ([`csv_rows`]; `None` for a partner's
    /// acknowledgment, which goes to no ERP file: an empty record keeps the records in step
    /// with the spool lines).
    fn add(&mut self, rows: Option<&[u8]>) -> io::Result<()> {
        let bytes = rows.unwrap_or_default();
        let len = u32::try_from(bytes.len())
            .map_err(|_| io::Error::other("a document's CSV rows are over 4 GiB"))?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(bytes)?;
        Ok(())
    }
}

/// A document's CSV rows in the channel's columns; `None` for a partner's acknowledgment.
fn csv_rows(
    doc: &Document,
    columns: &BTreeMap<String, Vec<String>>,
) -> io::Result<Option<Vec<u8>>> {
    if matches!(doc, Document::Acknowledgment(_)) {
        return Ok(None);
    }
    let columns = columns
        .get(doc.kind())
        .ok_or_else(|| io::Error::other(format!("no CSV columns for {} documents", doc.kind())))?;
    let mut rows = Vec::new();
    // The configuration checked the columns when it loaded.
    crate::erp::import::write_rows(&mut rows, doc, columns);
    Ok(Some(rows))
}

/// What the run makes of an outcome where it is made ([`prepare_document`]).
struct Prepared {
    /// What the run finds wrong with an accepted document ([`run_findings`]).
    problems: Vec<Finding>,
    /// An accepted document without problems, spooled: `None` for any other.
    spooled: Option<io::Result<Spooled>>,
}

/// What a run prepares of each accepted document beside its spool line and v2 hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preparing<'a> {
    /// The columns per document kind, when the channel's ERP output includes CSV.
    pub csv_columns: Option<&'a BTreeMap<String, Vec<String>>>,
    /// Whether to work out v1 content hashes too: the ledger holds some
    /// ([`crate::ledger::Ledger::holds_v1_hashes`]).
    pub v1_hashes: bool,
}

/// A document's spool line (with its line feed), its content hashes and its CSV rows (when the
/// channel writes CSV; `None` inside for an acknowledgment).
struct Spooled {
    line: Vec<u8>,
    hashes: ContentHashes,
    rows: Option<Vec<u8>>,
}

thread_local! {
    /// Each thread's value hasher, whose buffers serve every document it prepares.
    static HASHER: std::cell::RefCell<ValueHasher> = std::cell::RefCell::new(ValueHasher::new());
}

/// The run's checks of an accepted document, and for one that passes them its spool line,
/// hashes and CSV rows: the per-document work of a run, done on whichever thread translated it.
fn prepare_document(o: &mut crate::map::Outcome, channel: &Channel, how: &Preparing) -> Prepared {
    let none = Prepared {
        problems: Vec::new(),
        spooled: None,
    };
    if o.status != Status::Accepted {
        return none;
    }
    let (offset, controls) = (o.offset, &o.controls);
    let Some(doc) = o.document.as_mut() else {
        return none;
    };
    super::work::panic_point(doc.number());
    let problems = run_findings(channel, doc, offset, controls);
    if !problems.is_empty() {
        return Prepared {
            problems,
            spooled: None,
        };
    }
    let spooled = (|| {
        let (line, hashes) = crate::model::json::line(|line| {
            HASHER.with_borrow_mut(|h| spool_line_and_hash(doc, line, h, how.v1_hashes))
        })?;
        let rows = match how.csv_columns {
            Some(columns) => csv_rows(doc, columns)?,
            None => None,
        };
        Ok(Spooled { line, hashes, rows })
    })();
    Prepared {
        problems,
        spooled: Some(spooled),
    }
}

/// Translates a staged file. `name` is what findings and documents call it; `how` says what is
/// prepared of each accepted document. The spools stay in memory within `budget`; past it they
/// go to `spool` and files beside it.
#[allow(clippy::too_many_arguments)]
pub fn process(
    staged: &Path,
    name: &str,
    spool: &Path,
    budget: &std::sync::Arc<Budget>,
    channel: &Channel,
    grammars: &GrammarSet,
    profiles: &Profiles,
    limits: &crate::syntax::limits::Limits,
    how: Preparing<'_>,
) -> io::Result<FileResult> {
    let opts = Options {
        strictness: channel.strictness,
        file: name.to_owned(),
        channel: Some(channel.id.clone()),
        relax_envelope: channel.relax_envelope,
        feed_profile: channel.profile.clone(),
        limits: *limits,
        // Beside the spools, in the work directory.
        spill_dir: spool.parent().map(Path::to_path_buf),
    };
    let file = std::fs::File::open(staged)?;
    let mut out = SpoolWriter::new(spool.to_owned(), budget);
    let mut csv_out = how.csv_columns.map(|_| CsvSpool {
        out: SpoolWriter::new(csv_spool(spool), budget),
    });
    let mut docs = DocWriter {
        out: SpoolWriter::new(docs_spool(spool), budget),
        spool: DocSpool::default(),
        last_interchange: None,
    };
    // A document's findings that its problems do not tell (see the module documentation).
    let mut notes = Notes {
        out: SpoolWriter::new(notes_spool(spool), budget),
        count: 0,
    };
    let mut spooled = 0usize;
    let mut last_interchange: Option<InterchangeKey> = None;
    // The rules are applied after the channel check (`prepare_document`), which needs the document.
    let checks = crate::translate::Checks {
        receipts: channel.sends_acks(),
        business_rules: false,
        document_findings: false,
    };
    // What the run makes of an accepted document, made where the document is: in the parallel
    // stage for X12 and EDIFACT sets.
    let prepare = |o: &mut crate::map::Outcome| prepare_document(o, channel, &how);
    let report = crate::translate::translate_prepared(
        file,
        grammars,
        profiles,
        &opts,
        checks,
        &prepare,
        |o, prepared| {
            let mut d = DocResult {
                not_mapped: o.status == Status::NotMapped,
                ..DocResult::new(o.offset as u64, o.set_id.clone(), o.controls.clone())
            };
            let context = o
                .document
                .as_ref()
                .map(crate::map::DocContext::of)
                .or_else(|| o.context.clone());
            if let Some(c) = context {
                d.kind = Some(c.kind);
                d.number = Some(c.number);
                d.purpose = Some(purpose_name(c.purpose));
                d.items = c.items;
            }
            if let Some(doc) = &o.document {
                let s = doc.source();
                if let (Some(ic), Some(snd), Some(rcv)) =
                    (&s.interchange_control, &s.sender, &s.receiver)
                {
                    let key = (
                        snd.id.trim().to_owned(),
                        rcv.id.trim().to_owned(),
                        ic.clone(),
                    );
                    d.interchange = match &last_interchange {
                        Some(k) if **k == key => Some(k.clone()),
                        _ => {
                            let k = InterchangeKey::new(key);
                            last_interchange = Some(k.clone());
                            Some(k)
                        }
                    };
                }
            }
            if o.status != Status::Accepted {
                d.problems = o
                    .findings
                    .iter()
                    .filter(|f| f.is_error())
                    .cloned()
                    .collect();
                d.problems.extend(envelope_findings(o));
                notes.add(o, &d.problems)?;
                docs.add(d)?;
                return Ok(());
            }
            let doc = o
                .document
                .as_ref()
                .expect("an accepted outcome has a document");
            let Prepared {
                problems,
                spooled: made,
            } = prepared;
            d.problems.extend(problems);
            if let Some(made) = made {
                let Spooled { line, hashes, rows } = made?;
                d.content_hash = Some(hashes);
                if matches!(doc, crate::model::Document::Acknowledgment(_)) {
                    let json = line.strip_suffix(b"\n").unwrap_or(&line);
                    d.acknowledgment = Some(String::from_utf8_lossy(json).into_owned());
                }
                out.write_all(&line)?;
                if let Some(c) = &mut csv_out {
                    c.add(rows.as_deref())?;
                }
                d.spool_line = Some(spooled);
                d.candidate = true;
                // Item ids are context for reports on documents that fail; an accepted document's
                // are in the spool, and keeping them here would cost memory per line of the batch.
                d.items = Vec::new();
                spooled += 1;
            }
            notes.add(o, &d.problems)?;
            docs.add(d)?;
            Ok(())
        },
    )?;
    let spools = Spools {
        lines: out.finish()?,
        csv: csv_out.map(|c| c.out.finish()).transpose()?,
        notes: notes.out.finish()?,
    };
    let mut docs = DocSpool {
        spool: Some(docs.out.finish()?),
        ..docs.spool
    };
    let mut findings = report.findings;
    let mut lead = Vec::new();
    let mut file_errors = report.tally.envelope_errors;
    if let Some(f) = wrong_format(channel, report.format) {
        file_errors += 1;
        lead.push(f);
        // Applied as the documents are read back ([`Documents`]).
        docs.wrong_format = true;
    }
    if docs.count == 0 && file_errors == 0 {
        file_errors += 1;
        findings.push(Finding::error(
            Code::UnreadableFile,
            "the file holds no document (it is empty or has only envelopes)",
        ));
    }
    Ok(FileResult {
        format: report.format,
        profile: report.profile,
        docs,
        findings,
        lead,
        notes: notes.count,
        file_errors,
        spools: Some(spools),
        receipts: report.receipts,
    })
}

/// Writes the notes spool: of a document's findings, those its problems do not tell, and the
/// note that its envelope rejects it, in byte order (a document's findings lie within it, and
/// documents come in file order, so the spool is in file order).
struct Notes {
    out: SpoolWriter,
    count: usize,
}

impl Notes {
    fn add(&mut self, o: &crate::map::Outcome, problems: &[Finding]) -> io::Result<()> {
        let told = |f: &Finding| {
            problems
                .iter()
                .any(|p| p.offset == f.offset && p.message == f.message)
        };
        let mut notes: Vec<Finding> = o
            .findings
            .iter()
            .filter(|f| !told(f))
            .cloned()
            .chain(crate::translate::rejection_note(o).filter(|f| !told(f)))
            .collect();
        notes.sort_by_key(|f| f.offset);
        for f in &notes {
            serde_json::to_writer(&mut self.out, f)?;
            self.out.write_all(b"\n")?;
            self.count += 1;
        }
        Ok(())
    }
}

/// What is said of a file that is not in its channel's format (nothing in it is applied);
/// `None` when it is, or when its format is unknown (which says so itself).
pub(super) fn wrong_format(channel: &Channel, format: Format) -> Option<Finding> {
    let expected = match channel.format {
        ChannelFormat::X12 => Format::X12,
        ChannelFormat::Edifact => Format::Edifact,
        ChannelFormat::Feed => Format::Feed,
    };
    (format != expected && format != Format::Unknown).then(|| {
        Finding::error(
            Code::WrongChannel,
            format!(
                "this is {} data, but channel {} receives {}: nothing in it is applied",
                format_name(format),
                channel.id,
                channel.format
            ),
        )
    })
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::X12 => "X12",
        Format::Edifact => "EDIFACT",
        Format::Feed => "marketplace feed",
        Format::Unknown => "unknown",
    }
}

/// A file that could not even be opened or read: one file error, nothing translated.
pub fn unreadable(message: String) -> FileResult {
    FileResult {
        format: Format::Unknown,
        profile: None,
        docs: DocSpool::default(),
        findings: vec![Finding::error(Code::UnreadableFile, message)],
        lead: Vec::new(),
        notes: 0,
        file_errors: 1,
        spools: None,
        receipts: Default::default(),
    }
}

/// The purpose of a document that names none.
pub fn default_purpose() -> String {
    purpose_name(Purpose::default())
}

pub fn purpose_name(p: Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{p:?}").to_lowercase())
}

/// The spool line of a document (its JSON, in `line`) and its dedupe hashes, serializing it
/// once.
///
/// The v2 hash, which new documents are recorded with, is of the values ([`ValueHasher`]).
/// The v1 hash, asked for when the ledger holds some (`v1`), is SHA-256 of the document's JSON
/// with a default `source`, since the source differs between two deliveries of the same
/// document (file name, offset, control numbers). Ledgers written before v2 keep these hashes,
/// so the bytes hashed must never change; the JSON is made for the spool line anyway, so v1
/// costs one SHA-256 over it. `source` is the last field of every document kind, so the JSON
/// hashed and the JSON spooled differ only in their tails.
fn spool_line_and_hash(
    doc: &mut Document,
    line: &mut Vec<u8>,
    hasher: &mut ValueHasher,
    v1: bool,
) -> io::Result<ContentHashes> {
    line.clear();
    let v1 = if v1 {
        Some(json_and_v1_hash(doc, line)?)
    } else {
        crate::model::json::write_document(line, doc).map_err(io::Error::other)?;
        None
    };
    let v2 = hasher.document(doc).map_err(io::Error::other)?;
    Ok(ContentHashes { v1, v2 })
}

/// Writes the document's JSON into the empty `line` and returns its v1 hash.
fn json_and_v1_hash(doc: &mut Document, line: &mut Vec<u8>) -> io::Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    static DEFAULT_TAIL: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let source = serde_json::to_string(&crate::model::Source::default())
            .expect("a default source serializes");
        format!("\"source\":{source}}}").into_bytes()
    });
    let source = std::mem::take(doc.source_mut());
    let written = crate::model::json::write_document(line, doc);
    *doc.source_mut() = source;
    written.map_err(io::Error::other)?;
    let v1 = Sha256::digest(&line[..]).into();
    if line.ends_with(&DEFAULT_TAIL) {
        line.truncate(line.len() - DEFAULT_TAIL.len() + b"\"source\":".len());
        crate::model::json::document::source(line, doc.source());
        line.push(b'}');
    } else {
        // Not the expected layout (a model change): serialize again, whole.
        line.clear();
        crate::model::json::write_document(line, doc).map_err(io::Error::other)?;
    }
    Ok(v1)
}

/// Why the envelope rejected an outcome's document, as findings.
pub(super) fn envelope_findings(o: &crate::map::Outcome) -> impl Iterator<Item = Finding> + '_ {
    o.envelope_reasons.iter().map(|r| {
        Finding::error(Code::EnvelopeRejected, r.to_string())
            .at_offset(o.offset)
            .with_controls(&o.controls)
    })
}

/// What a run finds wrong with a document the translation accepted: the channel's identifiers
/// and version (at the set's header), then the business rules. `tallyman check` asks the same.
pub(super) fn run_findings(
    channel: &Channel,
    doc: &Document,
    offset: usize,
    controls: &Controls,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = channel_mismatch(channel, doc)
        .into_iter()
        .map(|m| {
            let mut f = Finding::error(Code::WrongChannel, m)
                .at_offset(offset)
                .with_controls(controls);
            f.segment_position = Some(1);
            f
        })
        .collect();
    out.extend(crate::rules::findings(doc, offset, controls));
    out
}

/// Checks a translated document against its channel's identifiers and version.
fn channel_mismatch(channel: &Channel, doc: &Document) -> Vec<String> {
    let s = doc.source();
    let mut out = Vec::new();
    let lenient = channel.strictness == Strictness::Lenient;
    if let (Some(want), Some(got)) = (&channel.partner_id, &s.sender)
        && got.id.trim() != want
    {
        out.push(format!(
            "sent by '{}', but channel {} is partner '{want}': the file is in the wrong drop folder or the partner changed ids",
            got.id.trim(),
            channel.id
        ));
    }
    if let (Some(want), Some(got)) = (&channel.our_id, &s.receiver)
        && got.id.trim() != want
    {
        out.push(format!(
            "addressed to '{}', but on channel {} we are '{want}'",
            got.id.trim(),
            channel.id
        ));
    }
    // `004010` against GS08 `004010` or `004010VICS`; `D96A` against UNH `D:96A:UN:EAN008`.
    // An acknowledgment is in the version of its own syntax (a CONTRL `D:3`, a 999
    // `005010X231A1` answering 004010 documents), not in that of the channel's documents.
    let plain = |v: &str| v.replace(':', "").to_ascii_uppercase();
    if let Some(want) = &channel.version
        && !matches!(doc, Document::Acknowledgment(_))
        && !lenient
        && !s.version.is_empty()
        && !plain(&s.version).starts_with(&plain(want))
        && !plain(want).starts_with(&plain(&s.version))
    {
        out.push(format!(
            "version {} is not channel {}'s version {want}",
            s.version, channel.id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{feeds::Profiles, grammar::GrammarSet};
    use sha2::{Digest, Sha256};

    /// Ledgers keep content hashes across runs: the v1 hash must stay SHA-256 of the JSON of
    /// the document with a default source, and the v2 hash is of its values without the
    /// source; the spool line is the document's JSON, and making all three leaves the document
    /// as it was.
    #[test]
    fn spool_line_and_content_hash() {
        let grammars = GrammarSet::builtin().expect("built-in grammars load");
        let profiles = Profiles::builtin().expect("built-in feed profiles load");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut seen = 0;
        for sample in [
            "x12/850-northwind.edi",
            "x12/810-northwind.edi",
            "x12/856-northwind.edi",
        ] {
            let file = std::fs::File::open(root.join(sample)).expect("sample opens");
            let opts = Options {
                file: sample.to_owned(),
                ..Options::default()
            };
            crate::translate::translate(file, &grammars, &profiles, &opts, |o| {
                let Some(doc) = o.document.as_mut() else {
                    return Ok(());
                };
                let before = serde_json::to_vec(&*doc).expect("serializes");
                let mut bare = doc.clone();
                *bare.source_mut() = crate::model::Source::default();
                let want: [u8; 32] =
                    Sha256::digest(serde_json::to_vec(&bare).expect("serializes")).into();
                // Without v1 (a ledger that holds no v1 hash): the same line and v2.
                let mut line = b"left over".to_vec();
                let mut hasher = ValueHasher::new();
                let v2_only =
                    spool_line_and_hash(doc, &mut line, &mut hasher, false).expect("spools");
                assert_eq!(line, before, "the spool line is the document's JSON");
                assert_eq!(v2_only.v1, None);
                assert!(!v2_only.matches(&ContentHash::V1(want)));
                let mut line = b"left over".to_vec();
                let hashes =
                    spool_line_and_hash(doc, &mut line, &mut hasher, true).expect("spools");
                assert_eq!(v2_only.v2, hashes.v2);
                assert_eq!(hashes.v1, Some(want));
                // v2 is of the values, and the source is not one of them either.
                let v2 = ValueHasher::new().document(&bare).expect("hashes");
                assert_eq!(hashes.v2, v2);
                assert_ne!(Some(hashes.v2), hashes.v1);
                assert_eq!(hashes.recorded(), ContentHash::V2(v2));
                assert!(hashes.matches(&ContentHash::V1(want)));
                assert!(!hashes.matches(&ContentHash::V2(want)));
                assert!(!hashes.matches(&ContentHash::V1(v2)));
                assert_eq!(line, before, "the spool line is the document's JSON");
                assert_eq!(serde_json::to_vec(&*doc).expect("serializes"), before);
                assert_ne!(doc.source().file, "");
                seen += 1;
                Ok(())
            })
            .expect("sample translates");
        }
        assert!(seen >= 3, "{seen}");
    }
}
