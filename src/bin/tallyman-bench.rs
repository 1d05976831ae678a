//! Throughput and memory of the inbound path, on generated files.
//!
//! ```text
//! cargo run --release --bin tallyman-bench -- all --mib 100                  # X12 850s
//! cargo run --release --bin tallyman-bench -- all --mib 100 --format edifact # ORDERS
//! cargo run --release --bin tallyman-bench -- translate FILE
//! ```
//!
//! `all` generates the input, then runs each phase in a child process so that every phase's
//! peak RSS is its own, and prints one line per phase: MiB/s and peak RSS. Phases:
//! `tokenize` (every segment of the file held in memory, best of three), `scan` (the envelope
//! pass streamed through a 1 MiB buffer), `translate` (envelope, grammar validation and mapping
//! to the canonical model, streamed) and `translate-json` (the same plus JSON serialization).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tallyman::grammar::GrammarSet;
use tallyman::map::{Options, Status};
use tallyman::translate::{Format, detect};

const USAGE: &str = "usage: tallyman-bench all [--mib N] [--format x12|edifact|shopify] [--dir DIR]
       tallyman-bench generate FILE [--mib N] [--format x12|edifact|shopify]
       tallyman-bench tokenize|scan|translate|translate-json FILE";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib = flag(&args, "--mib").map_or(100, |v| v.parse().expect("--mib takes a number"));
    let kind = match flag(&args, "--format") {
        Some("edifact") => Kind::Edifact,
        Some("shopify") => Kind::Shopify,
        _ => Kind::X12,
    };
    let result = match args.first().map(String::as_str) {
        Some("all") => all(mib, kind, flag(&args, "--dir").map(PathBuf::from)),
        Some("generate") => generate(Path::new(arg(&args, 1)), mib, kind).map(|_| ()),
        Some("tokenize") => tokenize(Path::new(arg(&args, 1))),
        Some("scan") => scan(Path::new(arg(&args, 1))),
        Some("translate") => translate(Path::new(arg(&args, 1)), false),
        Some("translate-json") => translate(Path::new(arg(&args, 1)), true),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("tallyman-bench: {e}");
        std::process::exit(2);
    }
}

fn arg(args: &[String], i: usize) -> &str {
    args.get(i).map(String::as_str).unwrap_or_else(|| {
        eprintln!("{USAGE}");
        std::process::exit(2)
    })
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    X12,
    Edifact,
    Shopify,
}

fn generate(path: &Path, mib: u64, kind: Kind) -> Res<u64> {
    let w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let st = match kind {
        Kind::Edifact => tallyman::generate::edifact_orders(w, mib << 20, 42)?,
        Kind::Shopify => tallyman::generate::shopify_csv(w, mib << 20, 42)?,
        Kind::X12 => tallyman::generate::x12_850s(w, mib << 20, 42)?,
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

fn report(phase: &str, bytes: u64, secs: f64, detail: &str) {
    let mib = bytes as f64 / 1048576.0;
    println!(
        "{phase:<15} {mib:>8.1} MiB  {secs:>7.3} s  {:>8.1} MiB/s  peak RSS {:>7.1} MiB  {detail}",
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

fn all(mib: u64, kind: Kind, dir: Option<PathBuf>) -> Res<()> {
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
    println!(
        "tallyman-bench on {} ({mib} MiB of {what}), one thread",
        file.display()
    );
    std::io::stdout().flush()?;
    let phases: &[&str] = if kind == Kind::Shopify {
        &["translate", "translate-json"]
    } else {
        &["tokenize", "scan", "translate", "translate-json"]
    };
    for phase in phases {
        let status = Command::new(&me).arg(phase).arg(&file).status()?;
        if !status.success() {
            return Err(format!("{phase} failed").into());
        }
    }
    std::fs::remove_file(&file)?;
    Ok(())
}
