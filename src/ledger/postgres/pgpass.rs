//! The password file of libpq (`~/.pgpass`, or `PGPASSFILE`), read the way libpq reads it.
//!
//! Phase: connecting to the ledger, when the URL carries no password and `PGPASSWORD` is not
//! set. The `postgres` crate does not read this file itself, and no maintained crate does, so
//! this is a small hand-written parser: one entry a line, `host:port:database:user:password`,
//! `*` matching anything in the first four fields, `\:` and `\\` escaping, `#` starting a
//! comment line, the first matching line winning. As libpq does, a file that its group or
//! others may read is ignored.
//!
//! ```text
//! # host:port:database:user:password
//! db.example.com:5432:ledger:tallyman:s3cr\:et
//! *:*:*:tallyman:fallback
//! ```

use std::path::{Path, PathBuf};

/// What a connection is made to, for matching the file's lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The host name, or `localhost` for a Unix socket (as libpq matches it).
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// The password file to read: `PGPASSFILE`, else `~/.pgpass`.
pub(crate) fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".pgpass"))
}

/// The password the file at `path` holds for `target`. None when the file is missing, is not a
/// regular file, may be read by its group or others (libpq ignores it then), or has no
/// matching line.
pub(crate) fn lookup(path: &Path, target: Target<'_>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    find(&std::fs::read_to_string(path).ok()?, target)
}

/// The password of the first line of `text` that matches `target`.
pub(crate) fn find(text: &str, target: Target<'_>) -> Option<String> {
    let port = target.port.to_string();
    let wanted = [target.host, &port, target.database, target.user];
    text.lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find_map(|line| {
            let mut rest = line;
            for want in wanted {
                let (field, after) = field(rest)?;
                if field != "*" && field != want {
                    return None;
                }
                rest = after;
            }
            // The password is the rest of the line, unescaped (an unescaped ':' is kept).
            Some(unescape(rest))
        })
}

/// The first field of `s` (unescaped) and what follows its ':'; None when no ':' ends it.
fn field(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            }
            ':' => return Some((out, &s[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target<'static> {
        Target {
            host: "db.example.com",
            port: 5432,
            database: "ledger",
            user: "tallyman",
        }
    }

    #[test]
    fn the_first_matching_line_wins_and_stars_match_anything() {
        let text = "# a comment:with:colons:x:y\n\
                    other.host:5432:ledger:tallyman:no\n\
                    db.example.com:5433:ledger:tallyman:no\n\
                    db.example.com:5432:*:tallyman:first\n\
                    *:*:*:*:second\n";
        assert_eq!(find(text, target()).as_deref(), Some("first"));
        let t = Target {
            user: "someone",
            ..target()
        };
        assert_eq!(find(text, t).as_deref(), Some("second"));
    }

    #[test]
    fn escaped_colons_and_backslashes_are_part_of_fields_and_passwords() {
        let text = "db.example.com:5432:led\\:ger:tallyman:pa\\:ss\\\\word:tail\r\n";
        let t = Target {
            database: "led:ger",
            ..target()
        };
        assert_eq!(find(text, t).as_deref(), Some("pa:ss\\word:tail"));
        assert_eq!(find(text, target()), None);
    }

    #[test]
    fn short_lines_and_no_match_give_nothing() {
        assert_eq!(find("db.example.com:5432:ledger\n\n", target()), None);
        assert_eq!(find("", target()), None);
        // An empty password is a password.
        assert_eq!(find("*:*:*:*:", target()).as_deref(), Some(""));
    }

    #[test]
    fn a_file_others_may_read_is_ignored_as_libpq_does() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pgpass");
        std::fs::write(&p, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&p, target()).as_deref(), Some("secret"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(lookup(&p, target()), None);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(lookup(&p, target()), None);
        assert_eq!(lookup(&dir.path().join("missing"), target()), None);
        assert_eq!(lookup(dir.path(), target()), None, "a folder");
    }
}
