//! Canonical documents → X12 856 and 810 bodies.
