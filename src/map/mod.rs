//! Mapping: validated syntax → canonical model (and, later, model → outbound EDI).

pub mod x12;
