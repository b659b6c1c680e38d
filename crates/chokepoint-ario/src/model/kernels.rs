//! The arithmetic kernels of the passes over `Z0`, scalar and AVX2 side by side: [`dot`] (8
//! accumulators) and [`dot4`] (four rows against one vector), their block-wise forms
//! [`dot_acc`] / [`dot4_acc`] (accumulators carried from one column block to the next) and
//! [`axpy`] / [`axpy2`]. The `simd` versions do the same multiplications and additions in the
//! same order (no FMA), so every kernel gives the same bits on every CPU; the test at the end
//! checks it for every length, tails included.

/// Dot product with 8 independent accumulators (vectorisable): element k of every chunk of
/// 8 goes to accumulator k, reduced as `((s0+s4)+(s1+s5)) + ((s2+s6)+(s3+s7)) + tail`.
#[inline(always)]
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (mut s0, mut s1) = ([0.0f64; 4], [0.0f64; 4]);
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..4 {
            s0[k] += x[k] * y[k];
            s1[k] += x[4 + k] * y[4 + k];
        }
    }
    let mut tail = 0.0;
    for k in n / 8 * 8..n {
        tail += a[k] * b[k];
    }
    ((s0[0] + s1[0]) + (s0[1] + s1[1])) + ((s0[2] + s1[2]) + (s0[3] + s1[3])) + tail
}

/// AVX2 versions of [`axpy2`] and [`dot4`] with the same arithmetic (separate multiply and
/// add, the same accumulators and reduction order), hence bit-identical results.
#[cfg(target_arch = "x86_64")]
pub(super) mod simd {
    use std::arch::x86_64::*;

    /// Distance of the software prefetch ahead of the stream (f64 elements): it crosses
    /// the 4 KiB pages where the hardware prefetcher stops.
    const PF: usize = 512;

    /// `y1 += a1·x; y2 += a2·x`, prefetching `x` ahead, and then `next` (the row streamed
    /// after `x`).
    #[target_feature(enable = "avx2")]
    pub(in crate::model) unsafe fn axpy2(
        y1: &mut [f64],
        y2: &mut [f64],
        x: &[f64],
        a1: f64,
        a2: f64,
        next: &[f64],
    ) {
        let n = x.len().min(y1.len()).min(y2.len());
        let m = n / 4 * 4;
        // SAFETY (all pointer accesses): k + 4 <= m <= n, the length of all three slices;
        // the prefetch address may lie past the end, which prefetching allows.
        unsafe {
            let (va1, va2) = (_mm256_set1_pd(a1), _mm256_set1_pd(a2));
            let (p1, p2, px) = (y1.as_mut_ptr(), y2.as_mut_ptr(), x.as_ptr());
            let mut k = 0;
            while k < m {
                if k % 8 == 0 {
                    let p = if k + PF < n {
                        px.wrapping_add(k + PF)
                    } else {
                        next.as_ptr().wrapping_add(k + PF - n)
                    };
                    _mm_prefetch::<_MM_HINT_T0>(p as *const i8);
                }
                let vx = _mm256_loadu_pd(px.add(k));
                let r1 = _mm256_add_pd(_mm256_loadu_pd(p1.add(k)), _mm256_mul_pd(va1, vx));
                let r2 = _mm256_add_pd(_mm256_loadu_pd(p2.add(k)), _mm256_mul_pd(va2, vx));
                _mm256_storeu_pd(p1.add(k), r1);
                _mm256_storeu_pd(p2.add(k), r2);
                k += 4;
            }
        }
        for k in m..n {
            y1[k] += a1 * x[k];
            y2[k] += a2 * x[k];
        }
    }

    /// [`super::dot4_acc`]: whole chunks of 8, accumulators carried in `acc`.
    #[target_feature(enable = "avx2")]
    pub(in crate::model) unsafe fn dot4_acc(a: [&[f64]; 4], b: &[f64], acc: &mut [[f64; 8]; 4]) {
        let n = a.iter().map(|r| r.len()).min().unwrap_or(0).min(b.len());
        let m = n / 8 * 8;
        // SAFETY: c + 8 <= m <= n, the length of every slice; acc rows hold 8 f64.
        unsafe {
            let mut lo = [_mm256_setzero_pd(); 4];
            let mut hi = [_mm256_setzero_pd(); 4];
            for q in 0..4 {
                lo[q] = _mm256_loadu_pd(acc[q].as_ptr());
                hi[q] = _mm256_loadu_pd(acc[q].as_ptr().add(4));
            }
            let pb = b.as_ptr();
            let pa = a.map(|r| r.as_ptr());
            let mut c = 0;
            while c < m {
                let (b0, b1) = (_mm256_loadu_pd(pb.add(c)), _mm256_loadu_pd(pb.add(c + 4)));
                for q in 0..4 {
                    let x0 = _mm256_loadu_pd(pa[q].add(c));
                    let x1 = _mm256_loadu_pd(pa[q].add(c + 4));
                    lo[q] = _mm256_add_pd(lo[q], _mm256_mul_pd(x0, b0));
                    hi[q] = _mm256_add_pd(hi[q], _mm256_mul_pd(x1, b1));
                }
                c += 8;
            }
            for q in 0..4 {
                _mm256_storeu_pd(acc[q].as_mut_ptr(), lo[q]);
                _mm256_storeu_pd(acc[q].as_mut_ptr().add(4), hi[q]);
            }
        }
    }

    /// Four dot products against the same `b`: accumulator k (of 8) per row, as [`super::dot`].
    #[target_feature(enable = "avx2")]
    pub(in crate::model) unsafe fn dot4(a: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
        let n = a.iter().map(|r| r.len()).min().unwrap_or(0).min(b.len());
        let m = n / 8 * 8;
        let mut lo = [_mm256_setzero_pd(); 4];
        let mut hi = [_mm256_setzero_pd(); 4];
        // SAFETY: c + 8 <= m <= n, the length of every slice.
        unsafe {
            let pb = b.as_ptr();
            let pa = a.map(|r| r.as_ptr());
            let mut c = 0;
            while c < m {
                let (b0, b1) = (_mm256_loadu_pd(pb.add(c)), _mm256_loadu_pd(pb.add(c + 4)));
                for q in 0..4 {
                    let x0 = _mm256_loadu_pd(pa[q].add(c));
                    let x1 = _mm256_loadu_pd(pa[q].add(c + 4));
                    lo[q] = _mm256_add_pd(lo[q], _mm256_mul_pd(x0, b0));
                    hi[q] = _mm256_add_pd(hi[q], _mm256_mul_pd(x1, b1));
                }
                c += 8;
            }
        }
        let mut out = [0.0; 4];
        for q in 0..4 {
            let (mut s0, mut s1) = ([0.0f64; 4], [0.0f64; 4]);
            // SAFETY: stores of 4 f64 into 4-element arrays.
            unsafe {
                _mm256_storeu_pd(s0.as_mut_ptr(), lo[q]);
                _mm256_storeu_pd(s1.as_mut_ptr(), hi[q]);
            }
            let mut tail = 0.0;
            for k in m..n {
                tail += a[q][k] * b[k];
            }
            out[q] =
                ((s0[0] + s1[0]) + (s0[1] + s1[1])) + ((s0[2] + s1[2]) + (s0[3] + s1[3])) + tail;
        }
        out
    }
}

/// [`dot`] over whole chunks of 8 (`a.len()` a multiple of 8), accumulating into `acc`.
#[inline(always)]
pub(super) fn dot_acc(a: &[f64], b: &[f64], acc: &mut [f64; 8]) {
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
}

/// [`dot_acc`] for four rows against the same `b`.
#[inline(always)]
pub(super) fn dot4_acc(a: [&[f64]; 4], b: &[f64], acc: &mut [[f64; 8]; 4]) {
    for (r, st) in a.iter().zip(acc.iter_mut()) {
        dot_acc(r, b, st);
    }
}

/// Four [`dot`] products against the same `b`, interleaved (same arithmetic per row).
#[inline(always)]
pub(super) fn dot4(a: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
    let n = a.iter().map(|r| r.len()).min().unwrap_or(0).min(b.len());
    let b = &b[..n];
    let a = a.map(|r| &r[..n]);
    let mut s = [[0.0f64; 8]; 4];
    let m = n / 8 * 8;
    let mut c = 0;
    while c < m {
        let y = &b[c..c + 8];
        for (sr, ar) in s.iter_mut().zip(&a) {
            let x = &ar[c..c + 8];
            for k in 0..8 {
                sr[k] += x[k] * y[k];
            }
        }
        c += 8;
    }
    let mut out = [0.0; 4];
    for ((o, sr), ar) in out.iter_mut().zip(&s).zip(&a) {
        let mut tail = 0.0;
        for k in m..n {
            tail += ar[k] * b[k];
        }
        *o = ((sr[0] + sr[4]) + (sr[1] + sr[5])) + ((sr[2] + sr[6]) + (sr[3] + sr[7])) + tail;
    }
    out
}

#[inline(always)]
pub(super) fn axpy(y: &mut [f64], x: &[f64], a: f64) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

#[inline(always)]
pub(super) fn axpy2(y1: &mut [f64], y2: &mut [f64], x: &[f64], a1: f64, a2: f64) {
    let n = x.len().min(y1.len()).min(y2.len());
    let (y1, y2, x) = (&mut y1[..n], &mut y2[..n], &x[..n]);
    for k in 0..n {
        y1[k] += a1 * x[k];
        y2[k] += a2 * x[k];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::synthetic::Rng::new(seed);
        (0..n).map(|_| rng.uniform() * 10.0 - 3.0).collect()
    }

    /// The kernels agree bit for bit: `dot4` with `dot`, the AVX2 versions with the portable
    /// ones (all lengths, including tails).
    #[test]
    fn kernels_bit_identical() {
        for n in [0, 1, 7, 8, 9, 31, 64, 515] {
            let b = data(n, 1);
            let rows: Vec<Vec<f64>> = (0..4).map(|q| data(n, 10 + q)).collect();
            let a = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let d4 = dot4(a, &b);
            // carried accumulators over blocks of 16 + the tail give the same bits
            let m8 = n / 8 * 8;
            let mut st = [[0.0f64; 8]; 4];
            let mut st2 = st;
            for f0 in (0..m8).step_by(16) {
                let e = (f0 + 16).min(m8);
                let seg = a.map(|r| &r[f0..e]);
                dot4_acc(seg, &b[f0..e], &mut st);
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 checked just above.
                    unsafe { simd::dot4_acc(seg, &b[f0..e], &mut st2) };
                    continue;
                }
                dot4_acc(seg, &b[f0..e], &mut st2);
            }
            for q in 0..4 {
                let tail: f64 = (m8..n).fold(0.0, |t, k| t + a[q][k] * b[k]);
                let s = &st[q];
                let v = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail;
                assert_eq!(v.to_bits(), d4[q].to_bits(), "blocked n {n} row {q}");
                assert_eq!(st[q].map(f64::to_bits), st2[q].map(f64::to_bits));
            }
            for q in 0..4 {
                assert_eq!(d4[q].to_bits(), dot(a[q], &b).to_bits(), "n {n} row {q}");
            }
            let (mut y1, mut y2) = (data(n, 5), data(n, 6));
            axpy2(&mut y1, &mut y2, &b, 0.3, 1.7);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 checked just above.
                let s4 = unsafe { simd::dot4(a, &b) };
                assert_eq!(s4.map(f64::to_bits), d4.map(f64::to_bits), "n {n}");
                let (mut z1, mut z2) = (data(n, 5), data(n, 6));
                // SAFETY: AVX2 checked above.
                unsafe { simd::axpy2(&mut z1, &mut z2, &b, 0.3, 1.7, &rows[0]) };
                assert_eq!(z1, y1);
                assert_eq!(z2, y2);
            }
        }
    }
}
