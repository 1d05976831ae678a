//! Canonical documents → EDIFACT DESADV and INVOIC bodies.
