//! SFTP transfer throughput through tallyman's own transport (`scripts/bench_sftp.sh` starts
//! a throw-away OpenSSH server on loopback and runs this against it): one file uploaded the
//! way a run delivers documents (temporary name, fsync, rename), then downloaded the way a run
//! pulls inputs (into staging, hashed on the way). Prints MiB/s each way and the peak RSS.
//!
//!   sftp-throughput --url sftp://USER@127.0.0.1:PORT/ABS/DIR --key KEY --known-hosts FILE [--mib 512]

use clap::Parser;
use std::time::Instant;
use tallyman::transport::Inbound;
use tallyman::transport::sftp::{Location, Server, Settings, SftpFolder, push};

#[derive(Parser)]
#[command(about = "SFTP upload and download throughput of tallyman's transport")]
struct Args {
    /// The remote folder, sftp://user@host:port/absolute/path.
    #[arg(long)]
    url: String,
    /// The private key to log in with.
    #[arg(long)]
    key: std::path::PathBuf,
    /// The known_hosts file that holds the server's key.
    #[arg(long)]
    known_hosts: std::path::PathBuf,
    /// The size of the file sent and fetched, in MiB.
    #[arg(long, default_value_t = 512)]
    mib: usize,
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let loc = Location::parse(&args.url)?;
    let settings = Settings::new(Some(args.key.clone()), args.known_hosts.clone());
    let server = Server::new(&loc, settings);
    let dir = tempfile::tempdir()?;
    let outgoing = dir.path().join("outgoing");
    std::fs::create_dir_all(&outgoing)?;
    let name = format!("throughput-{}.bin", std::process::id());
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(outgoing.join(&name))?);
        let block: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for _ in 0..args.mib {
            f.write_all(&block)?;
        }
        f.flush()?;
    }
    let bytes = (args.mib as f64) * 1024.0 * 1024.0;

    let t = Instant::now();
    let pushed = push::push(
        &server,
        &loc,
        &outgoing,
        &dir.path().join("delivered"),
        &|_| {},
    );
    if let Some(e) = pushed.error {
        return Err(e.into());
    }
    let up = t.elapsed().as_secs_f64();
    assert_eq!(
        pushed.delivered,
        std::slice::from_ref(&name),
        "{:?}",
        pushed.problems
    );

    let folder = SftpFolder::new(server.clone(), loc.clone(), None);
    let t = Instant::now();
    let fetched = folder.fetch(&name, None, &dir.path().join("staged.bin"), 0o600)?;
    let down = t.elapsed().as_secs_f64();
    assert_eq!(fetched.size as f64, bytes);
    // Leave the server as it was.
    folder.remove(&name, &fetched.sha256)?;
    server.close();

    println!(
        "sftp {} MiB: upload {:.1} MiB/s ({up:.2} s), download {:.1} MiB/s ({down:.2} s), peak RSS {:.1} MiB",
        args.mib,
        args.mib as f64 / up,
        args.mib as f64 / down,
        peak_rss_mib()
    );
    Ok(())
}
