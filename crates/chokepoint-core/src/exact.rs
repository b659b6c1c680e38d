//! Exact, order-independent sums of `f64` values: [`ExactSum`] keeps a sum in fixed point with
//! 64 fractional bits in an `i128`, so adding the same values in any order gives the same bits.
//! Monte Carlo means use it so that they do not depend on which worker ran which path, and the
//! engine's order books keep their running totals in it so that a total is always exactly the
//! sum of the book's lines (no drift from adding and subtracting floats day after day).

/// An exactly associative sum of f64 values: fixed point with 64 fractional bits in an `i128`.
/// Values are rounded to multiples of 2⁻⁶⁴ (about 5e-20) before adding; sums up to about 9e18
/// are exact, so any order of addition gives the same bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactSum(pub i128);

pub(crate) const SCALE: f64 = 18_446_744_073_709_551_616.0; // 2^64
/// 2⁵²: from here on every `f64` is an integer.
const TWO_52: f64 = 4_503_599_627_370_496.0;

impl ExactSum {
    #[inline]
    pub fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.0 = self.0.saturating_add(fixed(v));
        }
    }
    /// `n` times [`ExactSum::add`]`(v)`, exactly.
    #[inline]
    pub fn add_n(&mut self, v: f64, n: u32) {
        if v.is_finite() {
            self.0 = self.0.saturating_add(fixed(v).saturating_mul(n as i128));
        }
    }
    /// Adds a fixed-point quantity (a sum of [`small_times`] products).
    #[inline]
    pub fn add_fixed(&mut self, x: i128) {
        self.0 = self.0.saturating_add(x);
    }
    pub fn merge(&mut self, o: ExactSum) {
        self.0 = self.0.saturating_add(o.0);
    }
    pub fn value(self) -> f64 {
        self.0 as f64 / SCALE
    }
}

/// `fixed(v) · n` when `v` is finite and below 2³⁰ (about 10⁹) in magnitude, `None` otherwise.
/// Such a value is below 2⁹⁴ in fixed point, so up to 2¹⁶ runs of up to 2⁸ such values add up
/// below 2¹¹⁸: a caller can add a batch of them in a plain `i128` and hand the total to
/// [`ExactSum::add_fixed`], the same sum as adding each run with [`ExactSum::add_n`] (while the
/// sum stays in range) without the 128-bit overflow tests of a saturating product and sum.
/// The product takes one 64-bit multiplication: from 2⁵² on, `fixed(v)` is the 53-bit mantissa
/// shifted left, and below it a rounded integer under 2⁵², so either times `n` stays below 2⁶¹.
#[inline]
pub fn small_times(v: f64, n: u8) -> Option<i128> {
    const TWO_94: f64 = 19_807_040_628_566_084_398_385_987_584.0;
    let x = v * SCALE;
    let a = x.abs();
    if a < TWO_52 {
        Some(i128::from(round_small(x) * i64::from(n)))
    } else if a < TWO_94 {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as u32 - 1075;
        let mag = (((bits & ((1 << 52) - 1)) | (1 << 52)) * u64::from(n)) as i64;
        let signed = if x < 0.0 { -mag } else { mag };
        Some(i128::from(signed) << exp)
    } else {
        None
    }
}

/// `x · 2⁻⁶⁴` (a fixed-point value back to `f64`) as the integer part plus the fraction: within
/// one ulp of the correctly rounded value and far cheaper than the generic `i128` to `f64`
/// conversion, which production calls for every order book every day.
#[inline]
pub(crate) fn to_f64(x: i128) -> f64 {
    (x >> 64) as i64 as f64 + (x as u64) as f64 / SCALE
}

/// `(v · 2⁶⁴).round() as i128` for finite `v`, without the slow generic float-to-i128
/// conversion in the common cases: below 2⁵² the product fits an `i64`; from 2⁵² on it is an
/// integer already, converted as an `i64` below 2⁶³ and as its mantissa shifted left above.
#[inline]
pub(crate) fn fixed(v: f64) -> i128 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_126: f64 = 85_070_591_730_234_615_865_843_651_857_942_052_864.0;
    let x = v * SCALE;
    let a = x.abs();
    if a < TWO_52 {
        round_small(x) as i128
    } else if a < TWO_63 {
        // An integer already, and one conversion instruction fits it.
        x as i64 as i128
    } else if a < TWO_126 {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
        let mag = (((bits & ((1 << 52) - 1)) | (1 << 52)) as i128) << exp;
        if x < 0.0 { -mag } else { mag }
    } else {
        x.round() as i128
    }
}

/// `x.round() as i64` (half away from zero) for `|x| < 2⁵²`, without the library call: the
/// truncation `t` is exact there, and so is `x − t`.
#[inline]
fn round_small(x: f64) -> i64 {
    let t = x as i64;
    let frac = x - t as f64;
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sum_is_order_independent() {
        let xs = [1e-3, 1e6, -2.5, 0.1, 0.2, 0.3, 1e-12];
        let mut a = ExactSum::default();
        let mut b = ExactSum::default();
        for x in xs {
            a.add(x);
        }
        for x in xs.iter().rev() {
            b.add(*x);
        }
        assert_eq!(a, b);
        assert!((a.value() - xs.iter().sum::<f64>()).abs() < 1e-9);
    }

    /// Small values' products added in a plain `i128` give what adding each does, and larger
    /// ones are left to `add_n`.
    #[test]
    fn small_values_add_as_add_n_does() {
        let runs = [
            (0.1, 3),
            (-2.5, 1),
            (1e9, 32),
            (1.08e9, 2),
            (-3e12, 5),
            (f64::NAN, 4),
            (f64::INFINITY, 1),
            (1e-30, 7),
            (6.0, 255),
        ];
        let mut one_by_one = ExactSum::default();
        runs.iter()
            .for_each(|&(v, n)| one_by_one.add_n(v, u32::from(n)));
        let (mut sum, mut part) = (ExactSum::default(), 0i128);
        for &(v, n) in &runs {
            match small_times(v, n) {
                Some(x) => part += x,
                None => sum.add_n(v, u32::from(n)),
            }
        }
        sum.add_fixed(part);
        assert_eq!(sum, one_by_one);
        assert_eq!(small_times(1.08e9, 1), None);
        assert_eq!(small_times(f64::NAN, 1), None);
        let mut full = ExactSum(i128::MAX - 5);
        full.add_fixed(small_times(1.0, 3).unwrap_or_default());
        assert_eq!(full, ExactSum(i128::MAX));
    }

    /// `small_times(v, n)` is `v` added `n` times, on both sides of each of its ranges' ends
    /// (2⁵² and 2⁹⁴ in fixed point), at exact halves and for every count up to 255.
    #[test]
    fn small_times_is_the_repeated_sum() {
        let two_30 = (1u64 << 30) as f64;
        let mut vs = vec![0.0, -0.0, 0.1, -2.5, 1e-30, 1e9, -1e9, two_30, -two_30];
        vs.extend([1.0 - f64::EPSILON / 2.0, 1.0].map(|f| f * two_30));
        for k in [0.5, 1.5, 4_503_599_627_370_495.5, 4_503_599_627_370_496.0] {
            vs.extend([
                k / SCALE,
                -k / SCALE,
                (k + 0.25) / SCALE,
                -(k - 0.25) / SCALE,
            ]);
        }
        let mut x = 1e-22_f64;
        while x < 2e9 {
            vs.extend([x, -x * 1.37, x * 0.77 + 1e-9]);
            x *= 2.9;
        }
        for v in vs {
            for n in [0u8, 1, 2, 3, 7, 63, 64, 100, 255] {
                let mut repeated = ExactSum::default();
                (0..n).for_each(|_| repeated.add(v));
                let small = v.abs() < two_30;
                assert_eq!(small_times(v, n), small.then_some(repeated.0), "{v} x {n}");
            }
        }
    }

    #[test]
    fn adding_n_times_at_once_is_exact() {
        let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
        for _ in 0..7 {
            a.add(0.1);
        }
        b.add_n(0.1, 7);
        assert_eq!(a, b);
    }

    #[test]
    fn fixed_point_matches_the_generic_conversion() {
        let mut x = 1e-30_f64;
        let mut vs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            // Either side of 2⁶³ in fixed point (the end of the `i64` conversion).
            0.49999999999999994,
            -0.49999999999999994,
            0.2500000000000001,
            1e20,
            -1e20,
            9e18,
            1.7e38,
            f64::MAX,
        ];
        while x < 1e40 {
            vs.extend([x, -x, x * 1.37, -x * 2.9, x * 0.5 + 1e-3]);
            x *= 3.3;
        }
        // Exact halves (ties round away from zero) and the ends of the fast range.
        for k in [
            0.5,
            1.5,
            2.5,
            1e6 + 0.5,
            4_503_599_627_370_495.5,
            2_251_799_813_685_247.5,
        ] {
            vs.extend([
                k / SCALE,
                -k / SCALE,
                (k - 0.25) / SCALE,
                -(k + 0.25) / SCALE,
            ]);
        }
        for v in vs {
            assert_eq!(fixed(v), (v * SCALE).round() as i128, "{v}");
        }
    }
}
