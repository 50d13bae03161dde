//! Writes the redistributable lists of a directory to a compressed snapshot.
//!
//! `cargo run --release -p kyc-screening --example make_snapshot -- DIR OUT.bin YYYY-MM-DD`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, created] = args.as_slice() else {
        return Err("usage: make_snapshot DIR OUT.bin YYYY-MM-DD".into());
    };
    let lists = kyc_screening::import_dir(Path::new(dir))?;
    let label = "Sanctions lists snapshot (OFAC SDN, OFAC consolidated non-SDN, UN Security Council, UK Sanctions List). \
                 A snapshot, not current: do not use for real compliance decisions; load current lists at run time. \
                 Contains public sector information licensed under the Open Government Licence v3.0.";
    let n = kyc_screening::write_snapshot(&lists, label, created, Path::new(out))?;
    let back = kyc_screening::read_snapshot(Path::new(out))?;
    for l in &back.lists {
        println!(
            "{} {} entries (published {:?}, from {})",
            l.source,
            l.entries.len(),
            l.published,
            l.origin
        );
    }
    println!("{n} lists, {} bytes", std::fs::metadata(out)?.len());
    Ok(())
}
