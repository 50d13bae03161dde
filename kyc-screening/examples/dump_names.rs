//! Prints every name (primary and aliases) of the lists in a directory, one
//! per line: the input of `tools/rapidfuzz_baseline.py`.
//!
//! `cargo run --release -p kyc-screening --example dump_names -- DIR > names.txt`
#![allow(clippy::print_stdout)]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: dump_names DIR")?;
    let lists = kyc_screening::import_dir(std::path::Path::new(&dir))?;
    for list in &lists {
        for entry in &list.entries {
            for (name, _) in entry.names() {
                println!("{}", name.replace('\n', " "));
            }
        }
    }
    Ok(())
}
