//! [`Dist`]: the distribution of one uncertain number (fixed, uniform, triangular, truncated
//! normal and lognormal, beta, weighted choice, Bernoulli), its central value for a single run,
//! its support (for validation) and its sampling from a path's parameter generator.

use rand::RngExt;
use rand_distr::{Beta, Distribution, LogNormal, Normal, Triangular};
use rand_pcg::Pcg64;

/// A distribution of one number. Bounds of truncated forms are inclusive; `±inf` = untruncated.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Fixed(f64),
    Uniform(f64, f64),
    /// min, mode, max
    Triangular(f64, f64, f64),
    /// Normal(mean, sd) truncated to [min, max].
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// exp(Normal(mu, sigma)) truncated to [min, max].
    LogNormal {
        mu: f64,
        sigma: f64,
        min: f64,
        max: f64,
    },
    /// Beta(a, b) scaled to [min, max].
    Beta {
        a: f64,
        b: f64,
        min: f64,
        max: f64,
    },
    /// One of `values` with probabilities proportional to `weights`.
    Choice {
        values: Vec<f64>,
        weights: Vec<f64>,
    },
    /// 1 with probability p, else 0 (an event's `probability`).
    Bernoulli(f64),
}

/// Rejection sampling of truncated forms gives up after this many tries and clamps.
const MAX_REJECTIONS: usize = 10_000;

impl Dist {
    /// The value a single (non-Monte-Carlo) run uses: fixed value, uniform midpoint, triangular
    /// mode, normal mean, lognormal median `exp(mu)`, beta mean, the most likely choice (first on
    /// ties), Bernoulli 1 when p ≥ ½; truncated forms clamped into their bounds.
    pub fn central(&self) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(a, b) => 0.5 * (a + b),
            Dist::Triangular(_, m, _) => *m,
            Dist::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
            Dist::LogNormal { mu, min, max, .. } => mu.exp().clamp(*min, *max),
            Dist::Beta { a, b, min, max } => min + (max - min) * a / (a + b),
            Dist::Choice { values, weights } => {
                let mut best = 0;
                for (i, w) in weights.iter().enumerate() {
                    if *w > weights[best] {
                        best = i;
                    }
                }
                values.get(best).copied().unwrap_or(0.0)
            }
            Dist::Bernoulli(p) => {
                if *p >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Smallest and largest value the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(x) => (*x, *x),
            Dist::Uniform(a, b) | Dist::Triangular(a, _, b) => (*a, *b),
            Dist::Normal { min, max, .. } => (*min, *max),
            Dist::LogNormal { min, max, .. } => (min.max(0.0), *max),
            Dist::Beta { min, max, .. } => (*min, *max),
            Dist::Choice { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
            Dist::Bernoulli(_) => (0.0, 1.0),
        }
    }

    /// Multiplies every value of the distribution by `k > 0` (unit conversion).
    pub fn scaled(self, k: f64) -> Dist {
        if k == 1.0 {
            return self;
        }
        match self {
            Dist::Fixed(x) => Dist::Fixed(x * k),
            Dist::Uniform(a, b) => Dist::Uniform(a * k, b * k),
            Dist::Triangular(a, m, b) => Dist::Triangular(a * k, m * k, b * k),
            Dist::Normal { mean, sd, min, max } => Dist::Normal {
                mean: mean * k,
                sd: sd * k,
                min: min * k,
                max: max * k,
            },
            Dist::LogNormal {
                mu,
                sigma,
                min,
                max,
            } => Dist::LogNormal {
                mu: mu + k.ln(),
                sigma,
                min: min * k,
                max: max * k,
            },
            Dist::Beta { a, b, min, max } => Dist::Beta {
                a,
                b,
                min: min * k,
                max: max * k,
            },
            Dist::Choice { values, weights } => Dist::Choice {
                values: values.into_iter().map(|v| v * k).collect(),
                weights,
            },
            Dist::Bernoulli(p) => Dist::Bernoulli(p),
        }
    }

    /// Draws one value. The number of generator draws depends only on the values drawn, so the
    /// sequence is reproducible.
    pub fn sample(&self, rng: &mut Pcg64) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(a, b) => {
                let u: f64 = rng.random();
                a + (b - a) * u
            }
            Dist::Triangular(a, m, b) => {
                if b > a {
                    Triangular::new(*a, *b, *m).map_or(*m, |t| t.sample(rng))
                } else {
                    *a
                }
            }
            Dist::Normal { mean, sd, min, max } => match Normal::new(*mean, *sd) {
                Ok(d) => truncated(|r| d.sample(r), *min, *max, rng),
                Err(_) => mean.clamp(*min, *max),
            },
            Dist::LogNormal {
                mu,
                sigma,
                min,
                max,
            } => match LogNormal::new(*mu, *sigma) {
                Ok(d) => truncated(|r| d.sample(r), *min, *max, rng),
                Err(_) => mu.exp().clamp(*min, *max),
            },
            Dist::Beta { a, b, min, max } => match Beta::new(*a, *b) {
                Ok(d) => {
                    let x: f64 = d.sample(rng);
                    min + (max - min) * x
                }
                Err(_) => self.central(),
            },
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let u: f64 = rng.random::<f64>() * total;
                let mut acc = 0.0;
                for (v, w) in values.iter().zip(weights) {
                    acc += w;
                    if u < acc {
                        return *v;
                    }
                }
                values.last().copied().unwrap_or(0.0)
            }
            Dist::Bernoulli(p) => {
                let u: f64 = rng.random();
                if u < *p { 1.0 } else { 0.0 }
            }
        }
    }

    /// Short text for messages and tables, e.g. `uniform [1, 2]`.
    pub fn describe(&self) -> String {
        match self {
            Dist::Fixed(x) => format!("fixed {x}"),
            Dist::Uniform(a, b) => format!("uniform [{a}, {b}]"),
            Dist::Triangular(a, m, b) => format!("triangular [{a}, {m}, {b}]"),
            Dist::Normal { mean, sd, .. } => format!("normal [{mean}, {sd}]"),
            Dist::LogNormal { mu, sigma, .. } => format!("lognormal [{mu}, {sigma}]"),
            Dist::Beta { a, b, .. } => format!("beta [{a}, {b}]"),
            Dist::Choice { values, .. } => format!("choice {values:?}"),
            Dist::Bernoulli(p) => format!("probability {p}"),
        }
    }
}

fn truncated(mut draw: impl FnMut(&mut Pcg64) -> f64, min: f64, max: f64, rng: &mut Pcg64) -> f64 {
    let mut x = draw(rng);
    for _ in 0..MAX_REJECTIONS {
        if x >= min && x <= max {
            return x;
        }
        x = draw(rng);
    }
    x.clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uncertain::param_rng;

    fn mean_of(d: &Dist, n: usize) -> f64 {
        let mut rng = param_rng(7, 0);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn samples_stay_in_support_and_means_match() {
        let cases = [
            (Dist::Uniform(2.0, 4.0), 3.0),
            (Dist::Triangular(0.0, 3.0, 6.0), 3.0),
            (
                Dist::Normal {
                    mean: 1.0,
                    sd: 0.5,
                    min: f64::NEG_INFINITY,
                    max: f64::INFINITY,
                },
                1.0,
            ),
            (
                Dist::Beta {
                    a: 2.0,
                    b: 2.0,
                    min: 10.0,
                    max: 20.0,
                },
                15.0,
            ),
            (
                Dist::Choice {
                    values: vec![1.0, 3.0],
                    weights: vec![1.0, 1.0],
                },
                2.0,
            ),
            (Dist::Bernoulli(0.25), 0.25),
        ];
        for (d, want) in cases {
            let m = mean_of(&d, 20_000);
            assert!((m - want).abs() < 0.05 * want.abs().max(1.0), "{d:?}: {m}");
            let (lo, hi) = d.support();
            let mut rng = param_rng(1, 3);
            for _ in 0..1000 {
                let x = d.sample(&mut rng);
                assert!(x >= lo && x <= hi, "{d:?}: {x}");
            }
        }
        let t = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: 0.5,
            max: 1.0,
        };
        let mut rng = param_rng(1, 0);
        assert!((0..1000).all(|_| (0.5..=1.0).contains(&t.sample(&mut rng))));
    }

    #[test]
    fn central_values() {
        assert_eq!(Dist::Uniform(1.0, 3.0).central(), 2.0);
        assert_eq!(
            Dist::LogNormal {
                mu: 0.0,
                sigma: 1.0,
                min: 2.0,
                max: 5.0
            }
            .central(),
            2.0
        );
        assert_eq!(
            Dist::Choice {
                values: vec![5.0, 7.0],
                weights: vec![1.0, 3.0]
            }
            .central(),
            7.0
        );
        assert_eq!(Dist::Uniform(1.0, 3.0).scaled(2.0), Dist::Uniform(2.0, 6.0));
    }
}
