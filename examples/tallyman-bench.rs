//! Throughput and memory of the inbound path, on generated files.
//!
//! ```text
//! cargo run --release --example tallyman-bench -- all --mib 100                  # X12 850s
//! cargo run --release --example tallyman-bench -- all --mib 100 --format edifact # ORDERS
//! cargo run --release --example tallyman-bench -- translate FILE
//! cargo run --release --example tallyman-bench -- run --files 10000 --mib 1024 --threads 1,2
//! scripts/bench.sh                 # all of the above in one table (BENCH_QUICK=1, BENCH_BIG=1)
//! cargo run --example tallyman-bench -- --help                  # every command and option
//! ```
//!
//! `all` generates the input, then runs each phase in a child process so that every phase's
//! peak RSS is its own, and prints one line per phase: threads, MiB/s and peak RSS. Phases:
//! `tokenize` (every segment of the file held in memory, best of three), `scan` (the envelope
//! pass streamed through a 1 MiB buffer), `translate` (envelope, grammar validation and mapping
//! to the canonical model, streamed) and `translate-json` (the same plus JSON serialization).
//! Tokenizing and scanning are sequential by nature and run on one thread; the translate phases
//! run once per `--threads` entry (default `1,2`; the child gets `RAYON_NUM_THREADS`), since
//! the transaction sets of a large interchange are translated in parallel.
//!
//! `run` measures a whole `tallyman run`, end to end. It generates a drop folder of `--files`
//! files (default 10,000) totalling about `--mib` MiB (default 1024): 40% of the bytes X12 850
//! files, 30% EDIFACT ORDERS, 30% Shopify CSV exports, file sizes spread evenly from a quarter
//! to 1.75 times the mean, every interchange control number and order number unique across
//! the whole folder (so that every document is accepted). It writes one configuration per
//! thread count (`settle_seconds = 0`, `keep_inputs = true`, ERP files in JSON Lines and CSV)
//! with a fresh work directory each, then runs the real `tallyman` binary (next to this one)
//! as a child process, `tallyman run --config CFG --threads N`, once per `--threads` entry
//! (default `1,2`). For each it prints wall time, MiB/s, the child's peak RSS (`VmHWM` polled
//! every 20 ms), the load average before and after, the run report's document counts (it fails
//! unless every generated document was accepted), and where the time went: the phases of the
//! run as seen from outside (the work directory's folders and files appearing, and the CPU
//! time of the main thread and of the worker threads from `/proc`; the samples are kept in
//! `DIR/tN/samples.tsv` with `--keep`), then the 2-vs-1 scaling. It also prints how long the
//! run's threads waited for a CPU (scheduler run delay, `/proc/PID/task/*/schedstat`; the run
//! has one thread more than its pool, so some waiting is its own) and warns when that exceeds
//! 3% of the wall time while other processes used more than 3% of the machine: such a
//! measurement is disturbed and should be repeated when the machine is idle.
//!
//! ```text
//! tallyman-bench run [--files N] [--mib N] [--threads 1,2] [--format x12|edifact|shopify]
//!                    [--dir DIR] [--keep] [--move-inputs] [--max-rss MIB]
//! ```
//!
//! `--files 1` makes one file of all the bytes (`--files 1 --mib 1024 --format x12`: one 1 GiB
//! X12 file), the case where what a run holds per document shows most. `--max-rss MIB` fails the
//! benchmark (exit status 2, after the table) when a run's peak RSS exceeds that bound: the
//! design's memory target is `--max-rss 100`, whatever the size of the files or their number.
//!
//! `--format x12|edifact|shopify` makes the drop folder of that format alone (one channel, all
//! the files and bytes) instead of the mix. `--dir DIR` keeps the generated drop folder in
//! `DIR/drop` and reuses it on the next call with the same `--files`, `--mib` and `--format`
//! (without it, everything goes in a temporary folder that is removed at the end). `--keep` leaves every measurement's folder `DIR/tN` (configuration,
//! work directory, ERP files, `stderr.txt`); to profile one run again:
//! `rm -rf DIR/t2/work DIR/t2/erp; perf record -g tallyman run --config DIR/t2/tallyman.toml
//! --threads 2`. `--move-inputs` measures the default `keep_inputs = false` instead: each
//! measurement gets a hard-linked copy of the drop folder, which the run empties.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tallyman::grammar::GrammarSet;
use tallyman::map::{Options, Status};
use tallyman::translate::{Format, detect};

/// Throughput and memory of tallyman's inbound path, on generated files.
///
/// scripts/bench.sh runs it all and prints one table; what each number means is in the
/// documentation at the top of examples/tallyman-bench.rs.
#[derive(Debug, Parser)]
#[command(name = "tallyman-bench")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Generate a file, then measure each phase on it.
    ///
    /// Each phase runs in its own process, so that its peak RSS is its own: tokenize and scan on
    /// one thread, translate and translate-json once per --threads entry.
    All {
        #[command(flatten)]
        input: Generated,
        /// Where the generated file goes [default: a new folder in the temporary directory].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        threads: Threads,
    },
    /// Write a generated file (seed 42: the same bytes every time).
    Generate {
        /// The file to write.
        file: PathBuf,
        #[command(flatten)]
        input: Generated,
    },
    /// Tokenize FILE only: every segment held in memory, best of three.
    Tokenize {
        /// An X12 or EDIFACT file.
        file: PathBuf,
    },
    /// The envelope pass over FILE alone, streamed through a 1 MiB buffer.
    Scan {
        /// An X12 or EDIFACT file.
        file: PathBuf,
    },
    /// Translate FILE to the canonical model, streamed.
    ///
    /// The envelope pass, grammar validation and mapping; RAYON_NUM_THREADS sets the threads.
    Translate {
        /// An X12, EDIFACT or feed file.
        file: PathBuf,
    },
    /// Translate FILE and serialize every accepted document to JSON.
    TranslateJson {
        /// An X12, EDIFACT or feed file.
        file: PathBuf,
    },
    /// Measure a whole `tallyman run` over a generated drop folder.
    ///
    /// The `tallyman` binary built beside this one runs once per --threads entry; each prints
    /// its wall time, MiB/s, peak RSS, document counts and where the time went. It fails unless
    /// every generated document was accepted.
    Run(RunArgs),
}

/// What `all` and `generate` generate.
#[derive(Debug, Args)]
struct Generated {
    /// Size of the generated file, in MiB.
    #[arg(long, default_value_t = 100, value_parser = mib())]
    mib: u64,
    /// What to generate.
    #[arg(long, value_enum, default_value_t = Kind::X12)]
    format: Kind,
}

#[derive(Debug, Args)]
struct Threads {
    /// The thread counts to measure, separated by commas.
    #[arg(
        long = "threads",
        value_name = "N,N",
        value_delimiter = ',',
        default_value = "1,2",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024),
    )]
    counts: Vec<usize>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Files in the drop folder (1: one file of all the bytes).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    files: u64,
    /// Bytes of the drop folder, in MiB.
    #[arg(long, default_value_t = 1024, value_parser = mib())]
    mib: u64,
    #[command(flatten)]
    threads: Threads,
    /// One format alone (one channel, all the files and bytes) [default: the mix, 40% X12,
    /// 30% EDIFACT, 30% Shopify CSV].
    #[arg(long, value_enum)]
    format: Option<Kind>,
    /// Keep the generated drop folder in DIR/drop and reuse it on the next call with the same
    /// --files, --mib and --format [default: a temporary folder, removed at the end].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Leave every measurement's folder DIR/tN (configuration, work directory, ERP files,
    /// stderr.txt, samples.tsv).
    #[arg(long)]
    keep: bool,
    /// Measure `keep_inputs = false`: each measurement gets a hard-linked copy of the drop
    /// folder, which the run empties.
    #[arg(long)]
    move_inputs: bool,
    /// Fail (exit status 2, after the table) when a run's peak RSS exceeds this many MiB.
    #[arg(long, value_name = "MIB")]
    max_rss: Option<f64>,
}

/// `--mib`: at least 1, at most 1 TiB (the byte count must fit a u64 with room to spare).
fn mib() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=1 << 20)
}

fn main() {
    // Usage errors exit 2 with clap's message; --help and --version exit 0.
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::All {
            input,
            dir,
            threads,
        } => all(input.mib, input.format, dir, &threads.counts),
        Cmd::Generate { file, input } => generate(&file, input.mib, input.format).map(|_| ()),
        Cmd::Tokenize { file } => tokenize(&file),
        Cmd::Scan { file } => scan(&file),
        Cmd::Translate { file } => translate(&file, false),
        Cmd::TranslateJson { file } => translate(&file, true),
        Cmd::Run(args) => run_bench(&args),
    };
    if let Err(e) = result {
        eprintln!("tallyman-bench: {e}");
        std::process::exit(2);
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    X12,
    Edifact,
    Shopify,
}

fn generate(path: &Path, mib: u64, kind: Kind) -> Res<u64> {
    let w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let st = match kind {
        Kind::Edifact => tallyman::synthetic::edifact_orders(w, mib << 20, 42)?,
        Kind::Shopify => tallyman::synthetic::shopify_csv(w, mib << 20, 42)?,
        Kind::X12 => tallyman::synthetic::x12_850s(w, mib << 20, 42)?,
    };
    eprintln!(
        "generated {}: {:.1} MiB, {} interchanges, {} orders, {} lines",
        path.display(),
        st.bytes as f64 / 1048576.0,
        st.interchanges,
        st.orders,
        st.lines
    );
    Ok(st.bytes)
}

/// Peak resident set size of this process, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One line per phase; `threads` is how many threads the phase may use.
fn report(phase: &str, threads: usize, bytes: u64, secs: f64, detail: &str) {
    let mib = bytes as f64 / 1048576.0;
    println!(
        "{phase:<15} {threads:>2} thr {mib:>8.1} MiB  {secs:>7.3} s  {:>8.1} MiB/s  peak RSS {:>7.1} MiB  {detail}",
        mib / secs,
        peak_rss_mib()
    );
}

fn format_of(path: &Path) -> Res<Format> {
    let mut head = [0u8; 512];
    let n = std::io::Read::read(&mut File::open(path)?, &mut head)?;
    Ok(detect(&head[..n]))
}

/// Tokenizing only: every segment of an input held in memory.
fn tokenize(path: &Path) -> Res<()> {
    let format = format_of(path)?;
    let input = std::fs::read(path)?;
    let mut best = f64::MAX;
    let mut segments = 0;
    for _ in 0..3 {
        let t = Instant::now();
        segments = match format {
            Format::X12 => tallyman::syntax::x12::Reader::new(&input)
                .filter(Result::is_ok)
                .count(),
            Format::Edifact => tallyman::syntax::edifact::Reader::new(&input)
                .filter(Result::is_ok)
                .count(),
            Format::Feed | Format::Unknown => return Err("not X12 or EDIFACT".into()),
        };
        best = best.min(t.elapsed().as_secs_f64());
    }
    report(
        "tokenize",
        1,
        input.len() as u64,
        best,
        &format!("{segments} segments (in memory, best of 3)"),
    );
    Ok(())
}

/// The envelope pass alone, streamed from the file.
fn scan(path: &Path) -> Res<()> {
    let reader = std::io::BufReader::new(File::open(path)?);
    let t = Instant::now();
    let (bytes, docs) = match format_of(path)? {
        Format::X12 => {
            let map = tallyman::envelope::x12::scan_reader(reader, 1 << 20)?;
            (map.bytes, map.transactions().count())
        }
        Format::Edifact => {
            let map = tallyman::envelope::edifact::scan_reader(reader, 1 << 20)?;
            (map.bytes, map.messages().count())
        }
        Format::Feed | Format::Unknown => return Err("not X12 or EDIFACT".into()),
    };
    let secs = t.elapsed().as_secs_f64();
    report(
        "scan",
        1,
        bytes as u64,
        secs,
        &format!("{docs} documents (streamed)"),
    );
    Ok(())
}

/// Envelope pass, grammar validation and mapping to the canonical model (and with `json`, JSON
/// serialization of every document), streamed from the file.
fn translate(path: &Path, json_out: bool) -> Res<()> {
    let grammars = GrammarSet::builtin()?;
    let opts = Options {
        file: path.display().to_string(),
        ..Options::default()
    };
    let bytes = std::fs::metadata(path)?.len();
    let t = Instant::now();
    let mut json = Vec::new();
    let profiles = tallyman::feeds::Profiles::builtin()?;
    let report_ =
        tallyman::translate::translate(File::open(path)?, &grammars, &profiles, &opts, |o| {
            if json_out && o.status == Status::Accepted {
                json.clear();
                serde_json::to_writer(&mut json, o.document.as_ref().expect("accepted"))
                    .map_err(std::io::Error::other)?;
            }
            Ok(())
        })?;
    let secs = t.elapsed().as_secs_f64();
    let tally = report_.tally;
    report(
        if json_out {
            "translate+json"
        } else {
            "translate"
        },
        rayon::current_num_threads(),
        bytes,
        secs,
        &format!(
            "{} documents, {} not accepted (streamed{})",
            tally.accepted,
            tally.rejected + tally.not_mapped,
            if json_out {
                ", JSON serialized"
            } else {
                ", to the canonical model"
            }
        ),
    );
    if !tally.clean() {
        let first = report_.findings.iter().find(|f| f.is_error());
        return Err(format!("generated documents were not all accepted: {first:?}").into());
    }
    Ok(())
}

fn all(mib: u64, kind: Kind, dir: Option<PathBuf>, threads: &[usize]) -> Res<()> {
    let dir = match dir {
        Some(d) => d,
        None => {
            let d = std::env::temp_dir().join(format!("tallyman-bench-{}", std::process::id()));
            std::fs::create_dir_all(&d)?;
            d
        }
    };
    let (what, name) = match kind {
        Kind::Edifact => ("EDIFACT ORDERS", "orders.edi"),
        Kind::Shopify => ("Shopify CSV export", "shopify.csv"),
        Kind::X12 => ("X12 850", "850.edi"),
    };
    let file = dir.join(format!("{mib}mib-{name}"));
    generate(&file, mib, kind)?;
    let me = std::env::current_exe()?;
    println!("tallyman-bench on {} ({mib} MiB of {what})", file.display());
    std::io::stdout().flush()?;
    let mut phases: Vec<(&str, usize)> = Vec::new();
    if kind != Kind::Shopify {
        phases.extend([("tokenize", 1), ("scan", 1)]);
    }
    for &t in threads {
        phases.extend([("translate", t), ("translate-json", t)]);
    }
    for (phase, t) in phases {
        let status = Command::new(&me)
            .arg(phase)
            .arg(&file)
            .env("RAYON_NUM_THREADS", t.to_string())
            .status()?;
        if !status.success() {
            return Err(format!("{phase} failed").into());
        }
    }
    std::fs::remove_file(&file)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// `run`: a whole `tallyman run` over a generated drop folder.

/// One channel of the generated drop folder.
#[derive(Clone, Copy)]
struct Part {
    kind: Kind,
    channel: &'static str,
    /// Share of the bytes (and of the files).
    share: f64,
    prefix: &'static str,
    ext: &'static str,
    /// Orders between two looks at the target size (and per X12 interchange).
    batch: u64,
    /// The channel's table in the configuration, after `inbound`.
    table: &'static str,
}

const PARTS: [Part; 3] = [
    Part {
        kind: Kind::X12,
        channel: "x12",
        share: 0.4,
        prefix: "850-",
        ext: "edi",
        batch: 10,
        table: "format = \"x12\"\nversion = \"004010\"\npartner_id = \"BUYERCO\"\nour_id = \"NORTHWIND\"\n",
    },
    Part {
        kind: Kind::Edifact,
        channel: "edifact",
        share: 0.3,
        prefix: "orders-",
        ext: "edi",
        batch: 10,
        table: "format = \"edifact\"\nversion = \"D96A\"\npartner_id = \"0614141100422\"\nour_id = \"0614141200016\"\n",
    },
    Part {
        kind: Kind::Shopify,
        channel: "shopify",
        share: 0.3,
        prefix: "orders_export_",
        ext: "csv",
        batch: 25,
        table: "format = \"feed\"\nprofile = \"shopify-orders\"\n",
    },
];

/// The channels of the drop folder: the mix of [`PARTS`], or one format alone (all the bytes).
fn parts(only: Option<Kind>) -> Vec<Part> {
    match only {
        None => PARTS.to_vec(),
        Some(k) => PARTS
            .iter()
            .filter(|p| p.kind == k)
            .map(|p| Part { share: 1.0, ..*p })
            .collect(),
    }
}

/// What was generated, kept in `DIR/drop.json` to reuse the drop folder.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug, Clone, Default)]
struct Manifest {
    version: u32,
    files: u64,
    mib: u64,
    /// The channels generated (`x12,edifact,shopify` for the mix).
    #[serde(default)]
    parts: String,
    bytes: u64,
    orders: u64,
    lines: u64,
    interchanges: u64,
    /// Per channel: files, bytes, orders.
    channels: Vec<(String, u64, u64, u64)>,
}

/// 4: the generators draw from `fastrand` (the files of version 3 came from xorshift64*).
const MANIFEST_VERSION: u32 = 4;

/// Generates the drop folder `dir/drop/CHANNEL/`, or reuses the one there when it was made
/// with the same parameters.
fn generate_drop(dir: &Path, files: u64, mib: u64, parts: &[Part]) -> Res<Manifest> {
    let names = parts
        .iter()
        .map(|p| p.channel)
        .collect::<Vec<_>>()
        .join(",");
    let drop = dir.join("drop");
    let manifest_path = dir.join("drop.json");
    if let Ok(text) = std::fs::read_to_string(&manifest_path)
        && let Ok(m) = serde_json::from_str::<Manifest>(&text)
        && m.version == MANIFEST_VERSION
        && m.files == files
        && m.mib == mib
        && m.parts == names
        && drop.is_dir()
    {
        eprintln!(
            "reusing the drop folder {} ({})",
            drop.display(),
            manifest_path.display()
        );
        return Ok(m);
    }
    let _ = std::fs::remove_file(&manifest_path);
    remove_dir(&drop)?;
    let t = Instant::now();
    let total = mib << 20;
    let mut m = Manifest {
        version: MANIFEST_VERSION,
        files,
        mib,
        parts: names,
        ..Manifest::default()
    };
    let mut num = tallyman::synthetic::Numbering::default();
    let mut assigned = 0u64;
    // File sizes and seeds: the same drop folder for the same parameters, run to run.
    let mut rng = fastrand::Rng::with_seed(0x7a11_7a11);
    for (pi, part) in parts.iter().enumerate() {
        let n = if pi + 1 == parts.len() {
            files - assigned
        } else {
            (files as f64 * part.share).round() as u64
        };
        assigned += n;
        let folder = drop.join(part.channel);
        std::fs::create_dir_all(&folder)?;
        let budget = (total as f64 * part.share) as u64;
        let mean = budget as f64 / n.max(1) as f64;
        let (mut wanted, mut written, mut orders) = (0f64, 0u64, 0u64);
        for i in 0..n {
            let (size, seed) = (rng.f64(), rng.u64(..));
            // A quarter to 1.75 times the mean; what a file overshoots, the next one gives back.
            // A single file gets the whole budget.
            wanted += if n == 1 {
                mean
            } else {
                mean * (0.25 + 1.5 * size)
            };
            let target = (wanted as u64).saturating_sub(written).max(1);
            let path = folder.join(format!("{}{:06}.{}", part.prefix, i + 1, part.ext));
            let mut w = BufWriter::with_capacity(1 << 16, File::create(&path)?);
            num.batch = part.batch;
            let st = match part.kind {
                Kind::X12 => tallyman::synthetic::x12_850s_numbered(&mut w, target, seed, num)?,
                Kind::Edifact => {
                    tallyman::synthetic::edifact_orders_numbered(&mut w, target, seed, num)?
                }
                Kind::Shopify => {
                    tallyman::synthetic::shopify_csv_numbered(&mut w, target, seed, num)?
                }
            };
            w.flush()?;
            num = num.after(&st);
            written += st.bytes;
            orders += st.orders;
            m.lines += st.lines;
            if part.kind != Kind::Shopify {
                m.interchanges += st.interchanges;
            }
        }
        m.bytes += written;
        m.orders += orders;
        m.channels
            .push((part.channel.to_owned(), n, written, orders));
    }
    if num.first_interchange > 1_000_000_000 {
        return Err("too many interchanges for 9-digit X12 control numbers".into());
    }
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&m)?)?;
    eprintln!(
        "generated {} files, {:.1} MiB, {} orders, {} lines, {} interchanges in {:.1} s into {}",
        files,
        m.bytes as f64 / 1048576.0,
        m.orders,
        m.lines,
        m.interchanges,
        t.elapsed().as_secs_f64(),
        drop.display()
    );
    Ok(m)
}

fn remove_dir(p: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn config_text(drop: &Path, keep_inputs: bool, parts: &[Part]) -> String {
    let mut t = String::from(
        "# written by tallyman-bench run\n[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n\n[run]\nthreads = 0\nsettle_seconds = 0\n",
    );
    for part in parts {
        t.push_str(&format!(
            "\n[channel.{}]\ninbound = {}\n{}keep_inputs = {keep_inputs}\n",
            part.channel,
            toml_str(&drop.join(part.channel).display().to_string()),
            part.table
        ));
    }
    t
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU ticks the whole machine spent in user space and in the kernel (not idle or waiting for
/// I/O), from `/proc/stat`.
fn machine_ticks() -> (u64, u64) {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<u64> = s
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            let user = f.first()? + f.get(1)?;
            Some((
                user,
                f.iter().take(8).sum::<u64>() - user - f.get(3)? - f.get(4)?,
            ))
        })
        .unwrap_or((0, 0))
}

/// One look at the child.
#[derive(Clone, Copy, Default, Debug)]
struct Sample {
    t: f64,
    /// CPU clock ticks of the whole process and of its main thread.
    total: u64,
    main: u64,
    /// Bytes passed to write() so far.
    wchar: u64,
    /// Resident set size, KiB.
    rss_kib: u64,
}

/// utime and stime of a `/proc/.../stat` file, in clock ticks.
fn user_sys(path: &str) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(path).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?))
}

/// utime + stime of a `/proc/.../stat` file, in clock ticks.
fn ticks(path: &str) -> Option<u64> {
    user_sys(path).map(|(u, s)| u + s)
}

fn proc_field(path: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l[key.len()..].split_whitespace().next())
            .and_then(|v| v.parse().ok())
    })
}

/// The phases of a run, each ending when the next one's marker is first seen. Translating,
/// routing and writing the ERP files overlap (the worker threads translate a chunk of files
/// while the main thread routes and records the one before and copies its accepted documents
/// into the ERP files), so they are one phase: its "CPU main" is the routing and writing, its
/// "CPU workers" the translation.
const PHASES: [&str; 5] = [
    "start, list drops",
    "stage (copy+sha256)",
    "translate, route, write",
    "ledger commit",
    "store inputs, finish",
];

/// What one measurement saw.
struct Watched {
    secs: f64,
    status: std::process::ExitStatus,
    peak_rss_kib: u64,
    samples: Vec<Sample>,
    /// CPU seconds that other processes (not the run, not this watcher) used meanwhile in
    /// user space, and that the kernel used besides the run's system calls (writeback of the
    /// run's files included).
    others_user: f64,
    others_kernel: f64,
    /// Seconds the run's threads were ready to run but waited for a CPU (the sum over its
    /// threads of `run_delay` in `/proc/PID/task/TID/schedstat`): what other processes cost it.
    cpu_wait: f64,
    /// Times at which phases 1.. began (seconds from the start), when seen.
    marks: [Option<f64>; PHASES.len() - 1],
}

fn has_entry(dir: &Path, pred: impl Fn(&str) -> bool) -> bool {
    std::fs::read_dir(dir)
        .is_ok_and(|rd| rd.flatten().any(|e| pred(&e.file_name().to_string_lossy())))
}

/// Runs `tallyman run` and watches it every 20 ms until it exits.
fn watch(tallyman: &Path, cfg: &Path, threads: usize, run_dir: &Path) -> Res<Watched> {
    let work = run_dir.join("work");
    let erp = run_dir.join("erp");
    let staging = work.join("staging").join("run-000001");
    let reports = work.join("reports");
    let stderr = File::create(run_dir.join("stderr.txt"))?;
    let machine0 = machine_ticks();
    let own0 = user_sys("/proc/self/stat").unwrap_or_default();
    let t0 = Instant::now();
    let mut child = Command::new(tallyman)
        .arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--threads")
        .arg(threads.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let pid = child.id();
    let (stat, main_stat, status_path, io) = (
        format!("/proc/{pid}/stat"),
        format!("/proc/{pid}/task/{pid}/stat"),
        format!("/proc/{pid}/status"),
        format!("/proc/{pid}/io"),
    );
    let mut w = Watched {
        secs: 0.0,
        status: std::process::ExitStatus::default(),
        peak_rss_kib: 0,
        samples: Vec::with_capacity(4096),
        others_user: 0.0,
        others_kernel: 0.0,
        cpu_wait: 0.0,
        marks: [None; PHASES.len() - 1],
    };
    let mut last_user_sys = None;
    let mut run_delay = std::collections::HashMap::new();
    loop {
        let t = t0.elapsed().as_secs_f64();
        if let Some(hwm) = proc_field(&status_path, "VmHWM:") {
            w.peak_rss_kib = w.peak_rss_kib.max(hwm);
        }
        if let Some(us) = user_sys(&stat) {
            last_user_sys = Some(us);
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let delay = std::fs::read_to_string(t.path().join("schedstat"))
                    .ok()
                    .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok());
                if let Some(d) = delay {
                    run_delay.insert(t.file_name(), d);
                }
            }
        }
        if let (Some(total), Some(main)) = (ticks(&stat), ticks(&main_stat)) {
            w.samples.push(Sample {
                t,
                total,
                main,
                wchar: proc_field(&io, "wchar:").unwrap_or(0),
                rss_kib: proc_field(&status_path, "VmRSS:").unwrap_or(0),
            });
        }
        // Markers: which of them is seen first tells where the run is.
        let seen = [
            // 1: staging begun (the first input is being copied).
            staging.join("files").is_dir(),
            // 2: staging done, the spool folder for translation is made.
            staging.join("spool").is_dir(),
            // 3: every file translated and routed, the ERP files and the run report written: the
            // ledger commit begins.
            has_entry(&reports, |n| {
                n.starts_with("run-000001-") && n.ends_with(".json")
            }),
            // 4: committed: ERP files are renamed into place.
            has_entry(&erp, |n| n.starts_with("run-000001-")),
        ];
        for (m, s) in w.marks.iter_mut().zip(seen) {
            if s && m.is_none() {
                *m = Some(t);
            }
        }
        if let Some(status) = child.try_wait()? {
            w.secs = t0.elapsed().as_secs_f64();
            w.status = status;
            // The child's own times, as last seen (it is reaped now).
            let (cu, cs) = user_sys(&format!("/proc/{pid}/stat"))
                .or(last_user_sys)
                .unwrap_or_default();
            let machine = machine_ticks();
            let own = user_sys("/proc/self/stat").unwrap_or_default();
            let (mu, ms) = (machine.0 - machine0.0, machine.1 - machine0.1);
            let (ou, os) = (own.0 - own0.0, own.1 - own0.1);
            w.others_user = mu.saturating_sub(cu + ou) as f64 / 100.0;
            w.others_kernel = ms.saturating_sub(cs + os) as f64 / 100.0;
            w.cpu_wait = run_delay.values().sum::<u64>() as f64 / 1e9;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut tsv = String::from("t\tcpu_total\tcpu_main\twchar\trss_kib\n");
    for s in &w.samples {
        tsv.push_str(&format!(
            "{:.3}\t{}\t{}\t{}\t{}\n",
            s.t, s.total, s.main, s.wchar, s.rss_kib
        ));
    }
    std::fs::write(run_dir.join("samples.tsv"), tsv)?;
    // A marker not seen (its phase took no time between two looks) is the next one's time.
    let mut next = w.secs;
    for m in w.marks.iter_mut().rev() {
        let v = m.unwrap_or(next).min(next);
        *m = Some(v);
        next = v;
    }
    Ok(w)
}

/// The sample at or just after `t`.
fn sample_at(samples: &[Sample], t: f64) -> Sample {
    samples
        .iter()
        .find(|s| s.t >= t)
        .or(samples.last())
        .copied()
        .unwrap_or_default()
}

/// The last sample before `t` (the state at the end of a phase).
fn sample_before(samples: &[Sample], t: f64) -> Sample {
    samples
        .iter()
        .rev()
        .find(|s| s.t < t)
        .or(samples.first())
        .copied()
        .unwrap_or_default()
}

fn print_phases(w: &Watched) {
    let mut bounds = vec![0.0];
    bounds.extend(w.marks.iter().map(|m| m.unwrap_or(w.secs)));
    bounds.push(w.secs);
    println!(
        "    {:<24} {:>8} {:>6} {:>9} {:>12} {:>10} {:>12}",
        "phase", "seconds", "share", "CPU main", "CPU workers", "written", "RSS at end"
    );
    let hz = 100.0; // USER_HZ
    let row = |name: &str, secs: f64, main: f64, workers: f64, written: Option<f64>, rss| {
        let dt = secs.max(1e-9);
        println!(
            "    {name:<24} {secs:>8.3} {:>5.1}% {:>8.0}% {:>11.0}% {:>10} {:>12}",
            100.0 * secs / w.secs,
            100.0 * main / dt,
            100.0 * workers.max(0.0) / dt,
            written.map_or(String::new(), |m| format!("{m:.0} MiB")),
            rss
        );
    };
    for (i, name) in PHASES.iter().enumerate() {
        let (a, b) = (bounds[i], bounds[i + 1]);
        let (sa, sb) = (sample_at(&w.samples, a), sample_at(&w.samples, b));
        let main = sb.main.saturating_sub(sa.main) as f64 / hz;
        let workers = sb.total.saturating_sub(sb.main) as f64 / hz
            - sa.total.saturating_sub(sa.main) as f64 / hz;
        row(
            name,
            b - a,
            main,
            workers,
            Some(sb.wchar.saturating_sub(sa.wchar) as f64 / 1048576.0),
            format!(
                "{:.0} MiB",
                sample_before(&w.samples, b).rss_kib as f64 / 1024.0
            ),
        );
    }
    let last = w.samples.last().copied().unwrap_or_default();
    println!(
        "    CPU seen: {:.2} s main thread, {:.2} s worker threads, in {:.2} s wall (CPU% is of one core)",
        last.main as f64 / hz,
        last.total.saturating_sub(last.main) as f64 / hz,
        w.secs,
    );
    println!(
        "    meanwhile: other processes {:.2} CPU s in user space; kernel threads and other processes' system time (writeback of the run's files included) {:.2} CPU s",
        w.others_user, w.others_kernel
    );
}

/// One measurement's result.
struct Measured {
    threads: usize,
    files: u64,
    bytes: u64,
    secs: f64,
    report_ms: u64,
    peak_rss_mib: f64,
    counts: serde_json::Value,
    load: (String, String),
}

fn run_bench(args: &RunArgs) -> Res<()> {
    let (files, mib, threads) = (args.files, args.mib, &args.threads.counts);
    let (keep, max_rss, move_inputs) = (args.keep, args.max_rss, args.move_inputs);
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("tallyman-bench-run-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    // The bench tool is a cargo example (target/release/examples/): the binary it measures is
    // the one built beside it, one folder up.
    let me = std::env::current_exe()?;
    let tallyman = me
        .parent()
        .and_then(|d| d.parent())
        .map(|d| d.join("tallyman"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| me.with_file_name("tallyman"));
    if !tallyman.is_file() {
        return Err(format!(
            "{} not found: build it first (cargo build --release --bin tallyman --example tallyman-bench)",
            tallyman.display()
        )
        .into());
    }
    let parts = parts(args.format);
    let manifest = generate_drop(&dir, files, mib, &parts)?;
    let drop = dir.join("drop");
    println!(
        "tallyman-bench run: {} files, {:.1} MiB, {} orders ({} lines) in {}",
        manifest.files,
        manifest.bytes as f64 / 1048576.0,
        manifest.orders,
        manifest.lines,
        drop.display()
    );
    for (c, n, b, o) in &manifest.channels {
        println!(
            "  {c:<8} {n:>6} files {:>8.1} MiB {o:>8} orders (mean {:.0} KiB)",
            *b as f64 / 1048576.0,
            *b as f64 / 1024.0 / (*n).max(1) as f64
        );
    }
    println!(
        "  tallyman: {}; keep_inputs = {}; {} cores; loadavg {}",
        tallyman.display(),
        !move_inputs,
        std::thread::available_parallelism().map_or(0, usize::from),
        loadavg()
    );
    let mut results = Vec::new();
    for &t in threads {
        let run_dir = dir.join(format!("t{t}"));
        remove_dir(&run_dir)?;
        std::fs::create_dir_all(&run_dir)?;
        let inbound = if move_inputs {
            let copy = run_dir.join("drop");
            for part in &parts {
                let to = copy.join(part.channel);
                std::fs::create_dir_all(&to)?;
                for e in std::fs::read_dir(drop.join(part.channel))? {
                    let e = e?;
                    std::fs::hard_link(e.path(), to.join(e.file_name()))?;
                }
            }
            copy
        } else {
            drop.clone()
        };
        let cfg = run_dir.join("tallyman.toml");
        std::fs::write(&cfg, config_text(&inbound, !move_inputs, &parts))?;
        // Nothing of the generation or of the last measurement is left to write back meanwhile.
        let _ = Command::new("sync").status();
        let before = loadavg();
        let w = watch(&tallyman, &cfg, t, &run_dir)?;
        let after = loadavg();
        // Run reports are named after the run and the time it started.
        let report_path = std::fs::read_dir(run_dir.join("work/reports"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("run-000001-"))
            })
            .unwrap_or_else(|| run_dir.join("work/reports/run-000001-*.json"));
        let report: serde_json::Value = match std::fs::read(&report_path) {
            Ok(b) => serde_json::from_slice(&b)?,
            Err(e) => {
                let err = std::fs::read_to_string(run_dir.join("stderr.txt")).unwrap_or_default();
                return Err(format!(
                    "tallyman run ({}) wrote no report {}: {e}\n{err}",
                    w.status,
                    report_path.display()
                )
                .into());
            }
        };
        let m = Measured {
            threads: t,
            files: report["channels"]
                .as_object()
                .map_or(0, |c| c.values().filter_map(|v| v["files"].as_u64()).sum()),
            bytes: report["bytes"].as_u64().unwrap_or(0),
            secs: w.secs,
            report_ms: report["duration_ms"].as_u64().unwrap_or(0),
            peak_rss_mib: w.peak_rss_kib as f64 / 1024.0,
            counts: report["totals"].clone(),
            load: (before, after),
        };
        let mibs = m.bytes as f64 / 1048576.0;
        println!(
            "threads {t}: {} files, {mibs:.1} MiB in {:.2} s = {:.1} MiB/s, peak RSS {:.1} MiB (report's duration_ms {}; loadavg {} -> {})",
            m.files,
            m.secs,
            mibs / m.secs,
            m.peak_rss_mib,
            m.report_ms,
            m.load.0,
            m.load.1
        );
        let n = |k: &str| m.counts[k].as_u64().unwrap_or(0);
        println!(
            "    documents: {} accepted of {} generated, {} duplicate, {} conflict, {} rejected, {} not translated",
            n("accepted"),
            manifest.orders,
            n("duplicate"),
            n("conflict"),
            n("rejected"),
            n("not_translated")
        );
        print_phases(&w);
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        println!(
            "    the run's threads waited {:.2} s in all for a CPU ({:.1}% of the wall time); other processes used {:.0}% of the machine",
            w.cpu_wait,
            100.0 * w.cpu_wait / w.secs,
            100.0 * w.others_user / (cores * w.secs)
        );
        // The run itself has one thread more than the pool (the main thread routes while the
        // workers translate), so it waits for a CPU on its own; only other processes' time is
        // a disturbance.
        if w.cpu_wait > 0.03 * w.secs && w.others_user > 0.03 * cores * w.secs {
            println!(
                "    WARNING: other processes took CPU time the run wanted: this measurement is disturbed, repeat it"
            );
        }
        std::io::stdout().flush()?;
        let clean = w.status.success()
            && n("accepted") == manifest.orders
            && n("duplicate") + n("conflict") + n("rejected") + n("not_translated") == 0
            && m.files == manifest.files;
        if !clean {
            let err = std::fs::read_to_string(run_dir.join("stderr.txt")).unwrap_or_default();
            return Err(format!(
                "the run did not accept every generated document ({}); see {} and {}\n{err}",
                w.status,
                report_path.display(),
                run_dir.join("stderr.txt").display()
            )
            .into());
        }
        if !keep {
            remove_dir(&run_dir)?;
        }
        results.push(m);
    }
    println!(
        "\n{:>7} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9}  loadavg before -> after",
        "threads", "files", "MiB", "seconds", "MiB/s", "peak RSS", "accepted"
    );
    for m in &results {
        let mibs = m.bytes as f64 / 1048576.0;
        println!(
            "{:>7} {:>6} {:>8.1} {:>8.2} {:>8.1} {:>5.0} MiB {:>9}  {} -> {}",
            m.threads,
            m.files,
            mibs,
            m.secs,
            mibs / m.secs,
            m.peak_rss_mib,
            m.counts["accepted"].as_u64().unwrap_or(0),
            m.load.0,
            m.load.1
        );
    }
    let rate = |t: usize| {
        results
            .iter()
            .find(|m| m.threads == t)
            .map(|m| m.bytes as f64 / m.secs)
    };
    if let (Some(one), Some(two)) = (rate(1), rate(2)) {
        println!("scaling 2 vs 1 thread: {:.2}x", two / one);
    }
    let over: Vec<String> = results
        .iter()
        .filter(|m| max_rss.is_some_and(|max| m.peak_rss_mib > max))
        .map(|m| format!("{:.0} MiB with {} threads", m.peak_rss_mib, m.threads))
        .collect();
    if temporary && !keep {
        remove_dir(&dir)?;
    } else if !keep {
        eprintln!(
            "the drop folder stays in {} for the next run",
            drop.display()
        );
    }
    if let Some(max) = max_rss {
        if !over.is_empty() {
            return Err(format!(
                "peak RSS over the bound of {max:.0} MiB (--max-rss): {}",
                over.join(", ")
            )
            .into());
        }
        println!("peak RSS within the bound of {max:.0} MiB (--max-rss)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tallyman-bench").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// `--help` was taken for the file name: `generate --help` wrote 100 MiB to a file named
    /// `--help`.
    #[test]
    fn help_prints_help_and_writes_nothing() {
        for args in [
            &["--help"][..],
            &["generate", "--help"],
            &["run", "--help"],
            &["help"],
        ] {
            let e = parse(args).expect_err("help is not a command to run");
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{args:?}");
            assert_eq!(e.exit_code(), 0, "{args:?}");
        }
    }

    /// `--mib abc` panicked.
    #[test]
    fn a_bad_number_is_a_usage_error() {
        for args in [
            &["generate", "f", "--mib", "abc"][..],
            &["all", "--mib", "abc"],
            &["run", "--mib", "0"],
            &["run", "--files", "x"],
            &["run", "--threads", "1,0"],
            &["all", "--threads", ""],
            &["run", "--max-rss", "lots"],
        ] {
            let e = parse(args).expect_err("not a number");
            assert_eq!(e.kind(), ErrorKind::ValueValidation, "{args:?}");
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
        let e = parse(&["all", "--format", "xml"]).expect_err("no such format");
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        let e = parse(&["generate"]).expect_err("no file");
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
        let e = parse(&["bench"]).expect_err("no such command");
        assert_eq!(e.kind(), ErrorKind::InvalidSubcommand);
    }

    /// The calls of scripts/bench.sh, scripts/instructions.sh, the README and `all` (which runs
    /// its phases as `tallyman-bench PHASE FILE`).
    #[test]
    fn the_scripts_calls_parse_as_before() {
        let cli = parse(&["generate", "in", "--mib", "4", "--format", "edifact"]).unwrap();
        let Cmd::Generate { file, input } = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(
            (file, input.mib, input.format),
            ("in".into(), 4, Kind::Edifact)
        );

        let cli = parse(&["all", "--mib", "1", "--format", "shopify", "--dir", "d"]).unwrap();
        let Cmd::All {
            input,
            dir,
            threads,
        } = cli.command
        else {
            panic!("{cli:?}")
        };
        assert_eq!((input.mib, input.format), (1, Kind::Shopify));
        assert_eq!((dir, threads.counts), (Some("d".into()), vec![1, 2]));

        let cli = parse(&["all", "--threads", "1,2,4"]).unwrap();
        let Cmd::All { input, threads, .. } = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!((input.mib, input.format), (100, Kind::X12));
        assert_eq!(threads.counts, [1, 2, 4]);

        let args = [
            "run",
            "--files",
            "10000",
            "--mib",
            "1024",
            "--threads",
            "1,2",
            "--dir",
            "d/run",
            "--max-rss",
            "100",
        ];
        let Cmd::Run(run) = parse(&args).unwrap().command else {
            panic!("not run")
        };
        assert_eq!((run.files, run.mib, run.format), (10_000, 1024, None));
        assert_eq!(run.threads.counts, [1, 2]);
        assert_eq!(run.max_rss, Some(100.0));
        assert!(!run.keep && !run.move_inputs);

        let args = [
            "run",
            "--format",
            "x12",
            "--files",
            "1",
            "--keep",
            "--move-inputs",
        ];
        let Cmd::Run(run) = parse(&args).unwrap().command else {
            panic!("not run")
        };
        assert_eq!((run.files, run.mib, run.format), (1, 1024, Some(Kind::X12)));
        assert!(run.keep && run.move_inputs && run.dir.is_none());

        for (phase, json) in [("translate", false), ("translate-json", true)] {
            let cli = parse(&[phase, "f.edi"]).unwrap();
            match cli.command {
                Cmd::Translate { file } if !json => assert_eq!(file, Path::new("f.edi")),
                Cmd::TranslateJson { file } if json => assert_eq!(file, Path::new("f.edi")),
                other => panic!("{phase}: {other:?}"),
            }
        }
        assert!(matches!(
            parse(&["tokenize", "f"]).unwrap().command,
            Cmd::Tokenize { .. }
        ));
        assert!(matches!(
            parse(&["scan", "f"]).unwrap().command,
            Cmd::Scan { .. }
        ));
    }
}
