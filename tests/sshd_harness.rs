//! The throw-away OpenSSH server the SFTP tests use (tests/sshd/mod.rs, scripts/sshd.sh),
//! checked with OpenSSH's own client: who may log in, what the login user may do in data(), and
//! the failures the harness stages (new host key, dropped connections, a server that dies).

mod sshd;

use sshd::Sshd;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[track_caller]
fn ok(server: &Sshd, batch: &str) -> Output {
    let out = server.sftp(&server.client_key(), batch);
    assert!(
        out.status.success(),
        "{}\nsshd's log:\n{}",
        text(&out),
        server.log()
    );
    out
}

#[track_caller]
fn refused(server: &Sshd, key: &std::path::Path, why: &str) {
    let out = server.sftp(key, "pwd\n");
    assert!(!out.status.success(), "should fail: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(why),
        "expected {why:?}: {}",
        text(&out)
    );
}

/// Polls `cond` every 20 ms for up to 5 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process is gone once it has exited (a zombie waiting to be reaped counts as gone).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn listener_pid(server: &Sshd) -> u32 {
    std::fs::read_to_string(server.dir().join("sshd.pid"))
        .expect("sshd.pid")
        .trim()
        .parse()
        .expect("pid")
}

/// An sftp session held open (its batch on a pipe not yet closed), once it has logged in.
fn open_session(server: &Sshd) -> std::process::Child {
    let logins = server.log().matches("Accepted publickey").count();
    let child = server
        .sftp_command(&server.client_key())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sftp");
    eventually("the session to log in", || {
        server.log().matches("Accepted publickey").count() > logins
            && !server.connection_pids().is_empty()
    });
    child
}

/// The held session's next command fails: its connection is gone. (A client blocked on reading
/// its batch may not notice on its own.)
#[track_caller]
fn assert_session_lost(session: &mut std::process::Child) {
    let mut stdin = session.stdin.take().expect("stdin");
    // `ls` goes to the server (`pwd` would not); a write error means sftp already quit.
    let _ = stdin.write_all(b"ls\n");
    drop(stdin);
    let mut status = None;
    eventually("the client to give up", || {
        status = session.try_wait().expect("sftp");
        status.is_some()
    });
    assert!(
        !status.expect("exited").success(),
        "the session still works"
    );
}

#[test]
fn client_key_logs_in_and_may_put_rename_and_remove_in_data() {
    let Some(server) = Sshd::start() else { return };
    let data = server.data();
    assert!(data.is_absolute() && data.is_dir());
    assert_eq!(
        server.url("outgoing"),
        format!(
            "sftp://{}@127.0.0.1:{}{}/outgoing",
            server.user(),
            server.port(),
            data.display()
        )
    );
    assert_eq!(server.url("/outgoing"), server.url("outgoing"));
    let known = std::fs::read_to_string(server.known_hosts()).expect("known_hosts");
    assert_eq!(known.trim_end(), server.host_key_line());

    server.put("incoming/po.edi", b"ISA*00~");
    server.mkdir("outgoing/archive");
    let local = tempfile::tempdir().expect("tempdir");
    let upload = local.path().join("upload.edi");
    std::fs::write(&upload, b"GS*PO~").expect("upload");
    let got = local.path().join("got.edi");
    // The session starts in data(); absolute paths are this machine's own.
    ok(
        &server,
        &format!(
            "pwd\nget incoming/po.edi {got}\ncd {data}/outgoing\nput {upload} po.edi.part\n\
             rename po.edi.part po.edi\nrename po.edi archive/po.edi\nrm {data}/incoming/po.edi\n",
            got = got.display(),
            data = data.display(),
            upload = upload.display()
        ),
    );
    assert_eq!(std::fs::read(&got).expect("got"), b"ISA*00~");
    assert!(!data.join("incoming/po.edi").exists());
    assert!(!data.join("outgoing/po.edi.part").exists());
    let archived = data.join("outgoing/archive/po.edi");
    assert_eq!(std::fs::read(&archived).expect("archived"), b"GS*PO~");
    let owner = std::fs::metadata(&archived).expect("metadata").uid();
    let user_owns_data = std::fs::metadata(&data).expect("metadata").uid();
    assert_eq!(
        owner, user_owns_data,
        "the upload belongs to the login user"
    );
}

#[test]
fn other_key_is_refused() {
    let Some(server) = Sshd::start() else { return };
    refused(
        &server,
        &server.other_key(),
        "Permission denied (publickey)",
    );
    ok(&server, "pwd\n");
}

#[test]
fn a_new_host_key_fails_strict_checking_on_the_same_port() {
    let Some(server) = Sshd::start() else { return };
    let (port, line) = (server.port(), server.host_key_line());
    ok(&server, "pwd\n");
    server.rekey();
    assert_eq!(server.port(), port);
    assert_ne!(server.host_key_line(), line);
    refused(
        &server,
        &server.client_key(),
        "Host key verification failed",
    );
    // The new key, once known, is accepted.
    std::fs::write(server.known_hosts(), server.host_key_line() + "\n").expect("known_hosts");
    ok(&server, "pwd\n");
}

#[test]
fn dropped_connections_end_open_sessions_and_the_listener_stays() {
    let Some(server) = Sshd::start() else { return };
    let listener = listener_pid(&server);
    let mut session = open_session(&server);
    let pids = server.connection_pids();
    server.drop_connections();
    assert!(pids.iter().all(|&p| gone(p)), "{pids:?} outlived drop");
    assert!(server.connection_pids().is_empty());
    assert!(!gone(listener), "the listener is still up");
    assert_session_lost(&mut session);
    ok(&server, "pwd\n");
}

#[test]
fn a_killed_server_refuses_and_comes_back_with_its_identity() {
    let Some(server) = Sshd::start() else { return };
    let (port, line) = (server.port(), server.host_key_line());
    let mut session = open_session(&server);
    let mut pids = server.connection_pids();
    pids.push(listener_pid(&server));
    server.kill();
    assert!(pids.iter().all(|&p| gone(p)), "{pids:?} outlived kill");
    assert_session_lost(&mut session);
    refused(&server, &server.client_key(), "Connection refused");
    server.start_again();
    assert_eq!((server.port(), server.host_key_line()), (port, line));
    ok(&server, "pwd\n");
}

#[test]
fn stop_ends_every_process_and_may_be_repeated() {
    let Some(server) = Sshd::start() else { return };
    let mut session = open_session(&server);
    let mut pids = server.connection_pids();
    pids.push(listener_pid(&server));
    server.stop();
    assert!(pids.iter().all(|&p| gone(p)), "{pids:?} outlived stop");
    assert!(!server.dir().join("sshd.pid").exists());
    server.stop();
    assert_session_lost(&mut session);
    refused(&server, &server.client_key(), "Connection refused");
}

#[test]
fn servers_started_at_once_get_their_own_ports() {
    let servers: Vec<Option<Sshd>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(Sshd::start)).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("start"))
            .collect()
    });
    let servers: Vec<Sshd> = servers.into_iter().flatten().collect();
    let mut ports: Vec<u16> = servers.iter().map(Sshd::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
    for server in &servers {
        ok(server, "pwd\n");
    }
}
