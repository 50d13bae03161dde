//! Screens names against the lists in a directory.
//!
//! `cargo run --release -p kyc-screening --example screen -- DIR "name" ["name" …]`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: screen DIR NAME...")?;
    let t = std::time::Instant::now();
    let lists = kyc_screening::import_dir(Path::new(&dir))?;
    let index = kyc_screening::Index::build(&lists);
    eprintln!("built in {:.2} s", t.elapsed().as_secs_f64());
    let policy = kyc_screening::Policy { potential_match: 0.5, ..Default::default() };
    for name in args {
        let r = index.screen(&kyc_screening::Query::name(name.clone()), &policy)?;
        println!("{name}: {:?}", r.status);
        for m in r.matches.iter().take(5) {
            println!("  {:.3} {}:{} {:?} | {}", m.score, m.source, m.id, m.name, m.explanation);
        }
    }
    Ok(())
}
