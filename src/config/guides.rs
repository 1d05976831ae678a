//! `[channel.ID] guide = "PATH"`: the partner's implementation guide, read and checked against
//! the grammars when the configuration is loaded, so that a guide that does not parse, or that
//! contradicts the standard, fails the configuration (exit 2) with the guide's own line and key
//! before any file is touched.

use super::{Error, Invalid};
use crate::grammar::GrammarSet;
use crate::grammar::guide::Guide;
use crate::pipeline::settings::{ChannelFormat, GuideError, read_guide};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads the guide at `p` (relative to the configuration's folder), checks it against the
/// grammars (loaded into `grammars` on first use, with `grammar_dir` laid over the built-in
/// ones) and against the channel's format.
pub(super) fn load(
    p: &toml::Spanned<PathBuf>,
    key: &str,
    format: ChannelFormat,
    abs: &dyn Fn(&Path) -> PathBuf,
    grammars: &mut Option<GrammarSet>,
    grammar_dir: Option<&Path>,
    invalid: &Invalid<'_>,
) -> Result<Arc<Guide>, Error> {
    let field = format!("{key}.guide");
    let standard = match format {
        ChannelFormat::X12 => "x12",
        ChannelFormat::Edifact => "edifact",
        other => {
            return Err(invalid(
                Some(p.span()),
                &field,
                format!(
                    "an implementation guide narrows X12 or EDIFACT grammars; a {other} channel has none"
                ),
            ));
        }
    };
    let path = abs(p.get_ref());
    let from_guide = |e: crate::grammar::guide::Error| Error::Invalid {
        file: e.file,
        line: e.line,
        key: format!("{}: ", e.key),
        message: e.message,
    };
    let guide = match read_guide(&path) {
        Ok(g) => g,
        Err(GuideError::Read { path, source }) => {
            return Err(invalid(
                Some(p.span()),
                &field,
                format!("cannot read the guide {}: {source}", path.display()),
            ));
        }
        Err(GuideError::Invalid(e)) => return Err(from_guide(e)),
    };
    if let Some(other) = guide.sets.iter().find(|s| s.standard.value != standard) {
        return Err(from_guide(guide.error(
            other.standard.line,
            "set.standard",
            format!(
                "this guide narrows {} {} {}, but channel {} is {standard}: give it a guide of its own standard",
                other.standard.value,
                other.id.value,
                other.version.value,
                key.trim_start_matches("channel.")
            ),
        )));
    }
    let set = match grammars {
        Some(g) => g,
        None => grammars.insert(
            crate::pipeline::settings::load_grammars(grammar_dir).map_err(|e| {
                invalid(
                    None,
                    "paths.grammars",
                    format!("cannot load the grammars {field} narrows: {e}"),
                )
            })?,
        ),
    };
    set.with_guide(&guide).map_err(from_guide)?;
    Ok(Arc::new(guide))
}
