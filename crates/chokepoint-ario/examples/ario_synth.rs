//! Writes a seeded synthetic MRIO in the pymrio CSV layout (for benchmarks and peer runs):
//! `cargo run --release --example ario_synth -- REGIONS SECTORS SEED OUT_DIR [FD_CATEGORIES]`

use chokepoint_ario::MrioTable;
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
    let mrio = synthetic_mrio(&spec);
    let dir = std::path::Path::new(&a[3]);
    std::fs::create_dir_all(dir)?;
    for table in MrioTable::ALL {
        mrio.write_table(table, std::fs::File::create(dir.join(table.file_name()))?)?;
    }
    Ok(())
}
