//! Prints every entry of the lists in a directory as one JSON object per
//! line (source, id, names, type, dates of birth, nationalities): the input
//! of `scripts/eval/screening_variants.py`, which builds the unseen
//! evaluation set from the parsed lists.
//!
//! `cargo run --release -p kyc-screening --example dump_entries -- DIR > entries.jsonl`
#![allow(clippy::print_stdout)]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: dump_entries DIR")?;
    let lists = kyc_screening::import_dir(std::path::Path::new(&dir))?;
    for list in &lists {
        for entry in &list.entries {
            println!("{}", serde_json::to_string(entry)?);
        }
    }
    Ok(())
}
