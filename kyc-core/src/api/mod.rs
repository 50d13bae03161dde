//! Versioned wire types: the HTTP contract between the server, the widget and integrators.

pub mod v1;
