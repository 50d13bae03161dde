//! Identity documents: machine-readable zones and (later) field validation.

pub mod mrz;
