//! The named portable generator of the model: [`path_rng`] gives each (seed, path) its own
//! PCG-64 stream, so that a path's draws depend on nothing but its seed and index (not on the
//! thread or shard that runs it, nor on the machine).

use rand_pcg::Pcg64;

/// The generator for one Monte Carlo path: PCG-64 with a state derived from the run seed and a
/// stream selected by the path index, so paths are independent and reproducible on any machine.
pub fn path_rng(seed: u64, path: u64) -> Pcg64 {
    Pcg64::new(
        splitmix(seed) as u128 | ((splitmix(seed ^ 0x9E37_79B9) as u128) << 64),
        path as u128,
    )
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
