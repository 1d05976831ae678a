//! Throughput and memory of the X12 path, on a generated file.
//!
//! ```text
//! cargo run --release --bin tallyman-bench -- all --mib 100
//! cargo run --release --bin tallyman-bench -- translate FILE
//! ```
//!
//! `all` generates the input, then runs each phase in a child process so that every phase's
//! peak RSS is its own, and prints one line per phase: MiB/s and peak RSS.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tallyman::grammar::GrammarSet;
use tallyman::map::x12::{Options, Status, translate_reader};
use tallyman::syntax::x12::Reader;

const USAGE: &str = "usage: tallyman-bench all [--mib N] [--dir DIR]
       tallyman-bench generate FILE [--mib N]
       tallyman-bench tokenize|scan|translate|translate-json FILE";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib = flag(&args, "--mib").map_or(100, |v| v.parse().expect("--mib takes a number"));
    let result = match args.first().map(String::as_str) {
        Some("all") => all(mib, flag(&args, "--dir").map(PathBuf::from)),
        Some("generate") => generate(Path::new(arg(&args, 1)), mib).map(|_| ()),
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

fn generate(path: &Path, mib: u64) -> Res<u64> {
    let w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let st = tallyman::generate::x12_850s(w, mib << 20, 42)?;
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
        "{phase:<10} {mib:>8.1} MiB  {secs:>7.3} s  {:>8.1} MiB/s  peak RSS {:>7.1} MiB  {detail}",
        mib / secs,
        peak_rss_mib()
    );
}

/// Tokenizing only: every segment of an input held in memory.
fn tokenize(path: &Path) -> Res<()> {
    let input = std::fs::read(path)?;
    let mut best = f64::MAX;
    let mut segments = 0;
    for _ in 0..3 {
        let t = Instant::now();
        segments = 0usize;
        let mut elements = 0usize;
        for s in Reader::new(&input) {
            let s = s?;
            segments += 1;
            elements += s.data().len() & 1;
        }
        std::hint::black_box(elements);
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
    let t = Instant::now();
    let map =
        tallyman::envelope::x12::scan_reader(std::io::BufReader::new(File::open(path)?), 1 << 20)?;
    let secs = t.elapsed().as_secs_f64();
    let sets = map.transactions().count();
    report(
        "scan",
        map.bytes as u64,
        secs,
        &format!("{sets} transaction sets (streamed)"),
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
    let t = Instant::now();
    let mut accepted = 0usize;
    let mut other = 0usize;
    let mut json = Vec::new();
    let map = translate_reader(File::open(path)?, &grammars, &opts, 1 << 20, |_, _, o| {
        match o.status {
            Status::Accepted => {
                accepted += 1;
                if json_out {
                    json.clear();
                    serde_json::to_writer(&mut json, o.document.as_ref().expect("accepted"))
                        .map_err(std::io::Error::other)?;
                }
            }
            _ => other += 1,
        }
        Ok(())
    })?;
    let secs = t.elapsed().as_secs_f64();
    report(
        if json_out { "+json" } else { "translate" },
        map.bytes as u64,
        secs,
        &format!(
            "{accepted} documents, {other} not accepted (streamed{})",
            if json_out {
                ", JSON serialized"
            } else {
                ", to the canonical model"
            }
        ),
    );
    if other > 0 {
        return Err(format!("{other} generated documents were not accepted").into());
    }
    Ok(())
}

fn all(mib: u64, dir: Option<PathBuf>) -> Res<()> {
    let tmp;
    let dir = match dir {
        Some(d) => d,
        None => {
            tmp = std::env::temp_dir().join(format!("tallyman-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            tmp.clone()
        }
    };
    let file = dir.join(format!("850-{mib}mib.edi"));
    generate(&file, mib)?;
    let me = std::env::current_exe()?;
    println!(
        "tallyman-bench on {} ({} MiB of X12 850), one thread",
        file.display(),
        mib
    );
    std::io::stdout().flush()?;
    for phase in ["tokenize", "scan", "translate", "translate-json"] {
        let status = Command::new(&me).arg(phase).arg(&file).status()?;
        if !status.success() {
            return Err(format!("{phase} failed").into());
        }
    }
    std::fs::remove_file(&file)?;
    Ok(())
}
