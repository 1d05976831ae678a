//! Host keys: which keys `known_hosts` holds for a server, and the words to say when the one
//! it offers is not among them.
//!
//! Phase: connect, between the key exchange and authentication. We read `known_hosts`
//! ourselves rather than through libssh2's `KnownHosts`: its `check_port` ignores the key type
//! (a host known by its RSA key that offers ed25519 reads as "changed"), it cannot say which
//! line holds the key, and we need the entry's key types before the handshake to ask the
//! server for a key we can check (`Session::method_pref`). Plain (`host`, `[host]:port`,
//! comma-separated, `*`/`?` wildcards and `!` negations) and hashed (`|1|salt|hash`) host
//! patterns are understood, as are the `@revoked` marker (that key is refused) and comments.
//! `@cert-authority` lines are passed over: certificates are not supported.
//!
//! ```
//! use tallyman::transport::sftp::trust::{Known, fingerprint};
//! let line = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
//! let known = Known::parse(line, "127.0.0.1", 2222);
//! assert_eq!(known.entries.len(), 1);
//! assert_eq!(known.entries[0].key_type, "ssh-ed25519");
//! assert!(fingerprint(&known.entries[0].blob).starts_with("SHA256:"));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// One `known_hosts` line that names the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number, for messages.
    pub line: usize,
    /// The key type as written (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...).
    pub key_type: String,
    /// The public key blob (what the server sends in its key exchange).
    pub blob: Vec<u8>,
    /// An `@revoked` line: this key must never be trusted.
    pub revoked: bool,
}

/// What `known_hosts` says about one server.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub entries: Vec<Entry>,
}

/// The verdict on the key a server offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The key is on this (1-based) line.
    Trusted(usize),
    /// No line names the server.
    Unknown,
    /// Lines name the server with other keys.
    Changed(Vec<usize>),
    /// The key is on an `@revoked` line.
    Revoked(usize),
}

impl Known {
    /// The entries of `text` (a `known_hosts` file) that name `host` on `port`.
    pub fn parse(text: &str, host: &str, port: u16) -> Known {
        let spec = host_spec(host, port);
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_ascii_whitespace();
            let mut first = fields.next().unwrap_or("");
            let mut revoked = false;
            if let Some(marker) = first.strip_prefix('@') {
                match marker {
                    "revoked" => revoked = true,
                    // Certificate authorities: not supported, never trusted by accident.
                    _ => continue,
                }
                first = fields.next().unwrap_or("");
            }
            let (Some(key_type), Some(key)) = (fields.next(), fields.next()) else {
                continue;
            };
            if !patterns_match(first, &spec) {
                continue;
            }
            let Ok(blob) = STANDARD.decode(key) else {
                continue;
            };
            entries.push(Entry {
                line: i + 1,
                key_type: key_type.to_owned(),
                blob,
                revoked,
            });
        }
        Known { entries }
    }

    /// The host key algorithms to ask the server for, in libssh2's names: those of the keys we
    /// could check (`None` when no line names the server: any key it offers is unknown).
    pub fn algorithms(&self) -> Option<String> {
        let mut out: Vec<&str> = Vec::new();
        for e in self.entries.iter().filter(|e| !e.revoked) {
            let names: &[&str] = match e.key_type.as_str() {
                // An RSA key is used with SHA-2 signatures where the server allows them.
                "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
                other => &[other][..],
            };
            for n in names {
                if !out.contains(n) {
                    out.push(n);
                }
            }
        }
        (!out.is_empty()).then(|| out.join(","))
    }

    /// Whether the offered key blob is trusted.
    pub fn verdict(&self, offered: &[u8]) -> Verdict {
        if let Some(e) = self.entries.iter().find(|e| e.revoked && e.blob == offered) {
            return Verdict::Revoked(e.line);
        }
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| !e.revoked && e.blob == offered)
        {
            return Verdict::Trusted(e.line);
        }
        let others: Vec<usize> = self
            .entries
            .iter()
            .filter(|e| !e.revoked)
            .map(|e| e.line)
            .collect();
        if others.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Changed(others)
        }
    }
}

/// How `known_hosts` names a server: `host` on port 22, `[host]:port` otherwise.
pub fn host_spec(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The line to add to `known_hosts` for a key: `[host]:port TYPE BASE64`.
pub fn line_for(host: &str, port: u16, blob: &[u8]) -> String {
    format!(
        "{} {} {}",
        host_spec(host, port),
        key_type(blob).unwrap_or("ssh-unknown"),
        STANDARD.encode(blob)
    )
}

/// The key type a public key blob names (its first string).
pub fn key_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4 + len)?).ok()
}

/// A key's fingerprint as OpenSSH prints it: `SHA256:` and the unpadded base64 of its hash.
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// Whether a comma-separated pattern list names `spec`: some pattern matches and no negated
/// one does.
fn patterns_match(list: &str, spec: &str) -> bool {
    if let Some(hashed) = list.strip_prefix("|1|") {
        return hashed_matches(hashed, spec);
    }
    let mut matched = false;
    for p in list.split(',') {
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(neg, spec) {
                return false;
            }
        } else if wildcard(p, spec) {
            matched = true;
        }
    }
    matched
}

/// `|1|SALT|HASH`: HMAC-SHA1 of the host spec keyed by the salt, both base64.
fn hashed_matches(rest: &str, spec: &str) -> bool {
    let Some((salt, hash)) = rest.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(spec.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// OpenSSH's host pattern match: `*` any run, `?` one character, case-insensitive.
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const ED2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIBk4Ljv3CvVgLCEuSYzfhrh0SrbLWVtYSJnaLDbPYrsq";

    fn blob(b64: &str) -> Vec<u8> {
        STANDARD.decode(b64).unwrap()
    }

    #[test]
    fn plain_hashed_wildcard_and_negated_patterns() {
        let text = format!(
            "# comment\n\
             other.example ssh-ed25519 {ED2}\n\
             [127.0.0.1]:2222 ssh-ed25519 {ED}\n\
             *.example.com,!bad.example.com ssh-rsa {ED2}\n\
             @cert-authority * ssh-ed25519 {ED2}\n"
        );
        let k = Known::parse(&text, "127.0.0.1", 2222);
        assert_eq!(k.entries.len(), 1);
        assert_eq!(k.entries[0].line, 3);
        assert_eq!(k.verdict(&blob(ED)), Verdict::Trusted(3));
        assert_eq!(k.verdict(&blob(ED2)), Verdict::Changed(vec![3]));
        assert_eq!(k.algorithms().as_deref(), Some("ssh-ed25519"));
        // The same host on port 22 is another server.
        assert!(Known::parse(&text, "127.0.0.1", 22).entries.is_empty());
        let w = Known::parse(&text, "sftp.example.com", 22);
        assert_eq!(w.entries.len(), 1);
        assert_eq!(
            w.algorithms().as_deref(),
            Some("rsa-sha2-512,rsa-sha2-256,ssh-rsa")
        );
        assert!(
            Known::parse(&text, "bad.example.com", 22)
                .entries
                .is_empty()
        );
        assert_eq!(
            Known::parse(&text, "nowhere", 22).verdict(&blob(ED)),
            Verdict::Unknown
        );
    }

    #[test]
    fn hashed_entries_as_ssh_keygen_writes_them() {
        // `ssh-keygen -H` of "[127.0.0.1]:2222": salt and HMAC-SHA1 of the spec.
        let salt = [7u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash = mac.finalize().into_bytes();
        let text = format!(
            "|1|{}|{} ssh-ed25519 {ED}\n",
            STANDARD.encode(salt),
            STANDARD.encode(hash)
        );
        assert_eq!(
            Known::parse(&text, "127.0.0.1", 2222).verdict(&blob(ED)),
            Verdict::Trusted(1)
        );
        assert!(Known::parse(&text, "127.0.0.1", 2223).entries.is_empty());
    }

    #[test]
    fn a_revoked_key_is_refused_even_beside_a_trusted_line() {
        let text = format!("@revoked * ssh-ed25519 {ED}\n[h]:23 ssh-ed25519 {ED}\n");
        assert_eq!(
            Known::parse(&text, "h", 23).verdict(&blob(ED)),
            Verdict::Revoked(1)
        );
    }

    #[test]
    fn fingerprints_and_lines_read_as_openssh_prints_them() {
        let b = blob(ED);
        assert_eq!(key_type(&b), Some("ssh-ed25519"));
        assert_eq!(line_for("h", 22, &b), format!("h ssh-ed25519 {ED}"));
        assert_eq!(
            line_for("h", 2222, &b),
            format!("[h]:2222 ssh-ed25519 {ED}")
        );
        let f = fingerprint(&b);
        assert!(f.starts_with("SHA256:") && !f.ends_with('='), "{f}");
        assert_eq!(f.len(), "SHA256:".len() + 43);
        assert!(wildcard("s?tp*.example", "sftp1.EXAMPLE"));
        assert!(!wildcard("a*b", "ac"));
    }
}
