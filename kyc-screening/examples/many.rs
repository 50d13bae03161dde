//! Screens every primary name of the lists in a directory (profiling aid).
#![allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: many DIR")?;
    let index =
        kyc_screening::Index::build(&kyc_screening::import_dir(std::path::Path::new(&dir))?);
    let p = kyc_screening::Policy::default();
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..3 {
        for e in index.entries() {
            if let Ok(r) =
                index.screen(&kyc_screening::Query::name(format!("{} x", e.primary_name)), &p)
            {
                n += r.matches.len();
            }
        }
    }
    eprintln!(
        "{n} matches, {:.1} us/query",
        t.elapsed().as_secs_f64() * 1e6 / (3 * index.entries().len()) as f64
    );
    Ok(())
}
