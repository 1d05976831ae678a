//! What a packager and an administrator get: shell completions, the man page, the exit codes in
//! `--help`, the systemd units in `packaging/` and the cron line in the README (the README
//! shows the units' text, and must show the files' text exactly).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tallyman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args(args)
        .output()
        .expect("run tallyman")
}

fn stdout(args: &[&str]) -> String {
    let out = tallyman(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "tallyman {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Whether `program` is on PATH.
fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// The commands `--help` lists for the command at `path`, without `help`.
fn commands_of(path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let help = stdout(&args);
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command below `tallyman`, as paths: `["run"]`, `["ledger", "list"]`...
fn every_command() -> Vec<Vec<String>> {
    let mut all = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        for sub in commands_of(&names) {
            let mut p = path.clone();
            p.push(sub);
            all.push(p.clone());
            todo.push(p);
        }
    }
    all.sort();
    all
}

#[test]
fn the_command_list_is_what_this_test_expects() {
    // A new command is covered by the tests below without a change here; this pins that the
    // help parsing above finds them at all.
    let all = every_command();
    for expected in [
        vec!["run"],
        vec!["ledger", "outbound"],
        vec!["completions"],
        vec!["man"],
    ] {
        assert!(
            all.iter().any(|p| p == &expected),
            "{expected:?} not in {all:?}"
        );
    }
}

#[test]
fn completions_for_every_shell_name_every_command() {
    let all = every_command();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {script}");
        for path in &all {
            let name = path.last().expect("a name");
            assert!(
                script.contains(name.as_str()),
                "the {shell} completions do not mention {path:?}"
            );
        }
        assert!(
            script.contains("dry-run"),
            "{shell}: options are completed too"
        );
    }
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    for (shell, program, args) in [
        ("bash", "bash", &["-n"][..]),
        ("zsh", "zsh", &["-n"][..]),
        ("fish", "fish", &["--no-execute"][..]),
    ] {
        if !installed(program) {
            eprintln!("{program} is not installed: the {shell} completions are not parsed");
            continue;
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join("tallyman");
        std::fs::write(&file, stdout(&["completions", shell])).expect("write the script");
        let out = Command::new(program)
            .args(args)
            .arg(&file)
            .output()
            .expect("run the shell");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{program} {args:?} on the {shell} completions: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn completions_refuse_an_unknown_shell_with_exit_2() {
    let out = tallyman(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// Checks a man page: groff reads it without a warning when groff is installed; either way
/// every request is one the `man` macros know, and it has the sections a page needs.
fn check_roff(name: &str, page: &str) {
    const REQUESTS: &[&str] = &[
        "TH", "SH", "SS", "TP", "PP", "LP", "P", "IP", "RS", "RE", "B", "I", "BR", "IR", "RB",
        "RI", "br", "sp", "nf", "fi", "ie", "el", "ds", "in", "ti",
    ];
    assert!(
        page.lines().any(|l| l.starts_with(".TH ")),
        "{name}: no .TH"
    );
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "\"EXIT STATUS\"",
    ] {
        assert!(
            page.lines().any(|l| l == format!(".SH {section}")),
            "{name}: no {section} section"
        );
    }
    for line in page.lines().filter(|l| l.starts_with('.')) {
        let request = line[1..].split_whitespace().next().unwrap_or("");
        assert!(
            REQUESTS.contains(&request),
            "{name}: unexpected request {line:?}"
        );
    }
    if !installed("groff") {
        eprintln!("groff is not installed: {name} checked by its requests only");
        return;
    }
    let mut child = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run groff");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write to groff");
    let out = child.wait_with_output().expect("groff ends");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff on {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_man_page_is_roff_and_names_every_command() {
    let page = stdout(&["man"]);
    check_roff("tallyman(1)", &page);
    for path in every_command().iter().filter(|p| p.len() == 1) {
        let reference = format!("tallyman\\-{}(1)", path[0].replace('-', "\\-"));
        assert!(
            page.lines().any(|l| l == reference),
            "tallyman(1) does not list {reference}"
        );
    }
    assert!(page.contains("\\fB2\\fR"), "the exit codes are in the page");
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = tallyman(&["man", "--dir", dir.path().to_str().expect("utf-8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expected = vec!["tallyman.1".to_owned()];
    for path in every_command() {
        expected.push(format!("tallyman-{}.1", path.join("-")));
    }
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read the folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    written.sort();
    assert_eq!(written, expected);
    for name in &written {
        let page = std::fs::read_to_string(dir.path().join(name)).expect("read a page");
        check_roff(name, &page);
    }
    // A subcommand's page says what its own exit codes mean.
    let outbound =
        std::fs::read_to_string(dir.path().join("tallyman-ledger-outbound.1")).expect("read");
    assert!(outbound.contains("overdue"), "{outbound}");
}

/// The `Exit codes:` part at the end of a `--help`: code → meaning (lines joined).
fn exit_codes(help: &str) -> BTreeMap<u8, String> {
    let mut codes = BTreeMap::new();
    let mut last = None;
    for line in help.lines().skip_while(|l| *l != "Exit codes:").skip(1) {
        let rest = line.trim_start();
        let indent = line.len() - rest.len();
        match rest.split_once("  ") {
            Some((code, text)) if indent == 2 => {
                let code: u8 = code.parse().unwrap_or_else(|_| panic!("a code: {line:?}"));
                codes.insert(code, text.to_owned());
                last = Some(code);
            }
            _ => {
                let code = last.unwrap_or_else(|| panic!("a continuation first: {line:?}"));
                let text = codes.get_mut(&code).expect("the code's text");
                text.push(' ');
                text.push_str(rest);
            }
        }
    }
    codes
}

#[test]
fn help_lists_the_exit_codes_of_every_command() {
    let top = exit_codes(&stdout(&["--help"]));
    assert_eq!(top.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
    assert!(top[&2].contains("failed"), "{top:?}");
    for path in every_command() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&args);
        let codes = exit_codes(&help);
        assert!(
            codes.contains_key(&0) && codes.contains_key(&2),
            "tallyman {args:?} lists no exit codes:\n{help}"
        );
        for line in help.lines().skip_while(|l| *l != "Exit codes:") {
            assert!(line.len() <= 80, "wider than 80 columns: {line:?}");
        }
    }
    let run = exit_codes(&stdout(&["run", "--help"]));
    assert!(run[&0].contains("another run holds the lock"), "{run:?}");
    assert!(run[&1].contains("quarantined"), "{run:?}");
    let outbound = exit_codes(&stdout(&["ledger", "outbound", "--help"]));
    assert!(outbound[&1].contains("overdue"), "{outbound:?}");
    let man = exit_codes(&stdout(&["man", "--help"]));
    assert!(!man.contains_key(&1), "man never exits 1: {man:?}");
}

/// A systemd unit file: section → (key, value) in order. Comments and blank lines are skipped;
/// anything else must be a `[Section]` or a `Key=value` inside one.
fn unit(path: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).expect("read the unit");
    let name = path.display();
    let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = || format!("{name}:{}", n + 1);
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(!line.ends_with('\\'), "{}: no continuation lines", at());
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            assert!(
                !sections.contains_key(section),
                "{}: [{section}] twice",
                at()
            );
            sections.insert(section.to_owned(), Vec::new());
            current = Some(section.to_owned());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: not Key=value: {line:?}", at()));
        let key = key.trim();
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()),
            "{}: key {key:?}",
            at()
        );
        let section = current
            .as_ref()
            .unwrap_or_else(|| panic!("{}: a key before any section", at()));
        sections
            .get_mut(section)
            .expect("the current section")
            .push((key.to_owned(), value.trim().to_owned()));
    }
    sections
}

fn values<'a>(
    unit: &'a BTreeMap<String, Vec<(String, String)>>,
    section: &str,
    key: &str,
) -> Vec<&'a str> {
    unit.get(section)
        .map(|kv| {
            kv.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn one<'a>(unit: &'a BTreeMap<String, Vec<(String, String)>>, section: &str, key: &str) -> &'a str {
    match values(unit, section, key)[..] {
        [v] => v,
        ref v => panic!("[{section}] {key}: {v:?}, expected one value"),
    }
}

const SERVICE: &str = "packaging/tallyman.service";
const TIMER: &str = "packaging/tallyman.timer";

#[test]
fn the_service_is_a_hardened_oneshot_run() {
    let s = unit(&root().join(SERVICE));
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        ["Service", "Unit"],
        "started by the timer: no [Install]"
    );
    assert!(!one(&s, "Unit", "Description").is_empty());
    assert_eq!(one(&s, "Service", "Type"), "oneshot");
    assert_eq!(one(&s, "Service", "User"), "tallyman");
    assert_eq!(
        one(&s, "Service", "ExecStart"),
        "/usr/local/bin/tallyman run --config /etc/tallyman/tallyman.toml"
    );
    // Exit 1 is documents quarantined, not the job failing; exit 2 is.
    assert_eq!(one(&s, "Service", "SuccessExitStatus"), "1");
    assert_eq!(one(&s, "Service", "StateDirectory"), "tallyman");
    assert!(!one(&s, "Service", "ReadWritePaths").is_empty());
    assert!(!one(&s, "Service", "TimeoutStartSec").is_empty());
    for (key, value) in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictSUIDSGID", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictNamespaces", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ] {
        assert_eq!(one(&s, "Service", key), value, "[Service] {key}");
    }
    assert!(values(&s, "Service", "SystemCallFilter").contains(&"@system-service"));

    // What it runs is a command line tallyman accepts: a missing configuration is the only
    // complaint.
    let exec = one(&s, "Service", "ExecStart");
    let mut args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    let missing = tempfile::tempdir().expect("a temporary folder");
    let config = missing.path().join("tallyman.toml");
    *args.last_mut().expect("the config path") = config.to_str().expect("utf-8");
    let out = tallyman(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("Usage:"), "not a usage error: {err}");
    assert!(err.contains("tallyman.toml"), "{err}");
}

#[test]
fn the_timer_starts_the_service_every_five_minutes() {
    let t = unit(&root().join(TIMER));
    assert_eq!(one(&t, "Timer", "OnCalendar"), "*:0/5");
    assert_eq!(one(&t, "Timer", "Persistent"), "true");
    assert_eq!(one(&t, "Timer", "Unit"), "tallyman.service");
    assert_eq!(one(&t, "Install", "WantedBy"), "timers.target");
}

#[test]
fn systemd_analyze_verifies_the_units() {
    if !installed("systemd-analyze") {
        eprintln!(
            "systemd-analyze is not installed: the units are checked as INI only \
             (the_service_is_a_hardened_oneshot_run, the_timer_starts_the_service_every_five_minutes)"
        );
        return;
    }
    // verify wants ExecStart's program to exist: the one just built stands in for the
    // installed /usr/local/bin/tallyman.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let service = std::fs::read_to_string(root().join(SERVICE)).expect("read the service");
    assert!(service.contains("ExecStart=/usr/local/bin/tallyman "));
    let service = service.replace(
        "ExecStart=/usr/local/bin/tallyman ",
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_tallyman")),
    );
    std::fs::write(dir.path().join("tallyman.service"), service).expect("write");
    std::fs::copy(root().join(TIMER), dir.path().join("tallyman.timer")).expect("copy");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no", "tallyman.service", "tallyman.timer"])
        .current_dir(dir.path())
        .output()
        .expect("run systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    // verify exits 0 on an unknown key or a bad value and only warns: any line about our units
    // is a failure. Lines about the machine (no systemd running here) are not ours.
    let ours: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("tallyman") || l.contains(&*dir.path().to_string_lossy()))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify:\n{err}"
    );
}

/// The text of the fenced block (```lang) that follows the line `after` in the README.
fn readme_block(after: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read the README");
    let mut lines = readme.lines().skip_while(|l| *l != after);
    assert!(lines.next().is_some(), "no line {after:?} in the README");
    let mut lines = lines.skip_while(|l| l.is_empty());
    assert_eq!(
        lines.next(),
        Some(format!("```{lang}").as_str()),
        "after {after:?}"
    );
    let mut block = String::new();
    for line in lines.take_while(|l| *l != "```") {
        block.push_str(line);
        block.push('\n');
    }
    block
}

#[test]
fn the_readme_shows_the_units_as_they_are() {
    for file in [SERVICE, TIMER] {
        let shown = readme_block(&format!("`{file}`:"), "ini");
        let actual = std::fs::read_to_string(root().join(file)).expect("read the unit");
        assert!(
            shown == actual,
            "the README's {file} differs from the file: copy the file into the README"
        );
    }
}

/// Checks one cron time field: `*`, numbers, names, ranges, lists and steps within bounds.
fn cron_field(field: &str, low: u32, high: u32, names: &[&str]) -> bool {
    let value = |v: &str| -> Option<u32> {
        v.parse()
            .ok()
            .or_else(|| {
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(v))
                    .map(|i| i as u32 + low)
            })
            .filter(|n| (low..=high).contains(n))
    };
    field.split(',').all(|item| {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let range_ok = range == "*"
            || match range.split_once('-') {
                Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                None => value(range).is_some(),
            };
        let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|s| s >= 1 && s <= high));
        range_ok && step_ok
    })
}

/// The lines of the README's one `crontab` block, comments and blank lines left out.
fn cron_lines() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read the README");
    assert_eq!(
        readme.lines().filter(|l| *l == "```crontab").count(),
        1,
        "one crontab block in the README"
    );
    readme
        .lines()
        .skip_while(|l| *l != "```crontab")
        .skip(1)
        .take_while(|l| *l != "```")
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_cron_line_is_well_formed() {
    let lines = cron_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    let fields: Vec<&str> = line.splitn(6, ' ').collect();
    assert_eq!(fields.len(), 6, "five time fields and a command: {line}");
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    for (field, (low, high, names)) in fields[..5].iter().zip([
        (0, 59, &[][..]),
        (0, 23, &[][..]),
        (1, 31, &[][..]),
        (1, 12, MONTHS),
        (0, 7, DAYS),
    ]) {
        assert!(
            cron_field(field, low, high, names),
            "time field {field:?} of {line}"
        );
    }
    assert_eq!(fields[0], "*/5", "every five minutes, as the timer");
    let command = fields[5];
    // cron turns an unescaped % into a new line.
    assert!(!command.contains('%'), "{command}");
    // The same run as the service's.
    let service = unit(&root().join(SERVICE));
    assert!(
        command.starts_with(&format!("{} ", one(&service, "Service", "ExecStart"))),
        "{command}"
    );
    let out = Command::new("sh")
        .args(["-n", "-c", command])
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "sh -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// cron mails what a job prints: the line prints something exactly when the run exits 2.
#[test]
fn the_cron_line_speaks_only_when_the_run_failed() {
    let command = cron_lines()[0]
        .splitn(6, ' ')
        .nth(5)
        .expect("a command")
        .to_owned();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let stub = dir.path().join("tallyman");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho \"summary of a run\" >&2\nexit \"$CODE\"\n",
    )
    .expect("write the stub");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let log_dir = dir.path().to_str().expect("utf-8");
    let command = command
        .replace("/usr/local/bin/tallyman", stub.to_str().expect("utf-8"))
        .replace("/var/log/tallyman", log_dir);
    for code in [0, 1, 2] {
        let out = Command::new("sh")
            .args(["-c", &command])
            .env("CODE", code.to_string())
            .output()
            .expect("run sh");
        let printed = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if code == 2 {
            assert!(printed.contains("failed"), "exit 2 is mailed: {printed:?}");
        } else {
            assert!(printed.is_empty(), "exit {code} is not mailed: {printed:?}");
        }
    }
    let log = std::fs::read_to_string(dir.path().join("run.log")).expect("the log");
    assert_eq!(log.matches("summary of a run").count(), 3, "{log}");
}
