//! Writes a seeded synthetic MRIO in the pymrio CSV layout (for benchmarks and peer runs):
//! `cargo run --release --example ario_synth -- REGIONS SECTORS SEED OUT_DIR [FD_CATEGORIES]`

use chokepoint_ario::synthetic::{SyntheticSpec, synthetic_mrio};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 4 {
        return Err("usage: ario_synth REGIONS SECTORS SEED OUT_DIR [FD_CATEGORIES]".into());
    }
    let mut spec = SyntheticSpec::new(a[0].parse()?, a[1].parse()?, a[2].parse()?);
    if let Some(c) = a.get(4) {
        spec.fd_categories = c.parse()?;
    }
    synthetic_mrio(&spec).write_dir(std::path::Path::new(&a[3]))?;
    Ok(())
}
