//! SFTP drop folders against a real OpenSSH server on loopback (`tests/sshd`): pulling,
//! pushing, trust, and the faults a scheduled run meets (a server down, killed or dropping the
//! connection, keys unknown or changed, folders we may not read, files still being written,
//! links and hostile names).

mod batch;
mod sshd;

use batch::{Env, po, shopify};
use sshd::Sshd;
use std::path::Path;
use std::time::{Duration, Instant};

/// An X12 channel reading and answering over SFTP (`in`, `out` on the server), and a local
/// Shopify channel beside it, which must go on whatever the server does.
fn setup(s: &Sshd, extra: &str) -> Env {
    s.mkdir("in");
    s.mkdir("out");
    let env = Env::new(&channels(s, extra));
    env.drop_file("shop", "orders.csv", &shopify(&[("#1001", "MUG-1", 2)]));
    env
}

fn channels(s: &Sshd, extra: &str) -> String {
    format!(
        r#"
[channel.acme]
format = "x12"
inbound = "{inbound}"
outbound = "{outbound}"
partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"
acks = "997"
ssh_key = "{key}"
known_hosts = "{known}"
sftp_timeout = "5s"
sftp_retries = 2
sftp_retry_delay = "200ms"
{extra}

[channel.shop]
format = "feed"
inbound = "drop/shop"
profile = "shopify-orders"
"#,
        inbound = s.url("in"),
        outbound = s.url("out"),
        key = s.client_key().display(),
        known = s.known_hosts().display(),
    )
}

/// File names in a server folder, sorted (hidden ones too).
fn remote(s: &Sshd, rel: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.data().join(rel))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn kinds(env: &Env) -> Vec<String> {
    let mut v: Vec<String> = env
        .erp_documents()
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["source"]["channel"].as_str().unwrap_or("?"),
                d["order_number"].as_str().unwrap_or("?")
            )
        })
        .collect();
    v.sort();
    v
}

macro_rules! server {
    () => {
        match Sshd::start() {
            Some(s) => s,
            None => return,
        }
    };
}

#[test]
fn pulls_acknowledges_and_delivers_over_sftp_once() {
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    s.put(
        "in/sub/po-2.edi",
        po(2, "PO-2", &[("3", "SKU-2")]).as_bytes(),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, s.log());
    assert_eq!(kinds(&env), ["acme/PO-1", "acme/PO-2", "shop/#1001"]);
    // Inputs removed from the server once the run committed; acks delivered, no temporary
    // upload left, nothing waiting locally.
    assert_eq!(remote(&s, "in"), ["sub"]);
    assert!(remote(&s, "in/sub").is_empty());
    let out = remote(&s, "out");
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        out.iter()
            .all(|n| n.starts_with("acme-997-") && n.ends_with(".x12"))
    );
    assert!(env.files("work/outgoing/acme").is_empty());
    assert!(
        r.stderr.contains("delivered 2 files to sftp://"),
        "{}",
        r.stderr
    );
    let first = std::fs::read(s.data().join("out").join(&out[0])).unwrap();
    assert!(first.starts_with(b"ISA*") && first.windows(6).any(|w| w == b"ST*997"));
    // The delivered copies are kept with the run.
    assert_eq!(
        env.files("work/archive/run-000001/@delivered/acme").len(),
        2
    );

    // Nothing new: nothing read, nothing sent again.
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(remote(&s, "out"), out);
    assert_eq!(kinds(&env).len(), 3);
}

#[test]
fn an_unknown_host_key_is_refused_with_its_fingerprint_and_the_line_to_add() {
    let s = server!();
    let env = setup(&s, "");
    let empty = env.path("known_hosts");
    std::fs::write(&empty, "").unwrap();
    let text = std::fs::read_to_string(env.config()).unwrap().replace(
        &s.known_hosts().display().to_string(),
        &empty.display().to_string(),
    );
    std::fs::write(env.config(), text).unwrap();
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("offered a host key that") && r.stderr.contains("does not know"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("SHA256:"), "{}", r.stderr);
    let line = s.host_key_line();
    let key = line.split_whitespace().nth(2).unwrap();
    assert!(r.stderr.contains(key), "the line to add: {}", r.stderr);
    // Nothing was read from the server, and the other channel went on.
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
    assert_eq!(kinds(&env), ["shop/#1001"]);
}

#[test]
fn a_changed_host_key_is_refused_before_anything_is_sent() {
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    s.rekey();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("CHANGED"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("ssh-keygen -R '[127.0.0.1]:{}'", s.port())),
        "{}",
        r.stderr
    );
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
    assert_eq!(kinds(&env), ["shop/#1001"]);
}

#[test]
fn a_key_the_server_does_not_take_is_a_plain_refusal() {
    let s = server!();
    let env = setup(&s, "");
    let text = std::fs::read_to_string(env.config()).unwrap().replace(
        &s.client_key().display().to_string(),
        &s.other_key().display().to_string(),
    );
    std::fs::write(env.config(), text).unwrap();
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let started = Instant::now();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("refused to log in") && r.stderr.contains("authorized_keys"),
        "{}",
        r.stderr
    );
    // A refusal is not retried.
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
    assert_eq!(kinds(&env), ["shop/#1001"]);
}

#[test]
fn secrets_are_never_logged_even_at_trace_level() {
    let s = server!();
    let env = setup(&s, "password_env = \"ACME_SFTP_PASSWORD\"");
    // A key the server does not take, so the password is offered too, and refused.
    let text = std::fs::read_to_string(env.config()).unwrap().replace(
        &s.client_key().display().to_string(),
        &s.other_key().display().to_string(),
    );
    std::fs::write(env.config(), text).unwrap();
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let secret = "s3cret-Pa55word-never-logged";
    for format in ["json", "text"] {
        let out = env
            .command(&["run", "--config", "tallyman.toml", "--log-format", format])
            .env("ACME_SFTP_PASSWORD", secret)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        // Trace level was on: the connection was logged, and its failure.
        assert!(stderr.contains("connecting to SFTP server"), "{stderr}");
        assert!(stderr.contains("refused to log in"), "{stderr}");
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "{stderr}"
        );
    }
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
}

#[test]
fn permission_denied_on_the_remote_folders_is_said_and_nothing_is_lost() {
    use std::os::unix::fs::PermissionsExt;
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let set = |rel: &str, mode: u32| {
        std::fs::set_permissions(s.data().join(rel), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set("in", 0o000);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("channel acme: cannot list") && r.stderr.contains("permission denied"),
        "{}",
        r.stderr
    );
    assert_eq!(kinds(&env), ["shop/#1001"]);

    // The drop folder readable again, the outbound one not writable: the ack waits here.
    set("in", 0o755);
    set("out", 0o555);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("permission denied"), "{}", r.stderr);
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
    assert!(remote(&s, "out").is_empty());
    assert_eq!(env.files("work/outgoing/acme").len(), 1);

    set("out", 0o755);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = remote(&s, "out");
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].starts_with("acme-997-"));
    assert!(env.files("work/outgoing/acme").is_empty());
}

/// A file large enough that a transfer is still under way when the test acts on it.
fn big(n: usize) -> Vec<u8> {
    (0..n).map(|i| b"0123456789ABCDEF"[i * 7 % 16]).collect()
}

/// Puts `data` on the server as `in/big.bin` and starts a run, returning once the run is
/// downloading it.
fn run_downloading(s: &Sshd, env: &Env, data: &[u8]) -> std::process::Child {
    s.put("in/big.bin", data);
    let child = env
        .command(&["run", "--config", "tallyman.toml"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_download(s, env);
    child
}

/// Waits until the run has a connection open and has started writing a staged copy.
fn wait_for_download(s: &Sshd, env: &Env) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let staged = batch::walk(&env.path("work/staging")).into_iter().any(|p| {
            p.to_string_lossy().contains("big.bin") && p.metadata().is_ok_and(|m| m.len() > 0)
        });
        if staged && !s.connection_pids().is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no download started");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_dropped_connection_is_retried_and_the_download_completes() {
    let s = server!();
    let env = setup(&s, "");
    let data = big(96 << 20);
    let child = run_downloading(&s, &env, &data);
    s.drop_connections();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Read in full on a new connection: not an EDI file, so quarantined whole, and removed
    // from the server.
    assert!(!stderr.contains("is not read"), "{stderr}");
    let stored = env.path("work/quarantine/run-000001/acme/big.bin");
    assert_eq!(
        std::fs::metadata(&stored).map(|m| m.len()).ok(),
        Some(data.len() as u64),
        "{stderr}"
    );
    assert!(remote(&s, "in").is_empty(), "{stderr}");
    // A run uses one pooled connection throughout: a second login is the retry.
    let logins = s.log().matches("Accepted publickey").count();
    assert!(
        logins >= 2,
        "no new connection after the drop:\n{}",
        s.log()
    );
}

#[test]
fn a_server_killed_mid_download_leaves_the_file_for_the_next_run() {
    let s = server!();
    let env = setup(&s, "");
    let data = big(96 << 20);
    let child = run_downloading(&s, &env, &data);
    s.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("big.bin is not read"), "{stderr}");
    assert!(
        stderr.contains("cannot connect") || stderr.contains("connection"),
        "{stderr}"
    );
    // The local channel went on; the remote file is as it was.
    assert_eq!(kinds(&env), ["shop/#1001"]);
    assert_eq!(std::fs::read(s.data().join("in/big.bin")).unwrap(), data);

    s.start_again();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "quarantined, not an EDI file: {}", r.stderr);
    assert!(remote(&s, "in").is_empty(), "{}", r.stderr);
    assert_eq!(
        std::fs::metadata(env.path("work/quarantine/run-000002/acme/big.bin"))
            .unwrap()
            .len(),
        data.len() as u64
    );
}

#[test]
fn a_server_killed_mid_upload_gets_the_file_once_when_it_is_back() {
    use tallyman::transport::sftp::{Location, Server, Settings, push};
    let s = server!();
    s.mkdir("out");
    let local = tempfile::tempdir().unwrap();
    let outgoing = local.path().join("outgoing");
    std::fs::create_dir_all(&outgoing).unwrap();
    let data = big(128 << 20);
    std::fs::write(outgoing.join("big.x12"), &data).unwrap();
    let loc = Location::parse(&s.url("out")).unwrap();
    let mut settings = Settings::new(Some(s.client_key()), s.known_hosts());
    settings.retries = 1;
    settings.retry_delay = Duration::from_millis(100);
    settings.timeout = Duration::from_secs(5);
    let server = Server::new(&loc, settings.clone());
    let delivered = local.path().join("delivered");
    let pushing = {
        let (server, loc, outgoing, delivered) = (
            server.clone(),
            loc.clone(),
            outgoing.clone(),
            delivered.clone(),
        );
        std::thread::spawn(move || push::push(&server, &loc, &outgoing, &delivered, &|_| {}))
    };
    let part = s.data().join("out/.big.x12.part");
    let deadline = Instant::now() + Duration::from_secs(60);
    while part.metadata().map_or(0, |m| m.len()) == 0 {
        assert!(Instant::now() < deadline, "no upload started");
        std::thread::sleep(Duration::from_millis(2));
    }
    s.kill();
    let pushed = pushing.join().unwrap();
    let err = pushed.error.expect("the server died");
    assert!(err.transient(), "{err}");
    assert!(pushed.delivered.is_empty());
    // Nothing delivered, nothing marked: the whole file waits here.
    assert!(!s.data().join("out/big.x12").exists());
    assert_eq!(std::fs::read(outgoing.join("big.x12")).unwrap(), data);

    s.start_again();
    let server = Server::new(&loc, settings);
    let done = push::push(&server, &loc, &outgoing, &delivered, &|_| {});
    assert!(done.error.is_none(), "{:?}", done.error);
    assert_eq!(done.delivered, ["big.x12"]);
    assert!(done.problems.is_empty(), "{:?}", done.problems);
    assert_eq!(remote(&s, "out"), ["big.x12"], "the partial upload is gone");
    assert_eq!(std::fs::read(s.data().join("out/big.x12")).unwrap(), data);
    assert!(!outgoing.join("big.x12").exists());
    assert_eq!(std::fs::read(delivered.join("big.x12")).unwrap(), data);
    // Once: a second push finds nothing to do.
    let again = push::push(&server, &loc, &outgoing, &delivered, &|_| {});
    assert!(again.delivered.is_empty());
}

/// A panic inside a pooled operation (a bug of ours, caught by the run's per-file guard) gives
/// its connection's slot back: with one connection allowed, the next operation still gets one
/// instead of waiting forever.
#[test]
fn a_panic_in_a_pooled_operation_gives_its_connection_back() {
    use tallyman::transport::sftp::{Location, Server, Settings};
    let s = server!();
    s.mkdir("in");
    let loc = Location::parse(&s.url("in")).unwrap();
    let mut settings = Settings::new(Some(s.client_key()), s.known_hosts());
    settings.connections = 1;
    let server = Server::new(&loc, settings);
    // On a thread of its own: without the slot given back, the second panic's call would
    // already wait forever.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..2 {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                server.with(|_| -> Result<(), tallyman::transport::sftp::Error> {
                    panic!("a bug inside an SFTP operation")
                })
            }));
            assert!(panicked.is_err());
        }
        tx.send(server.with(|_| Ok(())).is_ok())
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(60)),
        Ok(true),
        "an operation after the panics got no connection"
    );
}

#[test]
fn a_name_taken_on_the_server_is_never_replaced() {
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    // The partner's own file where our first ack would go.
    s.put("out/acme-997-000000001.x12", b"theirs");
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(s.data().join("out/acme-997-000000001.x12")).unwrap(),
        b"theirs"
    );
    assert_eq!(env.files("work/outgoing/acme").len(), 1);
}

#[test]
fn a_remote_file_still_growing_is_left_for_the_next_run() {
    let s = server!();
    let env = setup(&s, "");
    let text = std::fs::read_to_string(env.config())
        .unwrap()
        .replace("settle_seconds = 0", "settle_seconds = 1.5");
    std::fs::write(env.config(), text).unwrap();
    let body = po(1, "PO-1", &[("2", "SKU-1")]);
    let (head, tail) = body.split_at(body.len() / 2);
    s.put("in/po-1.edi", head.as_bytes());
    let path = s.data().join("in/po-1.edi");
    let writer = {
        let (path, tail) = (path.clone(), tail.to_owned());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(tail.as_bytes()).unwrap();
        })
    };
    let r = env.run(&[]);
    writer.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("left for the next run (still being written): acme/po-1.edi"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), body);
    std::thread::sleep(Duration::from_millis(1600));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
    assert!(remote(&s, "in").is_empty());
}

#[test]
fn remote_links_and_hostile_names_are_reported_and_left_where_they_are() {
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    s.put(
        "in/evil\nwrote ERP file x.edi",
        po(2, "PO-2", &[("1", "SKU-1")]).as_bytes(),
    );
    std::os::unix::fs::symlink("/etc/passwd", s.data().join("in/link.edi")).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("link.edi is a symbolic link"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("evil\\nwrote ERP file x.edi has a name with a control character"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("evil\nwrote"),
        "printed escaped: {}",
        r.stderr
    );
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
    assert_eq!(remote(&s, "in"), ["evil\nwrote ERP file x.edi", "link.edi"]);
    assert_eq!(
        std::fs::read_to_string("/etc/passwd")
            .map(|t| t.is_empty())
            .ok(),
        Some(false)
    );
    assert!(
        env.files("work/archive")
            .iter()
            .all(|f| !f.contains("passwd") && !f.contains("link"))
    );
}

#[test]
fn remote_archive_keeps_what_was_read_on_the_server() {
    let s = server!();
    // Made when missing.
    let archive = s.data().join("done/acme");
    let env = setup(&s, &format!("remote_archive = \"{}\"", archive.display()));
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(remote(&s, "in").is_empty());
    // The same name again in a later run: both kept.
    s.put("in/po-1.edi", po(2, "PO-2", &[("1", "SKU-1")]).as_bytes());
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(remote(&s, "done/acme"), ["po-1.edi", "po-1.edi~2"]);
    assert!(remote(&s, "in").is_empty());
}

#[test]
fn a_server_that_is_down_stops_only_its_channel() {
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    s.stop();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("channel acme: cannot list sftp://")
            && r.stderr.contains("cannot connect to"),
        "{}",
        r.stderr
    );
    assert_eq!(kinds(&env), ["shop/#1001"]);
}

#[test]
fn configuration_mistakes_are_refused_with_their_key() {
    let base = Path::new("/srv/t");
    let parse = |channel: &str| {
        tallyman::config::Config::parse(
            &format!("[paths]\nwork = \"w\"\nerp_inbox = \"e\"\n\n[channel.a]\nformat = \"x12\"\n{channel}"),
            base,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let e = parse("inbound = \"drop\"\nssh_key = \"k\"\n").unwrap_err();
    assert!(e.contains("channel.a.ssh_key: applies only to"), "{e}");
    let e = parse("inbound = \"sftp://u:pw@h/in\"\nssh_key = \"k\"\n").unwrap_err();
    assert!(e.contains("a password never goes in the URL"), "{e}");
    let e = parse("inbound = \"sftp://u@h/in\"\n").unwrap_err();
    assert!(
        e.contains("channel.a.ssh_key") && e.contains("needs ssh_key"),
        "{e}"
    );
    let e = parse("inbound = \"sftp://u@h/in\"\nssh_key = \"k\"\nremote_archive = \"/in/done\"\n")
        .unwrap_err();
    assert!(e.contains("inside the drop folder"), "{e}");
    let e = parse("inbound = \"sftp://u@h/in\"\nssh_key = \"k\"\npassword_env = \"hunter 2\"\n")
        .unwrap_err();
    assert!(
        e.contains("never the secret itself") && !e.contains("hunter"),
        "{e}"
    );
    let e = parse("inbound = \"ftp://h/in\"\n").unwrap_err();
    assert!(e.contains("only local folders and sftp:// URLs"), "{e}");
    assert!(parse("inbound = \"sftp://u@h:2222/in\"\nssh_key = \"k\"\nremote_archive = \"/in/.done\"\nsftp_timeout = \"10s\"\n").is_ok());
}

#[test]
fn a_key_with_a_passphrase_reads_it_from_the_environment_and_never_says_it() {
    let s = server!();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("locked_ed25519");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "correct horse", "-C", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let authorized = s.dir().join("authorized_keys");
    let mut all = std::fs::read_to_string(&authorized).unwrap();
    all.push_str(&public);
    std::fs::write(&authorized, all).unwrap();
    let env = setup(&s, "ssh_key_passphrase_env = \"TALLYMAN_TEST_PASSPHRASE\"");
    let text = std::fs::read_to_string(env.config()).unwrap().replace(
        &s.client_key().display().to_string(),
        &key.display().to_string(),
    );
    std::fs::write(env.config(), text).unwrap();
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let run = |passphrase: Option<&str>| {
        let mut c = env.command(&["run", "--config", "tallyman.toml"]);
        match passphrase {
            Some(p) => c.env("TALLYMAN_TEST_PASSPHRASE", p),
            None => c.env_remove("TALLYMAN_TEST_PASSPHRASE"),
        };
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(None);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the environment variable TALLYMAN_TEST_PASSPHRASE is not set"),
        "{stderr}"
    );
    let (code, stderr) = run(Some("wrong horse"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("could not be used"), "{stderr}");
    assert!(
        !stderr.contains("wrong horse"),
        "the secret is never printed: {stderr}"
    );
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
    let (code, stderr) = run(Some("correct horse"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("correct horse"));
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
    for run in 1..=3 {
        let report =
            std::fs::read_to_string(env.path(&format!("work/reports/run-{run:06}.json"))).unwrap();
        assert!(!report.contains("horse"), "run {run}'s report");
    }
}

#[test]
fn an_input_the_login_may_not_remove_fails_the_run_and_says_what_to_ask_for() {
    use std::os::unix::fs::PermissionsExt;
    let s = server!();
    let env = setup(&s, "");
    s.put("in/po-1.edi", po(1, "PO-1", &[("2", "SKU-1")]).as_bytes());
    let set = |mode: u32| {
        std::fs::set_permissions(s.data().join("in"), std::fs::Permissions::from_mode(mode))
            .unwrap()
    };
    // Readable, not writable: listed and read, but neither renamed nor removed.
    set(0o555);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("could not be removed from the server")
            && r.stderr.contains("keep_inputs = true"),
        "{}",
        r.stderr
    );
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
    assert_eq!(remote(&s, "in"), ["po-1.edi"]);
    // Once the partner grants it, the next run recognizes the file and removes it.
    set(0o755);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(remote(&s, "in").is_empty(), "{}", r.stderr);
    assert_eq!(kinds(&env), ["acme/PO-1", "shop/#1001"]);
}

#[test]
fn a_file_an_interrupted_removal_left_hidden_is_put_back_and_finished() {
    let s = server!();
    let env = setup(&s, "");
    let body = po(1, "PO-1", &[("2", "SKU-1")]);
    s.put("in/po-1.edi", body.as_bytes());
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // As if a run had moved the file aside and died before removing it.
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    };
    s.put(
        &format!("in/.po-1.edi.{}.tallyman-done", &sha[..12]),
        body.as_bytes(),
    );
    // And one whose name a new file took meanwhile: both are left, and said.
    s.put("in/po-2.edi", po(2, "PO-2", &[("1", "SKU-1")]).as_bytes());
    s.put("in/.po-2.edi.0123456789ab.tallyman-done", b"older");
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("a new po-2.edi arrived since"),
        "{}",
        r.stderr
    );
    assert_eq!(remote(&s, "in"), [".po-2.edi.0123456789ab.tallyman-done"]);
    assert_eq!(kinds(&env), ["acme/PO-1", "acme/PO-2", "shop/#1001"]);
}
