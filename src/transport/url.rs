//! URLs as messages may show them: the ledger's (`postgres://`), an SFTP server's, a
//! configuration's. One function takes the password out, whatever the scheme.
//!
//! Phase: wherever a URL is named in an error or a log line.

/// `url` as messages and logs may show it, without its password: `postgres://user:secret@host/db`
/// becomes `postgres://user@host/db` (any scheme), and a `password=` parameter's value (URL
/// query or libpq key-value string) becomes `***`.
pub fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    // The authority starts right after the scheme's "://".
    if let Some(authority) = authority(url)
        && let Some((userinfo, _)) = authority.rsplit_once('@')
        && let Some(colon) = userinfo.find(':')
    {
        let start = url.find("://").expect("a scheme") + 3;
        out.replace_range(start + colon..start + userinfo.len(), "");
    }
    let mut from = 0;
    while let Some((start, end)) = password_param(&out, from) {
        out.replace_range(start..end, "***");
        from = start + "***".len();
    }
    out
}

/// The part of a URL between `://` and the path or query.
pub(crate) fn authority(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The byte range of the value of the first `password=` parameter (URL query or key-value
/// string) at or after byte `from`.
pub(crate) fn password_param(url: &str, mut from: usize) -> Option<(usize, usize)> {
    while let Some(i) = url[from..].find("password=") {
        let start = from + i;
        let at_boundary = start == 0
            || matches!(
                url.as_bytes()[start - 1],
                b'?' | b'&' | b' ' | b'\t' | b'\n'
            );
        let value = start + "password=".len();
        if at_boundary {
            let end = if url[value..].starts_with('\'') {
                // A quoted key-value: up to the closing quote that is not escaped.
                let mut end = url.len();
                let mut escaped = false;
                for (j, c) in url[value + 1..].char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '\'' if !escaped => {
                            end = value + 1 + j + 1;
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                end
            } else {
                url[value..]
                    .find(['&', ' ', '\t', '\n'])
                    .map_or(url.len(), |j| value + j)
            };
            return Some((value, end));
        }
        from = value;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redact("postgres://tallyman:s3cr%40t@db:5432/ledger?sslmode=require"),
            "postgres://tallyman@db:5432/ledger?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://u:p:q@h/d"),
            "postgresql://u@h/d",
            "a colon in the password"
        );
        assert_eq!(
            redact("postgres://u@h/d?password=secret&sslmode=disable"),
            "postgres://u@h/d?password=***&sslmode=disable"
        );
        assert_eq!(
            redact("host=h user=u password='se cret' dbname=d"),
            "host=h user=u password=*** dbname=d"
        );
        assert_eq!(redact("postgres://h/d"), "postgres://h/d");
        assert_eq!(
            redact("postgres://h/d?password=a&password=b"),
            "postgres://h/d?password=***&password=***",
            "every one"
        );
    }

    #[test]
    fn any_scheme_loses_its_password() {
        assert_eq!(redact("sftp://me:pw@host:22/in"), "sftp://me@host:22/in");
        assert_eq!(redact("mysql://me:secret@x/db"), "mysql://me@x/db");
        assert_eq!(redact("sqlite:/w/ledger"), "sqlite:/w/ledger");
    }
}
