//! Seeded synthetic MRIOs ([`synthetic_mrio`], [`SyntheticSpec`]) built like the peer's
//! `bench.py`: lognormal technical coefficients with a domestic bias and column sums
//! `a_col` (value-added share `1 − a_col`), lognormal final demand with a domestic bias,
//! `x = (I − A)⁻¹ Y·1` (Neumann series), `Z = A·diag(x)` and finally `x := Z·1 + Y·1` so the
//! table is exactly balanced.
//!
//! The generator is a SplitMix64 stream; the same seed gives the same table on every platform.

use crate::mrio::Mrio;

/// Size and shape of a synthetic MRIO.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    pub regions: usize,
    pub sectors: usize,
    pub fd_categories: usize,
    pub seed: u64,
    /// Column sum of A (intermediate share of output), in (0, 1).
    pub a_col: f64,
    /// Share of zero coefficients in A (sparsity), in [0, 1).
    pub zero_share: f64,
}

impl SyntheticSpec {
    pub fn new(regions: usize, sectors: usize, seed: u64) -> Self {
        SyntheticSpec {
            regions,
            sectors,
            fd_categories: 3,
            seed,
            a_col: 0.45,
            zero_share: 0.0,
        }
    }
}

/// SplitMix64 generator with Box–Muller normals.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    pub fn lognormal(&mut self) -> f64 {
        self.normal().exp()
    }
}

/// Builds a balanced synthetic MRIO (regions `r000…`, sectors `s0000…`, categories `fd0…`).
pub fn synthetic_mrio(spec: &SyntheticSpec) -> Mrio {
    let (nr, ns, nc) = (spec.regions, spec.sectors, spec.fd_categories.max(1));
    let n = nr * ns;
    let nf = nr * nc;
    let mut rng = Rng::new(spec.seed);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let keep = spec.zero_share <= 0.0 || rng.uniform() >= spec.zero_share;
            let v = rng.lognormal();
            let bias = if i / ns == j / ns || nr == 1 {
                1.0
            } else {
                0.15
            };
            a[i * n + j] = if keep || i == j { v * bias } else { 0.0 };
        }
    }
    let mut colsum = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            colsum[j] += a[i * n + j];
        }
    }
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] *= spec.a_col / colsum[j];
        }
    }
    let mut y = vec![0.0; n * nf];
    for i in 0..n {
        for k in 0..nf {
            let bias = if i / ns == k / nc || nr == 1 {
                1.0
            } else {
                0.2
            };
            y[i * nf + k] = rng.lognormal() * 1e3 * bias;
        }
    }
    let fd: Vec<f64> = (0..n)
        .map(|i| y[i * nf..(i + 1) * nf].iter().sum())
        .collect();
    // x = Σ_k A^k fd (converges geometrically with ratio a_col)
    let mut x = fd.clone();
    let mut term = fd.clone();
    let mut next = vec![0.0; n];
    for _ in 0..200 {
        for (i, nx) in next.iter_mut().enumerate() {
            *nx = a[i * n..(i + 1) * n]
                .iter()
                .zip(&term)
                .map(|(a, t)| a * t)
                .sum();
        }
        std::mem::swap(&mut term, &mut next);
        let mut mx: f64 = 0.0;
        for (xi, t) in x.iter_mut().zip(&term) {
            *xi += t;
            mx = mx.max(t / *xi);
        }
        if mx < 1e-17 {
            break;
        }
    }
    // Z = A diag(x), in place
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] *= x[j];
        }
    }
    let regions = (0..nr).map(|r| format!("r{r:03}")).collect();
    let sectors = (0..ns).map(|s| format!("s{s:04}")).collect();
    let cats = (0..nc).map(|c| format!("fd{c}")).collect();
    Mrio::from_parts(regions, sectors, cats, a, y, None).expect("synthetic MRIO is balanced")
}
