//! Helpers for the batch-run tests: a work directory with a configuration, drop folders, our
//! own X12 purchase orders, and the real `tallyman` binary.
#![allow(dead_code)]

pub mod trial;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Ran {
    /// A finished command's exit code (-1 when a signal ended it) and output.
    fn from(out: std::process::Output) -> Ran {
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Ran {
    /// Runs `command` to its end, but fails the test (naming `what` hung) when it takes longer
    /// than `limit`: a run that deadlocks must fail fast, not hang until CI's own limit. Output
    /// is read while it runs, so a chatty command cannot block on a full pipe.
    pub fn within(command: &mut Command, limit: std::time::Duration, what: &str) -> Ran {
        use std::process::Stdio;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the command starts");
        Ran::wait_within(child, limit, what)
    }

    /// [`Ran::within`] for a command already started with its stdout and stderr piped. On
    /// the deadline the command is killed and the test fails with what it had printed.
    pub fn wait_within(
        mut child: std::process::Child,
        limit: std::time::Duration,
        what: &str,
    ) -> Ran {
        use std::io::Read;
        let drain = |from: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut all = Vec::new();
                if let Some(mut from) = from {
                    let _ = from.read_to_end(&mut all);
                }
                String::from_utf8_lossy(&all).into_owned()
            })
        };
        let out = drain(child.stdout.take().map(|o| Box::new(o) as _));
        let err = drain(child.stderr.take().map(|e| Box::new(e) as _));
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if std::time::Instant::now() <= deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                // Past the deadline, or the wait failed: kill it, then say what it printed.
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
        let Some(status) = status else {
            panic!("{what}: still running after {limit:?}, killed; it printed:\n{stdout}{stderr}");
        };
        Ran {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

/// An X12 004010 850 from ACME to TALLYCO: `lines` are (quantity, SKU).
pub fn po(control: u32, number: &str, lines: &[(&str, &str)]) -> String {
    let mut body = vec![
        "ST*850*0001".to_owned(),
        format!("BEG*00*SA*{number}**20240311"),
        "N1*ST*ACME DC 7*92*0007".to_owned(),
        "N3*88 LOGISTICS PKWY".to_owned(),
        "N4*GROVER HEIGHTS*IN*46299*US".to_owned(),
    ];
    let mut hash = rust_decimal::Decimal::ZERO;
    for (i, (qty, sku)) in lines.iter().enumerate() {
        body.push(format!("PO1*{}*{qty}*EA*12.50**VN*{sku}", i + 1));
        hash += qty.parse::<rust_decimal::Decimal>().unwrap_or_default();
    }
    body.push(format!("CTT*{}*{hash}", lines.len()));
    body.push(format!("SE*{}*0001", body.len() + 1));
    let mut s = format!(
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*TALLYCO        *240311*0915*U*00401*{control:09}*0*P*>~\nGS*PO*ACME*TALLYCO*20240311*0915*{control}*X*004010~\n"
    );
    for seg in body {
        s.push_str(&seg);
        s.push_str("~\n");
    }
    s.push_str(&format!("GE*1*{control}~\nIEA*1*{control:09}~\n"));
    s
}

/// A small Shopify export: one order per (name, SKU, quantity).
pub fn shopify(orders: &[(&str, &str, u32)]) -> String {
    let mut s = String::from(
        "Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Shipping Name,Shipping Street,Shipping City,Shipping Zip,Shipping Province,Shipping Country\n",
    );
    for (name, sku, qty) in orders {
        s.push_str(&format!(
            "{name},a@example.com,paid,USD,{t}.00,0.00,0.00,{t}.00,2024-03-11 09:15:42 -0500,{qty},Mug,10.00,{sku},Pat Doe,1 Main St,Springfield,12345,IL,US\n",
            t = qty * 10
        ));
    }
    s
}

pub const CHANNELS: &str = r#"
[channel.acme]
format = "x12"
inbound = "drop/acme"
partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"

[channel.shop]
format = "feed"
inbound = "drop/shop"
profile = "shopify-orders"
"#;

impl Env {
    pub fn new(channels: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env { dir };
        env.write_config(channels);
        env
    }

    pub fn write_config(&self, channels: &str) {
        let text = format!(
            "[paths]\nwork = \"work\"\nerp_inbox = \"inbox\"\n\n[run]\nsettle_seconds = 0\n{channels}"
        );
        std::fs::write(self.config(), text).expect("config");
        for line in channels.lines() {
            if let Some(p) = line.strip_prefix("inbound = \"") {
                std::fs::create_dir_all(self.path(p.trim_end_matches('"'))).expect("drop dir");
            }
        }
    }

    /// A path in the test's folder. Run folders and ERP files carry the time their run
    /// started (`run-000001-20261202T183512.345Z`); a component written without it
    /// (`run-000001`) names the one that exists with it.
    pub fn path(&self, rel: &str) -> PathBuf {
        let mut p = self.dir.path().to_path_buf();
        for c in rel.split('/') {
            let direct = p.join(c);
            if direct.exists() {
                p = direct;
                continue;
            }
            let tagged = std::fs::read_dir(&p).ok().and_then(|rd| {
                rd.flatten()
                    .find(|e| untag(&e.file_name().to_string_lossy()) == c)
                    .map(|e| e.path())
            });
            p = tagged.unwrap_or(direct);
        }
        p
    }

    pub fn config(&self) -> PathBuf {
        self.path("tallyman.toml")
    }

    pub fn drop_file(&self, channel: &str, name: &str, content: &str) {
        let p = self.path(&format!("drop/{channel}/{name}"));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(p, content).expect("drop");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tallyman"));
        c.args(args).current_dir(self.dir.path());
        c.env_remove("TALLYMAN_CRASH_AFTER");
        c
    }

    pub fn tallyman(&self, args: &[&str]) -> Ran {
        Ran::from(self.command(args).output().expect("run tallyman"))
    }

    pub fn run(&self, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "--config", "tallyman.toml"];
        args.extend_from_slice(extra);
        self.tallyman(&args)
    }

    /// Every file under `rel`, relative to it, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let root = self.path(rel);
        let mut out: Vec<String> = walk(&root)
            .into_iter()
            .map(|p| {
                p.strip_prefix(&root)
                    .expect("under root")
                    .to_string_lossy()
                    .into_owned()
            })
            .map(|n| untag(&n))
            .collect();
        out.sort();
        out
    }

    /// Every document in the final ERP JSON Lines files, in file-name order.
    pub fn erp_documents(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for f in self.files("inbox") {
            if f.ends_with(".jsonl") && !f.starts_with('.') {
                let text = std::fs::read_to_string(self.path(&format!("inbox/{f}"))).expect("read");
                out.extend(
                    text.lines()
                        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")),
                );
            }
        }
        out
    }

    /// Runs with `TALLYMAN_CRASH_AFTER=k`; true when the run died at its k-th crash point.
    pub fn run_crashing_at(&self, k: usize) -> bool {
        let out = self
            .command(&["run", "--config", "tallyman.toml"])
            .env("TALLYMAN_CRASH_AFTER", k.to_string())
            .output()
            .expect("run tallyman");
        out.status.code().is_none()
    }

    /// Takes the work directory's run lock from this (test) process, as another run would,
    /// with `contents` in the lock file; the lock is held until the file is dropped.
    pub fn hold_lock(&self, contents: &str) -> std::fs::File {
        use std::io::Write;
        let work = self.path("work");
        std::fs::create_dir_all(&work).expect("work dir");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(work.join("lock"))
            .expect("lock file");
        f.try_lock().expect("the lock is free");
        f.write_all(contents.as_bytes()).expect("lock contents");
        f
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

/// A name with its run's start time taken out: `run-000001-20261202T183512.345Z-order.csv` is
/// `run-000001-order.csv`.
pub fn untag(name: &str) -> String {
    let mut out = String::new();
    let mut rest = name;
    while let Some(i) = rest.find("run-") {
        let (before, after) = rest.split_at(i + 4);
        out.push_str(before);
        let b = after.as_bytes();
        // `-20261202T183512.345Z`
        let stamp = |s: &[u8]| {
            s.len() >= 21
                && s[0] == b'-'
                && s[1..9].iter().all(u8::is_ascii_digit)
                && s[9] == b'T'
                && s[10..16].iter().all(u8::is_ascii_digit)
                && s[16] == b'.'
                && s[17..20].iter().all(u8::is_ascii_digit)
                && s[20] == b'Z'
        };
        if b.len() >= 6 && b[..6].iter().all(u8::is_ascii_digit) && stamp(&b[6..]) {
            out.push_str(&after[..6]);
            rest = &after[27..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `(channel, kind, number)` of each document.
pub fn identities(docs: &[serde_json::Value]) -> Vec<(String, String, String)> {
    docs.iter()
        .map(|d| {
            let number = d["order_number"]
                .as_str()
                .or(d["invoice_number"].as_str())
                .or(d["shipment_id"].as_str())
                .unwrap_or_default();
            (
                d["source"]["channel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                d["type"].as_str().unwrap_or_default().to_owned(),
                number.to_owned(),
            )
        })
        .collect()
}

/// ERP exports for the batch's orders in `outbox/acme`: two ship notices and an invoice that
/// are sent, and a ship notice over the ordered quantity that is held.
pub fn write_exports(env: &Env) {
    let asn = |number: &str, po: &str, qty: u32| {
        format!(
            r#"{{"type":"ship_notice","shipment_id":"{number}","ship_date":"2024-03-14","ship_time":"14:30:00","purpose":"original","order_refs":["{po}"],"lines":[{{"line_number":"1","quantity":"{qty}","unit":"EA","item_ids":{{"vendor_part":"SKU-1"}}}}]}}"#
        )
    };
    let invoice = r#"{"type":"invoice","invoice_number":"INV-1","invoice_date":"2024-03-15","purpose":"original","order_number":"PO-1","currency":"USD","lines":[{"line_number":"1","quantity":"2","unit":"EA","unit_price":"12.50","item_ids":{"vendor_part":"SKU-1"}}],"total_amount":"25.00"}"#;
    let dir = env.path("outbox/acme");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("01-asn.jsonl"),
        format!("{}\n{}\n", asn("SH-1", "PO-1", 2), asn("SH-2", "PO-2", 3)),
    )
    .unwrap();
    std::fs::write(
        dir.join("02-more.jsonl"),
        format!("{invoice}\n{}\n", asn("SH-3", "PO-2", 1)),
    )
    .unwrap();
}
