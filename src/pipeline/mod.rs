//! The batch run: discover, stage, translate, route, write, commit, then archive.
//!
//! Phase: the whole of `tallyman run`. The order of its steps is what makes its promise hold
//! (every order exactly once in the ERP files, no input lost, even under `kill -9`):
//!
//! 1. take the work directory's lock; finish or roll back any run that was interrupted (this
//!    worker's, and those of workers sharing the ledger whose lease ran out);
//! 2. list each channel's drop folder, leave files that are still changing for the next run,
//!    claim the rest in the ledger (what another worker holds is left to it; at most `[run]
//!    max_files`), copy them into staging (hashing them), and recognize files received before;
//! 3. translate the files in parallel (rayon), spooling accepted documents to disk;
//! 4. route every document in input order: accepted, duplicate, conflict or rejected (files
//!    are translated in chunks, and one chunk is routed while the next is translated; each
//!    file's documents are looked up and recorded in chunks of 256 (`ROUTE_CHUNK`), and the
//!    ledger's unique constraint decides which accepted document is the first);
//! 5. write the ERP files under temporary names (each input's accepted documents right after it
//!    is routed), the acknowledgments of each input (`acks`), then the ship notices and
//!    invoices of the ERP outbox, checked against the POs just recorded ([`outbound`]), and the
//!    quarantine and run reports, durably;
//! 6. commit everything to the ledger in one transaction ([`ledger::Transaction`]): from here
//!    on the run counts (unless another worker took the run over, which makes the commit
//!    fail);
//! 7. rename the ERP files, acknowledgments and outbound documents into place, move inputs and
//!    exports to the archive or quarantine, remove them from their folders, and mark the run
//!    finished.
//!
//! A run killed before step 6 leaves nothing that counts: the next run deletes its temporary
//! files and staging and reads the same inputs again. A run killed after step 6 is completed by
//! the next run from what the ledger recorded ([`recover`]).
//!
//! ```no_run
//! let cfg = tallyman::config::Config::load(std::path::Path::new("samples/demo/tallyman.toml")).unwrap();
//! match tallyman::pipeline::run(&cfg, &tallyman::pipeline::RunOptions::default()).unwrap() {
//!     tallyman::pipeline::RunOutcome::Done(report) => eprint!("{}", report.summary()),
//!     tallyman::pipeline::RunOutcome::Locked(why) => eprintln!("{why}"),
//! }
//! ```

mod acks;
pub mod check;
mod deliver;
mod events;
mod file;
mod finish;
pub mod matching;
pub mod metrics;
pub mod outbound;
mod output;
pub mod progress;
mod remote;
pub mod report;
mod route;
pub mod settings;
mod spool;
pub mod status;
pub mod store;
pub mod work;

use crate::ledger::{
    self, Disposition, DocRow, FileRow, InterchangeRow, Ledger, Route, sqlite::SqliteLedger,
};
use crate::transport::{Fetched, Inbound, local::LocalFolder};
use file::FileResult;
use finish::complete;
use finish::recover;
use rayon::prelude::*;
use report::{Counts, DocEntry, FileEntry, RunReport};
use settings::{Channel, Config, OutputFormat};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};
use work::{Layout, crash_point};

/// A run failed as a whole (as opposed to a file or document failing, which is reported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation in the work directory or ERP inbox failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
    /// Grammars or feed profiles could not be loaded, or an option names nothing.
    #[error("{0}")]
    Setup(String),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Which quarantined files `tallyman ledger replay` runs again.
#[derive(Debug, Clone)]
pub enum Replay {
    /// Every quarantined file not replayed yet.
    All,
    /// These quarantined files, by the id `tallyman ledger quarantine` shows.
    Files(Vec<i64>),
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Translate and report, but write, move and record nothing.
    pub dry_run: bool,
    /// Only this channel.
    pub partner: Option<String>,
    /// Worker threads, overriding the configuration (0 = one per core).
    pub threads: Option<usize>,
    /// Re-run quarantined files instead of reading the drop folders.
    pub replay: Option<Replay>,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// Start a new ledger although the work directory or ERP inbox holds earlier runs' files.
    pub new_ledger: bool,
}

/// How a run ended.
#[derive(Debug)]
pub enum RunOutcome {
    /// The run did its job; the report says what became of every file and document.
    Done(Box<RunReport>),
    /// Another run holds the work directory; nothing was done. When the holder has held it
    /// too long or is gone (its `needs_attention`) the run failed at its job.
    Locked(work::Held),
}

/// One file of the batch.
struct Input<'c> {
    channel: &'c Channel,
    /// Relative to the channel's drop folder: what reports and documents call it.
    name: String,
    /// Where it is read from and removed from afterwards.
    source: Box<dyn Inbound>,
    fetch_name: String,
    /// What the listing saw (device, inode, size): the file copied must be that one.
    listed: Option<crate::transport::Entry>,
    remove_origin: bool,
    replay_of: Option<i64>,
    staged: PathBuf,
    fetched: Result<Fetched, Unread>,
    /// An earlier file with the same content.
    duplicate_of: Option<String>,
    /// A remote file that a committed run read and then could not remove (same name, same
    /// content): it is removed after this run's commit, not stored or recorded again.
    leftover: bool,
}

/// Why an input was not read.
enum Unread {
    /// Gone from its folder when it was to be read: another worker sharing the ledger read
    /// and removed it after this run listed it (its claim had ended), or someone took it
    /// away. There is nothing to read and nothing lost.
    Gone,
    /// It could not be read, for the reason given; it stays where it is for the next run.
    Failed(String),
}

/// How often a batch is tried again at once when the shared ledger rolled it back to break a
/// deadlock with another worker ([`ledger::Error::Contended`]).
const CONTENDED_RETRIES: usize = 3;

/// Runs one batch.
///
/// A batch that the shared ledger rolled back to break a deadlock with another worker is run
/// again at once (up to 3 times): the next try first rolls back what the
/// last one left, as it would after a crash, and its report says so.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunOutcome, Error> {
    let mut tries = 0;
    loop {
        match run_once(cfg, opts) {
            Err(Error::Ledger(e @ ledger::Error::Contended { .. }))
                if tries < CONTENDED_RETRIES =>
            {
                tries += 1;
                tracing::warn!(error = %e, "run rolled back by the ledger; trying again");
            }
            other => return other,
        }
    }
}

fn run_once(cfg: &Config, opts: &RunOptions) -> Result<RunOutcome, Error> {
    let clock = Instant::now();
    let started = now();
    let mut layout = Layout::for_config(cfg);
    // A dry run writes nothing: no folders, no ledger; it only waits for a real run's lock
    // when there is a work directory to lock.
    if !opts.dry_run {
        layout.create()?;
    }
    let lock = if opts.dry_run && !cfg.work.is_dir() {
        None
    } else {
        match work::lock(&cfg.work, cfg.stuck_after).map_err(io_err("taking the run lock"))? {
            Ok(l) => Some(l),
            Err(held) => return Ok(RunOutcome::Locked(held)),
        }
    };
    if let Some(p) = &opts.partner
        && cfg.channel(p).is_none()
    {
        return Err(Error::Setup(cfg.no_channel(p)));
    }
    let grammars = settings::load_grammars(cfg.grammars.as_deref())
        .map_err(|e| Error::Setup(format!("loading grammars: {e}")))?;
    // Each channel with an implementation guide validates with its own view of the grammars.
    let guided: BTreeMap<&str, crate::grammar::GrammarSet> = cfg
        .channels
        .iter()
        .filter(|c| c.guide.is_some())
        .map(|c| {
            settings::channel_grammars(&grammars, c)
                .map(|g| (c.id.as_str(), g))
                .map_err(|e| Error::Setup(format!("channel {}: guide: {e}", c.id)))
        })
        .collect::<Result<_, _>>()?;
    let profiles = settings::load_profiles(cfg.feeds.as_deref())
        .map_err(|e| Error::Setup(format!("loading feed profiles: {e}")))?;
    let mut ledger: Box<dyn Ledger> = if opts.dry_run && !cfg.ledger.exists() {
        Box::new(SqliteLedger::open_in_memory()?)
    } else {
        store::open(cfg)?
    };
    // A lost ledger beside the files of earlier runs: running on would accept every order
    // again and number runs from 1. Only the operator may decide to start a new one.
    if !opts.new_ledger && ledger.runs(1)?.is_empty() {
        let history = layout
            .history()
            .map_err(io_err("looking for earlier runs' files"))?;
        if let Some(history) = history {
            return Err(Error::Setup(format!(
                "the ledger {} holds no run, but earlier runs left files ({history}): the ledger was deleted, truncated or replaced, and without it every order would be counted again. Restore it from a backup; or, to start a new ledger knowingly (documents received before will not be recognized), run again with --new-ledger; or point [paths] work and erp_inbox at empty folders",
                cfg.ledger.describe()
            )));
        }
    }
    let threads = match opts.threads.unwrap_or(cfg.threads) {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let mut report = RunReport {
        run: None,
        dry_run: opts.dry_run,
        started,
        finished: String::new(),
        duration_ms: 0,
        threads,
        bytes: 0,
        totals: Counts::default(),
        channels: Default::default(),
        outputs: Vec::new(),
        still_arriving: Vec::new(),
        recovered: Vec::new(),
        recovered_quarantined: Vec::new(),
        channel_errors: Vec::new(),
        files: Vec::new(),
        outbound: Default::default(),
        delivered: Vec::new(),
        exit: 0,
        channel_order: Vec::new(),
    };
    report
        .recovered
        .extend(lock.as_ref().and_then(work::Lock::taken_over));
    let remotes = remote::Remotes::new(cfg);
    if !opts.dry_run {
        let recovered = recover(&layout, &mut *ledger, &remotes)?;
        report.recovered.extend(recovered.notes);
        report.recovered_quarantined = recovered.quarantined;
    }
    let run = if opts.dry_run {
        None
    } else {
        Some(ledger.begin_run(&report.started)?)
    };
    if let Some(r) = run {
        layout.set_run(r, &report.started);
    }
    let layout = layout;
    report.run = run;
    tracing::info!(
        run,
        dry_run = opts.dry_run,
        threads,
        config = cfg.file.as_str(),
        partner = opts.partner.as_deref(),
        replay = opts.replay.is_some(),
        "run started"
    );
    report.channel_order = cfg.channels.iter().map(|c| c.id.clone()).collect();
    let staging = match run {
        Some(r) => layout.staging(r),
        None => work::private_temp_dir("tallyman-dry-run")
            .map_err(io_err("creating the dry run's staging"))?,
    };

    let mut inputs = discover(cfg, opts, &*ledger, &staging, &remotes, &mut report)?;
    if let Some(r) = run {
        claim(&mut *ledger, r, &mut inputs, cfg.max_files)?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Setup(format!("starting {threads} worker threads: {e}")))?;
    stage(
        &mut inputs,
        &*ledger,
        opts.replay.is_some(),
        cfg.file_mode,
        &pool,
    )?;

    // Translate a chunk of files in parallel, then route and record them in input order (the
    // ledger's open transaction sees what earlier chunks accepted), so that memory holds a few
    // chunks' file results, not the batch's (their documents wait on disk: `file.rs`).
    let spools = staging.join("spool");
    std::fs::create_dir_all(&spools).map_err(io_err("creating the spool folder"))?;
    let bar = progress::Bar::new(opts.progress, inputs.len());
    // Asked once, before the run writes: a ledger without v1 hashes never gains one
    // (`Ledger::holds_v1_hashes`).
    let v1_hashes = ledger.holds_v1_hashes()?;
    let mut tx = ledger::Transaction::begin(&mut *ledger, run.unwrap_or(0))?;
    // A dry run records into a run of its own inside the transaction, rolled back at the end.
    let ledger_run = match run {
        Some(r) => r,
        None => tx.begin_run(&report.started)?,
    };
    let started_at = report.started.clone();
    let mut rec = Recorder {
        layout: &layout,
        run,
        ledger_run,
        ledger: &mut *tx,
        report: &mut report,
        files: Vec::new(),
        stored_names: HashSet::new(),
        // A dry run writes no ERP files.
        outputs: Some(output::Writer::new(
            &layout,
            run.unwrap_or(0),
            cfg,
            run.is_none(),
        )),
        acks: acks::AckWriter::new(&layout, run.is_none(), &started_at),
        sent: Vec::new(),
        acks_received: Vec::new(),
    };
    // Chunk c + 1 is translated while the main thread routes chunk c: a producer thread hands
    // chunks through a one-slot channel, so at most three chunks' results are in memory. Their
    // spools stay in memory within the budget (given back as each file is routed) and go to
    // disk past it.
    let chunk = (threads * 16).max(16);
    let budget = spool::Budget::new(cfg.spool_memory);
    let translate_chunk = |c: usize, part: &[Input<'_>]| -> io::Result<Vec<Option<FileResult>>> {
        pool.install(|| {
            part.par_iter()
                .enumerate()
                .map(|(i, inp)| {
                    let n = c * chunk + i;
                    let r = translate_one(
                        inp,
                        &spools.join(format!("{n:06}.jsonl")),
                        &budget,
                        guided.get(inp.channel.id.as_str()).unwrap_or(&grammars),
                        &profiles,
                        cfg,
                        v1_hashes,
                    );
                    bar.inc(1);
                    crash_point("translated");
                    r
                })
                .collect()
        })
    };
    std::thread::scope(|scope| -> Result<(), Error> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let inputs = &inputs;
        let producer = scope.spawn(move || {
            for (c, part) in inputs.chunks(chunk).enumerate() {
                let results = translate_chunk(c, part);
                let failed = results.is_err();
                // The receiver is gone when routing failed: stop translating.
                if tx.send((part, results)).is_err() || failed {
                    break;
                }
            }
        });
        for (part, results) in rx {
            // An I/O error here is our own disk's (staging, spools), never the input's fault:
            // it stops the run rather than quarantining a good file.
            let results = results.map_err(io_err("translating staged files"))?;
            for (inp, result) in part.iter().zip(results) {
                rec.file(inp, result)?;
            }
            crash_point("routed");
        }
        // A panic in the pool (outside a file's own guard) goes on with its own message, not
        // the scope's "a scoped thread panicked".
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        Ok(())
    })?;
    bar.finish();
    // Ship notices and invoices from the ERP, once this run's purchase orders are known. A run
    // for one partner or a replay leaves the outbox for a full run.
    let outbound = if opts.partner.is_none() && opts.replay.is_none() {
        outbound::send(
            cfg,
            &layout,
            &staging,
            run,
            ledger_run,
            &started_at,
            &mut rec.acks.delivery,
            &mut *rec.ledger,
            &mut *rec.report,
        )?
    } else {
        outbound::Done::default()
    };
    matching::report(
        cfg,
        &*rec.ledger,
        &rec.acks_received,
        &mut rec.report.outbound,
    )?;
    // The outbound folders' entries are made durable before the commit says they were sent.
    rec.acks.delivery.sync()?;
    let Recorder {
        mut files,
        outputs,
        sent,
        ..
    } = rec;
    files.extend(outbound.files);

    let Some(run) = run else {
        // A dry run stops here: nothing written, moved, recorded or delivered.
        tx.rollback()?;
        remotes.close();
        work::remove_tree(&staging).map_err(io_err("removing the dry run's staging"))?;
        let report = finish_report(report, clock);
        events::finished(&report);
        return Ok(RunOutcome::Done(Box::new(report)));
    };
    let outputs = outputs
        .expect("a run that is not dry has its ERP files")
        .finish()
        .map_err(io_err("writing ERP import files"))?;
    for o in &outputs {
        tx.add_output(run, o)?;
    }
    report.outputs = outputs
        .iter()
        .map(|o| report::OutputEntry {
            path: o.path.clone(),
            documents: o.documents,
        })
        .collect();
    let report = finish_report(report, clock);
    let json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Setup(e.to_string()))?;
    work::write_atomic(&layout.report(layout.tag()), &json, cfg.file_mode)
        .map_err(io_err("writing the run report"))?;
    crash_point("before commit");
    if let Err(e) = tx.commit() {
        if let ledger::Error::Lost { .. } = e {
            // The worker that took the run over removed what it found of it; what was
            // written since is removed here. The staged inputs go with the next run's sweep.
            for t in layout.temp_outputs(layout.tag()).unwrap_or_default() {
                let _ = std::fs::remove_file(t);
            }
        }
        return Err(e.into());
    }
    crash_point("committed");
    let missing = complete(
        run,
        &files,
        &outputs,
        &sent,
        &outbound.sent,
        &mut *ledger,
        &remotes,
    )?;
    let mut report = report;
    report.recovered.extend(missing);
    // Documents for partners' SFTP folders, now that the ledger says they were sent (and
    // those an earlier run could not deliver).
    let delivered = remotes.deliver(&layout, opts.partner.as_deref());
    remotes.close();
    let not_removed = remotes.not_removed();
    if !delivered.is_empty() || !not_removed.is_empty() {
        report.channel_errors.extend(not_removed);
        for d in delivered {
            report.channel_errors.extend(
                d.problems
                    .iter()
                    .map(|p| format!("channel {}: {p}", d.channel)),
            );
            if !d.files.is_empty() {
                report.delivered.push(report::DeliveredEntry {
                    channel: d.channel,
                    to: d.to,
                    files: d.files,
                });
            }
        }
        report.exit = report.exit_code();
        let json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Setup(e.to_string()))?;
        work::replace_atomic(&layout.report(layout.tag()), &json, cfg.file_mode)
            .map_err(io_err("completing the run report"))?;
    }
    work::remove_tree(&staging).map_err(io_err("removing staging"))?;
    crash_point("finished");
    events::finished(&report);
    Ok(RunOutcome::Done(Box::new(report)))
}

/// Routes and records the files of a run one by one, in input order.
struct Recorder<'a> {
    layout: &'a Layout,
    run: Option<i64>,
    /// The run the ledger records under (a throwaway one for a dry run).
    ledger_run: i64,
    ledger: &'a mut dyn Ledger,
    report: &'a mut RunReport,
    /// What the run recorded of each stored input, for completing the run.
    files: Vec<FileRow>,
    stored_names: HashSet<PathBuf>,
    /// The ERP files, to which each input's accepted documents are added once it is routed.
    outputs: Option<output::Writer<'a>>,
    /// The acknowledgments, written for each input once it is routed.
    acks: acks::AckWriter<'a>,
    /// Every acknowledgment written, for completing the run.
    sent: Vec<ledger::AckRow>,
    /// The partners' acknowledgments accepted in this run: channel, identity, JSON.
    acks_received: Vec<(String, String, String)>,
}

impl Recorder<'_> {
    fn file(&mut self, inp: &Input<'_>, result: Option<FileResult>) -> Result<(), Error> {
        let (layout, run) = (self.layout, self.run);
        let report = &mut *self.report;
        let ledger = &mut *self.ledger;
        let stored_names = &mut self.stored_names;
        let ledger_run = self.ledger_run;
        let ch = report.channels.entry(inp.channel.id.clone()).or_default();
        let (size, sha) = match &inp.fetched {
            Ok(f) => (f.size, f.sha256.clone()),
            Err(Unread::Gone) => {
                tracing::info!(
                    channel = inp.channel.id.as_str(),
                    file = inp.name.as_str(),
                    "file gone before it was read (another worker read it, or it was taken away)"
                );
                return Ok(());
            }
            Err(Unread::Failed(e)) => {
                // Unreadable where it lies: it stays there for the next run, and says why.
                tracing::info!(
                    channel = inp.channel.id.as_str(),
                    file = inp.name.as_str(),
                    problem = e.as_str(),
                    "file left where it is"
                );
                report
                    .channel_errors
                    .push(format!("channel {}: {e}", inp.channel.id));
                return Ok(());
            }
        };
        ch.files += 1;
        ch.bytes += size;
        report.bytes += size;
        let mut entry = FileEntry {
            channel: inp.channel.id.clone(),
            name: inp.name.clone(),
            format: String::new(),
            profile: None,
            bytes: size,
            sha256: sha.clone(),
            disposition: Disposition::Archived,
            stored: None,
            duplicate_of: inp.duplicate_of.clone(),
            replay_of: inp.replay_of,
            documents: Counts::default(),
            file_problems: Vec::new(),
            file_problems_not_listed: 0,
            first_file_error: None,
            documents_not_accepted: Vec::new(),
            documents_not_listed: 0,
            first_document_error: None,
            acks: Vec::new(),
        };
        let Some(mut result) = result else {
            // A file received before: nothing translated, nothing applied.
            entry.disposition = Disposition::DuplicateFile;
            entry.format = "duplicate".into();
            ch.duplicate_files += 1;
            if !inp.channel.keep_inputs {
                // A copy is kept, unless it is the very file an earlier run stored already
                // and could not remove from its server: then it is only removed.
                if !inp.leftover {
                    let stored = stored_path(layout, run, inp, false, stored_names);
                    entry.stored = Some(stored.display().to_string());
                }
                let row = file_row(inp, &entry, &sha, size);
                ledger.add_file(ledger_run, &row)?;
                self.files.push(row);
            }
            events::file(&entry, run.is_none());
            report.files.push(entry);
            return Ok(());
        };
        entry.format = result.format.as_str().to_owned();
        entry.profile = result.profile.clone();
        // The file is recorded first (where it goes is set once its documents are routed), and
        // each document right after it is routed, so that routing the next one sees it: nothing
        // per document is held here but the documents that need explaining.
        let id = ledger.add_file(ledger_run, &file_row(inp, &entry, &sha, size))?;
        let mut router =
            route::Router::new(&inp.channel.id, &inp.name, inp.channel.relax_envelope, id);
        router.dry_run = run.is_none().then_some(self.ledger_run);
        let mut spool = output::SpoolCursor::new(result.spools());
        // (offset, hash of the message) of every problem told at a document.
        let mut problems_at_documents = HashSet::new();
        let mut listed = report::ReportSpool::new(&inp.staged);
        let mut last_interchange = None;
        let docs = result
            .documents()
            .map_err(io_err("reading translated documents back"))?;
        let mut docs = docs.peekable();
        let mut chunk = Vec::with_capacity(ROUTE_CHUNK);
        while docs.peek().is_some() {
            chunk.clear();
            for d in docs.by_ref().take(ROUTE_CHUNK) {
                chunk.push(d.map_err(io_err("reading translated documents back"))?);
            }
            // Routed and recorded before anything else is done with them: the ledger's unique
            // constraint decides which accepted document is the first.
            let decisions = route_chunk(&mut router, &chunk, &mut *ledger, ledger_run, id, inp)?;
            for (d, dec) in chunk.drain(..).zip(decisions) {
                let kind = d.kind.unwrap_or("unknown");
                tracing::info!(
                    channel = inp.channel.id.as_str(),
                    file = inp.name.as_str(),
                    offset = d.offset,
                    set = d.set_id.as_str(),
                    controls = d.controls.to_string().as_str(),
                    kind,
                    number = d.number.as_deref(),
                    route = if d.not_mapped {
                        "not_translated"
                    } else {
                        dec.route.as_str()
                    },
                    reason = dec
                        .reason
                        .as_ref()
                        .or_else(|| d.problems.iter().find(|p| p.is_error()))
                        .map(|f| f.message.as_str()),
                    "document"
                );
                entry.documents.add(dec.route, d.not_mapped);
                ch.documents
                    .entry(kind.to_owned())
                    .or_default()
                    .add(dec.route, d.not_mapped);
                report.totals.add(dec.route, d.not_mapped);
                // A partner's acknowledgment is recorded in the ledger, not sent to the ERP.
                if let (Some(i), Route::Accepted, Some(o)) =
                    (d.spool_line, dec.route, &mut self.outputs)
                    && kind != "acknowledgment"
                {
                    o.copy(inp, &mut spool, i, kind)
                        .map_err(io_err("writing ERP import files"))?;
                    // A partner we send ship notices and invoices to: its PO is their contract.
                    if kind == "order" && inp.channel.send.is_some() {
                        outbound::record_po(ledger, ledger_run, &inp.channel.id, o.last_line())?;
                    }
                }
                if let (Route::Accepted, Some(ack), Some(number)) =
                    (dec.route, &d.acknowledgment, &d.number)
                {
                    ledger.add_received_ack(
                        ledger_run,
                        id,
                        &inp.channel.id,
                        number,
                        ack.trim_end(),
                    )?;
                    self.acks_received.push((
                        inp.channel.id.clone(),
                        number.clone(),
                        ack.trim_end().to_owned(),
                    ));
                }
                // A repeat is ignored by the ledger; the documents of one interchange come together.
                if let Some(ic) = &d.interchange
                    && dec.route != Route::Rejected
                    && last_interchange.as_ref() != Some(ic)
                {
                    ledger.add_interchange(
                        ledger_run,
                        id,
                        &InterchangeRow {
                            file: 0,
                            sender: ic.0.clone(),
                            receiver: ic.1.clone(),
                            control: ic.2.clone(),
                        },
                    )?;
                    last_interchange = Some(ic.clone());
                }
                if dec.route != Route::Accepted {
                    let mut problems = d.problems;
                    problems.extend(dec.reason);
                    problems_at_documents.extend(
                        problems
                            .iter()
                            .map(|p| (p.offset, crate::syntax::hash_str(&p.message))),
                    );
                    if entry.first_document_error.is_none() {
                        entry.first_document_error = problems
                            .iter()
                            .find(|p| p.is_error())
                            .map(|p| p.message.clone());
                    }
                    let doc = DocEntry {
                        offset: d.offset,
                        set: d.set_id,
                        controls: if d.controls.is_empty() {
                            String::new()
                        } else {
                            d.controls.to_string()
                        },
                        kind: d.kind,
                        number: d.number,
                        purpose: d.purpose,
                        route: if d.not_mapped {
                            "not_translated"
                        } else {
                            dec.route.as_str()
                        },
                        items: d.items,
                        problems,
                    };
                    listed
                        .document(&inp.name, &doc)
                        .map_err(io_err("spooling the documents not accepted"))?;
                    report::list_or_count(
                        &mut entry.documents_not_accepted,
                        &mut entry.documents_not_listed,
                        doc,
                    );
                }
            }
        }
        // Findings not already told at a document: envelope errors around nothing, unreadable
        // bytes, warnings.
        let findings = result
            .file_findings()
            .map_err(io_err("reading findings back"))?;
        for f in findings {
            let f = f.map_err(io_err("reading findings back"))?;
            let told = (f.offset, crate::syntax::hash_str(&f.message));
            if problems_at_documents.contains(&told) {
                continue;
            }
            if f.is_error() && entry.first_file_error.is_none() {
                entry.first_file_error = Some(f.message.clone());
            }
            listed
                .problem(&inp.name, &f)
                .map_err(io_err("spooling the file's problems"))?;
            report::list_or_count(
                &mut entry.file_problems,
                &mut entry.file_problems_not_listed,
                f,
            );
        }
        // Routed: a repeated interchange is known now, and its acknowledgment can say so.
        let sent = self
            .acks
            .send(inp, id, &result.receipts, &mut *ledger, ledger_run)?;
        ch.acks_sent += sent.rows.len() as u64;
        ch.acks_rejecting += sent.rows.iter().filter(|a| a.verdict != "accepted").count() as u64;
        report.channel_errors.extend(sent.errors);
        self.sent.extend(sent.rows.iter().cloned());
        entry.acks = sent.rows;
        let quarantined =
            result.file_errors > 0 || entry.documents.rejected > 0 || entry.documents.conflict > 0;
        if quarantined {
            entry.disposition = Disposition::Quarantined;
            ch.quarantined_files += 1;
        } else {
            // An archived file's report keeps only what is worth reading: warnings and
            // duplicates, not the accepted documents.
            entry
                .documents_not_accepted
                .retain(|d| d.route != "accepted");
        }
        if run.is_some() {
            let stored = stored_path(layout, run, inp, quarantined, stored_names);
            entry.stored = Some(stored.display().to_string());
        }
        if quarantined && run.is_some() {
            let mode = layout.file_mode;
            work::write_atomic_with(&with_suffix(&inp.staged, ".report.json"), mode, |w| {
                listed.write_json(&entry, w)
            })
            .map_err(io_err("writing a quarantine report"))?;
            work::write_atomic_with(&with_suffix(&inp.staged, ".report.txt"), mode, |w| {
                listed.write_text(&entry, run, w)
            })
            .map_err(io_err("writing a quarantine report"))?;
        }
        listed.remove();
        let row = file_row(inp, &entry, &sha, size);
        ledger.set_file_outcome(id, row.disposition, &row.stored)?;
        self.files.push(row);
        // Its documents are in the ERP files now: the spools' disk space is given back early
        // (staging goes at the end of the run anyway, so a failure here changes nothing).
        drop(spool);
        result.remove_spools();
        events::file(&entry, run.is_none());
        report.files.push(entry);
        Ok(())
    }
}

fn finish_report(mut report: RunReport, clock: Instant) -> RunReport {
    report.finished = now();
    report.duration_ms = clock.elapsed().as_millis() as u64;
    report.exit = report.exit_code();
    report
}

fn file_row(inp: &Input<'_>, entry: &FileEntry, sha: &str, size: u64) -> FileRow {
    FileRow {
        channel: inp.channel.id.clone(),
        name: inp.name.clone(),
        sha256: sha.to_owned(),
        size,
        disposition: entry.disposition,
        staged: inp.staged.display().to_string(),
        stored: entry.stored.clone().unwrap_or_default(),
        origin: inp.source.origin(&inp.fetch_name),
        remove_origin: inp.remove_origin,
        replay_of: inp.replay_of,
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// What is added to a stored or staged input's name: `~N` for a second file of the same name,
/// the quarantine reports' suffix, and the dot and suffix of a temporary copy (the report
/// spools' suffixes beside a staged file, `.not-accepted.jsonl` the longest, fit in it too).
const RESERVED: usize = "~99.report.json".len() + ".copy.tmp".len();
const _: () = assert!(".not-accepted.jsonl".len() <= RESERVED);

/// The name with its last component shortened, when needed, so that `reserve` more bytes still
/// fit in a file name (255 bytes): cut at a character boundary, with a hash of the whole name
/// so that two long names stay apart.
fn fit_name(name: &str, reserve: usize) -> String {
    const MAX: usize = 255;
    let (dir, last) = name.rsplit_once('/').map_or(("", name), |(d, l)| (d, l));
    if last.len() + reserve <= MAX {
        return name.to_owned();
    }
    let hash = &crate::transport::sha256_bytes(name.as_bytes())[..12];
    let mut cut = MAX - reserve - hash.len() - 1;
    while !last.is_char_boundary(cut) {
        cut -= 1;
    }
    let short = format!("{}~{hash}", &last[..cut]);
    if dir.is_empty() {
        short
    } else {
        format!("{dir}/{short}")
    }
}

/// Where an input goes after the commit: `archive|quarantine/run-N/CHANNEL/NAME`, with `~2`...
/// added when the same name comes twice in one run (a replay and a new delivery).
fn stored_path(
    layout: &Layout,
    run: Option<i64>,
    inp: &Input<'_>,
    quarantined: bool,
    taken: &mut HashSet<PathBuf>,
) -> PathBuf {
    let tag = if run.is_some() {
        layout.tag()
    } else {
        "dry-run"
    };
    let base = if quarantined {
        layout.quarantine(tag)
    } else {
        layout.archive(tag)
    }
    .join(&inp.channel.id);
    // The reports beside a quarantined file and a `~N` must still fit in a file name.
    let first = crate::transport::join_name(&base, &fit_name(&inp.name, RESERVED));
    let mut p = first.clone();
    let mut n = 2;
    while !taken.insert(p.clone()) {
        p = with_suffix(&first, &format!("~{n}"));
        n += 1;
    }
    p
}

/// Lists the drop folders (or the quarantined files to replay) and decides what this run reads.
fn discover<'c>(
    cfg: &'c Config,
    opts: &RunOptions,
    ledger: &dyn Ledger,
    staging: &Path,
    remotes: &remote::Remotes<'_>,
    report: &mut RunReport,
) -> Result<Vec<Input<'c>>, Error> {
    let mut inputs = Vec::new();
    let staged_name = |channel: &str, name: &str, n: usize| {
        let base = name.rsplit('/').next().unwrap_or(name);
        // `NNNNNN-` before, the quarantine reports' suffixes after: all within 255 bytes.
        let base = fit_name(base, "000000-".len() + RESERVED);
        staging
            .join("files")
            .join(channel)
            .join(format!("{n:06}-{base}"))
    };
    if let Some(replay) = &opts.replay {
        for q in ledger.quarantined_files()? {
            if let Replay::Files(ids) = replay
                && !ids.contains(&q.id)
            {
                continue;
            }
            // An ERP export is not replayed; `--all` passes over them, a named one says why.
            if q.channel == outbound::OUTBOX && matches!(replay, Replay::All) {
                continue;
            }
            if q.channel == outbound::OUTBOX {
                report.channel_errors.push(format!(
                    "ERP export {} (id {}) is not replayed: what was sent from it stays sent, and its held documents are sent once they are fixed in the ERP and exported again (see its report, {}.report.txt)",
                    q.name, q.id, q.stored
                ));
                continue;
            }
            let Some(channel) = cfg.channel(&q.channel) else {
                report.channel_errors.push(format!(
                    "quarantined file {} (id {}) belongs to channel {}, which is no longer configured",
                    q.name, q.id, q.channel
                ));
                continue;
            };
            if opts.partner.as_ref().is_some_and(|p| *p != channel.id) {
                continue;
            }
            let stored = PathBuf::from(&q.stored);
            let dir = stored.parent().unwrap_or(Path::new("/")).to_owned();
            let fetch_name = stored
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            inputs.push(Input {
                channel,
                staged: staged_name(&channel.id, &q.name, inputs.len()),
                name: q.name,
                source: Box::new(LocalFolder::new(dir)),
                fetch_name,
                remove_origin: true,
                replay_of: Some(q.id),
                listed: None,
                fetched: Err(Unread::Failed(String::new())),
                duplicate_of: None,
                leftover: false,
            });
        }
        return Ok(inputs);
    }
    for channel in &cfg.channels {
        if opts.partner.as_ref().is_some_and(|p| *p != channel.id) {
            continue;
        }
        let source = || -> Box<dyn Inbound> {
            match remotes.inbound(channel) {
                Some(remote) => Box::new(remote),
                None => Box::new(LocalFolder::new(&channel.inbound)),
            }
        };
        let listing = match source().list() {
            Ok(l) => l,
            Err(e) => {
                report.channel_errors.push(format!(
                    "channel {}: cannot list {}: {e}",
                    channel.id,
                    source().describe()
                ));
                continue;
            }
        };
        tracing::debug!(
            channel = channel.id.as_str(),
            from = source().describe().as_str(),
            files = listing.entries.len(),
            problems = listing.problems.len(),
            "listed the drop folder"
        );
        for p in listing.problems {
            report
                .channel_errors
                .push(format!("channel {}: {p}", channel.id));
        }
        for entry in settled(
            &*source(),
            listing.entries,
            cfg.settle_seconds,
            &mut report.still_arriving,
            &channel.id,
        ) {
            inputs.push(Input {
                channel,
                staged: staged_name(&channel.id, &entry.name, inputs.len()),
                fetch_name: entry.name.clone(),
                name: entry.name.clone(),
                source: source(),
                remove_origin: !channel.keep_inputs,
                replay_of: None,
                listed: Some(entry),
                fetched: Err(Unread::Failed(String::new())),
                duplicate_of: None,
                leftover: false,
            });
        }
    }
    Ok(inputs)
}

/// Drops files modified within the settle window whose size or time changes while we watch.
fn settled(
    source: &dyn Inbound,
    entries: Vec<crate::transport::Entry>,
    settle_seconds: f64,
    still_arriving: &mut Vec<String>,
    channel: &str,
) -> Vec<crate::transport::Entry> {
    let window = Duration::from_secs_f64(settle_seconds);
    let now = SystemTime::now();
    // A server's clock is not ours (behind, or local time given as UTC): every remote file is
    // watched for the whole window, whatever its time says.
    let remote = source.pool().is_some();
    let young = |e: &crate::transport::Entry| {
        remote
            || now
                .duration_since(e.modified)
                .map_or(true, |age| age < window)
    };
    let wait = entries
        .iter()
        .filter(|e| young(e))
        .map(|e| {
            if remote {
                window
            } else {
                window.saturating_sub(now.duration_since(e.modified).unwrap_or_default())
            }
        })
        .max();
    if let Some(wait) = wait {
        std::thread::sleep(wait);
    }
    let mut out = Vec::new();
    for e in entries {
        if young(&e) {
            match source.stat(&e.name) {
                Ok(Some((size, modified))) if size == e.size && modified == e.modified => {}
                _ => {
                    tracing::info!(
                        channel,
                        file = e.name.as_str(),
                        "file still arriving: left for the next run"
                    );
                    still_arriving.push(format!("{channel}/{}", e.name));
                    continue;
                }
            }
        }
        out.push(e);
    }
    out
}

/// How many documents of a file are routed and recorded together: one lookup of what the
/// ledger accepted of their identities and one insert of their rows, instead of one each per
/// document (round trips to a database server).
const ROUTE_CHUNK: usize = 256;

/// Routes and records a chunk of a file's documents, in order: first as new ([`route_as_new`]),
/// then, when the ledger refuses that, after one lookup of the chunk's identities. When another
/// worker sharing the ledger accepted one of them after the lookup, nothing of the chunk is
/// recorded and it is routed and recorded again one document at a time, each against the
/// ledger itself.
fn route_chunk(
    router: &mut route::Router<'_>,
    chunk: &[file::DocResult],
    ledger: &mut dyn Ledger,
    run: i64,
    file: i64,
    inp: &Input<'_>,
) -> Result<Vec<route::Decision>, Error> {
    let mut keys: Vec<ledger::DocKey> = chunk.iter().filter_map(|d| router.key(d)).collect();
    keys.sort();
    keys.dedup();
    if let Some((decisions, rows)) = route_as_new(router, chunk, &keys, &*ledger, inp)?
        && ledger.add_documents(run, file, &rows)?
    {
        return Ok(decisions);
    }
    let found = ledger.accepted_documents(&keys)?;
    let mut known: route::Known = keys.into_iter().zip(found).collect();
    let mut decisions = Vec::with_capacity(chunk.len());
    let mut rows = Vec::new();
    for d in chunk {
        let dec = router.route_known(d, &*ledger, Some(&mut known))?;
        rows.extend(doc_row(inp, d, &dec));
        decisions.push(dec);
    }
    if ledger.add_documents(run, file, &rows)? {
        return Ok(decisions);
    }
    decisions.clear();
    for d in chunk {
        let mut dec = router.route(d, &*ledger)?;
        if let Some(row) = doc_row(inp, d, &dec)
            && !ledger.add_document(run, file, &row)?
        {
            // Accepted by another worker after the lookup above: a duplicate or a conflict
            // of that one.
            dec = router.route(d, &*ledger)?;
            let again = doc_row(inp, d, &dec).expect("a document routed twice has a kind");
            if !ledger.add_document(run, file, &again)? {
                return Err(Error::Ledger(ledger::Error::Corrupt(format!(
                    "{} at byte {} of {} was refused as accepted twice, and no accepted document of its identity is found",
                    again.key, d.offset, inp.name
                ))));
            }
        }
        decisions.push(dec);
    }
    Ok(decisions)
}

/// A chunk's decisions, and the ledger rows they make.
type RoutedChunk = (Vec<route::Decision>, Vec<DocRow>);

/// Routes a chunk as if the ledger had accepted none of its documents' identities, which is
/// what most chunks find when they look (a partner's new orders), and spares the lookup. That
/// routing holds when the ledger records it: had the ledger accepted one of the identities,
/// its unique index refuses the chunk's accepted row of it, nothing of the chunk is recorded,
/// and the chunk is looked up and routed again. `None` when a document of the chunk was not
/// accepted on that assumption (its interchange was received before), since it could be a
/// duplicate once its identity is looked up: such a chunk is looked up first.
fn route_as_new(
    router: &mut route::Router<'_>,
    chunk: &[file::DocResult],
    keys: &[ledger::DocKey],
    ledger: &dyn Ledger,
    inp: &Input<'_>,
) -> Result<Option<RoutedChunk>, Error> {
    let mut known: route::Known = keys.iter().map(|k| (k.clone(), None)).collect();
    let mut decisions = Vec::with_capacity(chunk.len());
    let mut rows = Vec::with_capacity(chunk.len());
    for d in chunk {
        let dec = router.route_known(d, ledger, Some(&mut known))?;
        if d.candidate && dec.route == Route::Rejected {
            return Ok(None);
        }
        rows.extend(doc_row(inp, d, &dec));
        decisions.push(dec);
    }
    Ok(Some((decisions, rows)))
}

/// The ledger's row for a routed document; `None` for what has no identity to record (a
/// rejected document without a number, or without a kind).
fn doc_row(inp: &Input<'_>, d: &file::DocResult, dec: &route::Decision) -> Option<DocRow> {
    let kind = d
        .kind
        .filter(|_| dec.route != Route::Rejected || d.number.is_some())?;
    Some(DocRow {
        file: 0,
        key: ledger::DocKey {
            channel: inp.channel.id.clone(),
            kind: kind.to_owned(),
            number: d.number.clone().unwrap_or_default(),
            purpose: d.purpose.clone().unwrap_or_else(file::default_purpose),
        },
        content_hash: d
            .content_hash
            .map(|h| h.recorded().to_string())
            .unwrap_or_default(),
        route: dec.route,
        offset: d.offset,
        controls: d.controls.to_string(),
        reason: dec.reason.as_ref().map(|f| f.message.clone()).or_else(|| {
            d.problems
                .iter()
                .find(|p| p.is_error())
                .map(|p| p.message.clone())
        }),
    })
}

/// Claims the inputs in the ledger before they are read, so that workers sharing the ledger
/// never read the same file: those another worker's run holds are left to it. A replayed
/// quarantined file is claimed by its id, so that two workers never replay it both. With
/// `max` (`[run] max_files`, 0 for no limit), at most that many are claimed, in input order,
/// and the rest are left for the next run or another worker.
fn claim(
    ledger: &mut dyn Ledger,
    run: i64,
    inputs: &mut Vec<Input<'_>>,
    max: usize,
) -> Result<(), Error> {
    let names: Vec<String> = inputs
        .iter()
        .map(|inp| match inp.replay_of {
            Some(id) => format!("replay of file {id}"),
            None => inp.name.clone(),
        })
        .collect();
    let max = if max == 0 { usize::MAX } else { max };
    let mut mine = vec![false; inputs.len()];
    let (mut got, mut next) = (0usize, 0usize);
    // In slices of what is still wanted: the ledger commits each slice's claims at once.
    while got < max && next < inputs.len() {
        let end = next + (max - got).min(inputs.len() - next);
        let wanted: Vec<(&str, &str)> = (next..end)
            .map(|i| (inputs[i].channel.id.as_str(), names[i].as_str()))
            .collect();
        for (k, holder) in ledger.claim(run, &wanted)?.into_iter().enumerate() {
            let inp = &inputs[next + k];
            match holder {
                None => {
                    mine[next + k] = true;
                    got += 1;
                }
                Some(holder) => tracing::info!(
                    channel = inp.channel.id.as_str(),
                    file = inp.name.as_str(),
                    worker = holder.as_str(),
                    "left to the worker reading it"
                ),
            }
        }
        next = end;
    }
    if next < inputs.len() {
        tracing::info!(
            files = inputs.len() - next,
            max_files = max,
            "inputs left for the next run ([run] max_files)"
        );
    }
    let mut mine = mine.into_iter();
    inputs.retain(|_| mine.next().unwrap_or(false));
    Ok(())
}

/// How many local inputs are copied into staging at once, at least: a copy is short and ends
/// in an fsync, which waits for the disk rather than the CPU. With the CPU pool's two threads,
/// copying a thousand files of 100 KiB kept the CPU 58% busy.
const LOCAL_STAGING: usize = 8;

/// Copies the inputs into staging, hashing them (in parallel), then, in input order, marks the
/// files received before (same channel and checksum, in this run or an earlier one).
fn stage(
    inputs: &mut [Input<'_>],
    ledger: &dyn Ledger,
    replay: bool,
    mode: u32,
    pool: &rayon::ThreadPool,
) -> Result<(), Error> {
    let fetch = |inp: &Input<'_>| {
        // A panic while copying one file (a bug of ours) leaves that file where it is, says
        // so, and the others are staged: unguarded, it ended the run at the same file every
        // time. The copy writes only its own staged file, removed with staging; an SFTP
        // connection it held is dropped and its slot given back (`sftp::Server::with`).
        let copied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let r = inp
                .source
                .fetch(&inp.fetch_name, inp.listed.as_ref(), &inp.staged, mode);
            crash_point("staged");
            r
        }));
        let origin = || inp.source.origin(&inp.fetch_name);
        match copied {
            Ok(r) => r.map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Unread::Gone,
                _ => Unread::Failed(format!(
                    "{} is not read: {e}; it is left where it is",
                    origin()
                )),
            }),
            Err(panic) => Err(Unread::Failed(format!(
                "{} is not read: tallyman failed while copying it (an internal error: {}); this \
                 is a bug in tallyman, not in the file. It is left where it is and the next run \
                 tries it again; report it with this message",
                origin(),
                crate::diag::panic_text(panic.as_ref())
            ))),
        }
    };
    // Each copy ends waiting for its fsync, and downloads wait on the network: both run on
    // threads of their own, not on the CPU pool. Local copies take `LOCAL_STAGING` threads
    // at least (concurrent fsyncs share the file system's journal commits), downloads at most
    // the server's connection count at once per server.
    // Per queue: how many threads at most, the inputs, and the next input to take.
    let mut queues: BTreeMap<Option<String>, (usize, Vec<usize>, AtomicUsize)> = Default::default();
    let local = LOCAL_STAGING.max(pool.current_num_threads());
    for (i, inp) in inputs.iter().enumerate() {
        let (server, max) = match inp.source.pool() {
            Some((server, max)) => (Some(server), max),
            None => (None, local),
        };
        let queue = queues
            .entry(server)
            .or_insert((max, Vec::new(), AtomicUsize::new(0)));
        queue.1.push(i);
    }
    let done = std::sync::Mutex::new(Vec::<(usize, Result<Fetched, Unread>)>::new());
    std::thread::scope(|scope| {
        let (inputs, fetch, done) = (&*inputs, &fetch, &done);
        for (max, queue, next) in queues.values() {
            let work = move || {
                while let Some(&i) = queue.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = fetch(&inputs[i]);
                    done.lock().expect("staging results").push((i, r));
                }
            };
            for n in 0..(*max).min(queue.len()) {
                let spawned = std::thread::Builder::new()
                    .name("tallyman-stage".into())
                    .spawn_scoped(scope, work);
                // Fewer threads where the system allows fewer; none, and this thread does it.
                if spawned.is_err() {
                    if n == 0 {
                        work();
                    }
                    break;
                }
            }
        }
    });
    for (i, r) in done.into_inner().expect("staging results") {
        inputs[i].fetched = r;
    }
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for inp in inputs.iter_mut() {
        let Ok(f) = &inp.fetched else { continue };
        if replay {
            continue;
        }
        let key = (inp.channel.id.clone(), f.sha256.clone());
        if let Some(first) = seen.get(&key) {
            inp.duplicate_of = Some(format!("{first} earlier in this run"));
        } else if let Some(prev) = ledger.file_by_sha(&inp.channel.id, &f.sha256)? {
            inp.leftover = prev.name == inp.name && inp.source.pool().is_some();
            inp.duplicate_of = Some(format!(
                "{} received in run {} ({})",
                prev.name,
                prev.run,
                prev.disposition.as_str()
            ));
        } else {
            seen.insert(key, inp.name.clone());
        }
    }
    Ok(())
}

fn translate_one(
    inp: &Input<'_>,
    spool: &Path,
    budget: &std::sync::Arc<spool::Budget>,
    grammars: &crate::grammar::GrammarSet,
    profiles: &crate::feeds::Profiles,
    cfg: &Config,
    v1_hashes: bool,
) -> io::Result<Option<FileResult>> {
    let limits = &cfg.limits;
    if inp.duplicate_of.is_some() {
        return Ok(None);
    }
    let Ok(fetched) = inp.fetched.as_ref() else {
        return Ok(None);
    };
    if fetched.size > limits.max_file_bytes {
        return Ok(Some(file::unreadable(format!(
            "the file is {} bytes, more than the limit of {} (limits.max_file_bytes); it is not read",
            fetched.size, limits.max_file_bytes
        ))));
    }
    // A panic while reading the file is a bug of ours, not the partner's fault and not the
    // disk's: the file is quarantined with a report that says so and the run goes on. Ended
    // by it, every run would stop at the same file, and nothing behind it would be read. The
    // translation is a function of the file's bytes: it writes only its own spools (in
    // staging, removed at the end of the run) and leases spool memory that unwinding gives
    // back.
    let processed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        file::process(
            &inp.staged,
            &inp.name,
            spool,
            budget,
            inp.channel,
            grammars,
            profiles,
            limits,
            file::Preparing {
                csv_columns: (inp.channel.output.contains(&OutputFormat::Csv))
                    .then_some(&cfg.csv_columns),
                v1_hashes,
            },
        )
    }));
    match processed {
        Ok(result) => result.map(Some),
        Err(panic) => Ok(Some(file::unreadable(internal_failure(panic.as_ref())))),
    }
}

/// What a quarantine report says of a file whose reading ended in a panic.
fn internal_failure(panic: &(dyn std::any::Any + Send)) -> String {
    let what = crate::diag::panic_text(panic);
    format!(
        "tallyman failed while reading this file (an internal error: {what}); this is a bug \
         in tallyman, not in the file. The file is quarantined and none of its documents was \
         recorded; the rest of the run went on. Report it with the file and this report; once a \
         fixed tallyman is installed, `tallyman ledger replay ID` reads the file again"
    )
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}
