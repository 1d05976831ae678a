//! `[[export]]`: which ERP export profile reads which files of the ERP outbox.

use super::{Error, Invalid};
use crate::pipeline::settings::ExportFiles;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExport {
    files: toml::Spanned<String>,
    profile: toml::Spanned<String>,
    #[serde(default)]
    detail: Option<toml::Spanned<String>>,
}

/// Checks each `[[export]]` against the export profiles (`profiles`: built-in and
/// `[paths] exports`).
pub(super) fn settings(
    raw: Vec<RawExport>,
    profiles: &crate::erp::export::Profiles,
    invalid: &Invalid<'_>,
) -> Result<Vec<ExportFiles>, Error> {
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("export[{i}].{k}");
        for p in std::iter::once(&r.files).chain(r.detail.iter()) {
            let name = p.get_ref();
            if name.is_empty() || name.contains('/') || name.matches('*').count() > 1 {
                return Err(invalid(
                    Some(p.span()),
                    &key(if std::ptr::eq(p, &r.files) {
                        "files"
                    } else {
                        "detail"
                    }),
                    format!(
                        "'{name}' is not a file name pattern: a name with at most one '*' (any characters), without '/', such as \"shipments-*.csv\""
                    ),
                ));
            }
        }
        let Some(profile) = profiles.get(r.profile.get_ref()) else {
            return Err(invalid(
                Some(r.profile.span()),
                &key("profile"),
                format!(
                    "no ERP export profile '{}'; known: {}",
                    r.profile.get_ref(),
                    profiles.ids().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let two_files = matches!(profile.layout, crate::erp::export::Layout::HeaderDetail);
        match (&r.detail, two_files) {
            (None, true) => {
                return Err(invalid(
                    Some(r.profile.span()),
                    &key("detail"),
                    format!(
                        "profile '{}' reads a header file and a detail file: name the detail files with detail = \"...-lines-*.csv\" (its '*' is the header file's)",
                        r.profile.get_ref()
                    ),
                ));
            }
            (Some(d), false) => {
                return Err(invalid(
                    Some(d.span()),
                    &key("detail"),
                    format!(
                        "profile '{}' reads one file per export; detail applies to header and detail profiles only",
                        r.profile.get_ref()
                    ),
                ));
            }
            (Some(d), true) if !d.get_ref().contains('*') || !r.files.get_ref().contains('*') => {
                return Err(invalid(
                    Some(d.span()),
                    &key("detail"),
                    "files and detail each need one '*': what it stands for in a header file's name names its detail file".into(),
                ));
            }
            _ => {}
        }
        out.push(ExportFiles {
            files: r.files.into_inner(),
            profile: r.profile.into_inner(),
            detail: r.detail.map(toml::Spanned::into_inner),
        });
    }
    Ok(out)
}
