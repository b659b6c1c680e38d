//! The passes over the S × n arrays and over `Z0`, the step's hot loops: the inventory
//! constraint ([`Model::inventory_constraint`]), the fused pass ([`Model::pass_fused`]:
//! deliveries, inventory update, orders and the next step's demand in one stream over `Z0`),
//! the separate demand pass ([`Model::pass_demand`]) and the S × n redo of the compat switches
//! ([`Model::gap_check`], [`Model::orders`]). Each hot loop is one `#[inline(always)]` body
//! compiled twice: portable, and with AVX2 enabled (chosen at run time; no FMA, so the same
//! rounding), calling the scalar or `simd` kernels of `kernels`.
//!
//! ```text
//! C[s,f]  = ψ·inv_s·T[s,f]·x*_f                 x_f = x*_f · min(1, min_{s counts} Ω[s,f]/C[s,f])
//! Del[s,f]= Σ_{i∈s} Z0[i,f]·coef_i·m_o          coef_i = ρ_i·x_i/D_i   (deliveries by product)
//! Ω'      = max(Ω − T∘x + Del, 0)               Ω* = inv_s·T∘min(D', x̄)
//! G       = r_s·max(Ω* − Ω', 0) + T∘x           H = G / Σ_{i∈s} Z0[i,f]·ρ'_i·m'
//! D'_i    = ρ'_i·Σ_f Z0[i,f]·H[s(i),f]·m'        (the next step's intermediate demand)
//! ```

#[cfg(target_arch = "x86_64")]
use super::kernels::simd;
use super::kernels::{axpy, axpy2, dot, dot_acc, dot4, dot4_acc};
use super::params::ModelKind;
use super::quirks::{self, close_ratio, close_ratio_bf, scan_close};
use super::state::Model;

/// What the fused pass saw, for the compat switches.
pub(super) struct FusedOut {
    pub(super) close_stock: bool,
    pub(super) worst_stock: f64,
    pub(super) close_gap: bool,
    pub(super) worst_gap: f64,
    /// A negative inventory before clamping (BoARIO stops there).
    pub(super) neg: bool,
}

impl Model {
    /// `coef_f = min(1, min_s Ω[s,f]/C[s,f])` over the inputs that count, and `limiting`.
    pub(super) fn inventory_constraint(&mut self, psi: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.inventory_constraint_avx2(psi) };
        }
        self.inventory_constraint_impl(psi)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn inventory_constraint_avx2(&mut self, psi: f64) {
        self.inventory_constraint_impl(psi)
    }

    #[inline(always)]
    fn inventory_constraint_impl(&mut self, psi: f64) {
        let (n, n_s) = (self.base.n, self.base.n_s);
        let rmin = &mut self.coef;
        rmin.fill(1.0);
        for s in 0..n_s {
            let fin = self.base.inv_fin[s];
            let row = s * n..(s + 1) * n;
            let (tech, stock) = (&self.base.tech[row.clone()], &self.stock[row.clone()]);
            let (thresh, lim) = (&self.base.thresh[row.clone()], &mut self.limiting[row]);
            let psi_model = self.p.model == ModelKind::Psi;
            // branch-free (vectorises): r = Ω/C where the input counts, else +inf
            for f in 0..n {
                let xo = self.xopt[f];
                let cons = if psi_model {
                    ((xo * tech[f]) * psi) * fin
                } else {
                    (xo * tech[f]) * fin
                };
                let om = stock[f];
                lim[f] = om < cons && thresh[f];
                let r = om / cons;
                let r = if thresh[f] && cons != 0.0 {
                    r
                } else {
                    f64::INFINITY
                };
                rmin[f] = if r < rmin[f] { r } else { rmin[f] };
            }
        }
    }

    /// Inventories vs goal `Ω* = s·T∘min(D', x̄)` (goal kept in `acc`): (all close, margin).
    pub(super) fn gap_check(&mut self) -> (bool, f64) {
        let n = self.base.n;
        let mut worst = f64::INFINITY;
        let mut close = true;
        for s in 0..self.base.n_s {
            for f in 0..n {
                let q = s * n + f;
                let goal = (self.xopt[f] * self.base.tech[q]) * self.base.inv[s];
                let cr = close_ratio(self.stock[q], goal);
                if cr.is_nan() || cr > 1.0 {
                    close = false;
                }
                if (cr - 1.0).abs() < (worst - 1.0).abs() {
                    worst = cr;
                }
                self.acc[q] = goal;
            }
        }
        (close, worst)
    }

    /// Orders `G = r_s·max(Ω* − Ω, 0) + T∘x` as `H = G / zcp` and their column totals (goal
    /// in `acc`, from [`Model::gap_check`]).
    pub(super) fn orders(&mut self, zero_gap: bool) {
        let n = self.base.n;
        self.col_orders.fill(0.0);
        for s in 0..self.base.n_s {
            for f in 0..n {
                let q = s * n + f;
                let goal = self.acc[q];
                let gap = if zero_gap || !goal.is_finite() || !self.stock[q].is_finite() {
                    0.0
                } else {
                    let g = goal - self.stock[q];
                    if g < 0.0 { 0.0 } else { g }
                };
                let gap = match self.p.model {
                    ModelKind::Psi if !zero_gap => self.base.restor[s] * gap,
                    _ => gap,
                };
                let g = gap + self.x[f] * self.base.tech[q];
                let zc = self.zcp[q];
                self.h[q] = if zc != 0.0 { g / zc } else { 0.0 };
                if zc != 0.0 {
                    self.col_orders[f] += g;
                }
            }
        }
    }

    /// Pass B, fused with the orders and the next step's demand. For each sector s, the R
    /// supplier rows of s (strided: `i = r·S + s`) are streamed once from memory:
    /// `acc[s,·] = Σ_r Z0[i,·]·coef_i·m_o` (deliveries by product) and, if `need_zcp`,
    /// `zcp[s,·] = Σ_r Z0[i,·]·ρ'_i·m'` (next order normalisation). Both are then complete for
    /// s, so are the inventory update of row s, its goal, the orders `H[s,·]` and, re-reading
    /// the same R rows from cache, the next step's demand `od'_i = ρ'_i·Σ_f Z0[i,f]·H[s,f]·m'`.
    /// The compat switches are global (any element of S × n), so the pass assumes the
    /// decisions `pred` and reports the real ones; the caller redoes the S × n part and drops
    /// `od_next` when they differ. Arithmetic is the same as separate passes (bit for bit).
    pub(super) fn pass_fused(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.pass_fused_avx2(m_new, need_zcp, pred) };
        }
        self.pass_fused_impl::<false>(m_new, need_zcp, pred)
    }

    /// The same code compiled for AVX2 (4-wide vectors; no FMA, so the rounding is the same as
    /// the baseline build).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_fused_avx2(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        self.pass_fused_impl::<true>(m_new, need_zcp, pred)
    }

    /// `AVX`: only called from [`Model::pass_fused_avx2`], which has checked the CPU.
    #[inline(always)]
    fn pass_fused_impl<const AVX: bool>(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        let (n, n_r, n_s) = (self.base.n, self.base.n_r, self.base.n_s);
        let Model {
            p,
            base,
            m_o,
            coef,
            rho_n,
            x,
            xopt,
            stock,
            stock_next,
            acc,
            zcp,
            h,
            col_orders,
            od_next,
            cr_stock,
            cr_gap,
            dacc,
            col_block,
            ..
        } = self;
        let mo = m_o.as_deref();
        // Column blocks (multiples of 8) when no trade link is active: the R row segments of a
        // block stay in L2 for the demand re-read, whose 8 accumulators per row are carried
        // from block to block (the same additions in the same order as one `dot` per row).
        let tiled = mo.is_none() && m_new.is_none();
        let pass = Fused {
            z0: &base.z0,
            coef,
            rho_n,
            x,
            goal_x: xopt,
            tech: &base.tech,
            stock,
            inv: &base.inv,
            restor: &base.restor,
            mo,
            m_new,
            n,
            n_r,
            n_s,
            blk: if tiled {
                (*col_block).max(8) / 8 * 8
            } else {
                n.max(1)
            },
            m8: n / 8 * 8,
            need_zcp,
            psi_model: p.model == ModelKind::Psi,
            switches: quirks::allclose_switches(p.mode),
            pred_skip: pred.0,
            pred_zero: pred.1,
        };
        col_orders.fill(0.0);
        let mut out = FusedOut {
            close_stock: true,
            worst_stock: f64::INFINITY,
            close_gap: true,
            worst_gap: f64::INFINITY,
            neg: false,
        };
        for s in 0..n_s {
            if tiled {
                dacc.clear();
                dacc.resize(n_r, [0.0; 8]);
            }
            let mut f0 = 0;
            while f0 < n {
                let f1 = (f0 + pass.blk).min(n);
                let cols = s * n + f0..s * n + f1;
                pass.accumulate::<AVX>(s, f0, f1, &mut acc[cols.clone()], &mut zcp[cols.clone()]);
                let block = Block {
                    acc: &mut acc[cols.clone()],
                    zcp: &zcp[cols.clone()],
                    h: &mut h[cols.clone()],
                    stock_next: &mut stock_next[cols],
                    col_orders: &mut col_orders[f0..f1],
                    cr_stock: &mut cr_stock[f0..f1],
                    cr_gap: &mut cr_gap[f0..f1],
                };
                pass.update_block(s, f0, f1, block, &mut out);
                // the next demand: whole chunks of 8 of this block, rows in cache
                let e = f1.min(pass.m8);
                if tiled && e > f0 {
                    pass.demand_block::<AVX>(s, f0, e, &h[s * n + f0..s * n + e], dacc);
                }
                f0 = f1;
            }
            let hrow = &h[s * n..(s + 1) * n];
            if tiled {
                pass.finish_demand_tiled(s, hrow, dacc, od_next);
            } else {
                pass.demand_rows::<AVX>(s, hrow, od_next);
            }
        }
        out
    }

    /// `od_i = ρ_i · Σ_f Z0[i,f]·H[s(i),f]·m[r(i),s(i),r(f)]`.
    pub(super) fn pass_demand(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.pass_demand_avx2() };
        }
        self.pass_demand_impl()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_demand_avx2(&mut self) {
        self.pass_demand_impl()
    }

    #[inline(always)]
    fn pass_demand_impl(&mut self) {
        let n = self.base.n;
        let (n_r, n_s) = (self.base.n_r, self.base.n_s);
        // rows in storage order: Z0 streams sequentially, H (S × n) stays in cache
        for r in 0..n_r {
            for s in 0..n_s {
                let hrow = &self.h[s * n..(s + 1) * n];
                let i = r * n_s + s;
                let zrow = &self.base.z0[i * n..(i + 1) * n];
                let sum = linked_dot(zrow, hrow, self.m_o.as_deref(), i, n_r, n_s);
                self.od[i] = self.rho_o[i] * sum;
            }
        }
    }
}

/// Supplier row `i = r·S + s` of `Z0` against `H[s,·]`: `Σ_f Z0[i,f]·H[s,f]·m[r,s,r(f)]`, the
/// multipliers `m` (trade links, when any) taken per destination region's block of S columns
/// and blocks of weight 0 skipped.
#[inline(always)]
fn linked_dot(
    zrow: &[f64],
    hrow: &[f64],
    m: Option<&[f64]>,
    i: usize,
    n_r: usize,
    n_s: usize,
) -> f64 {
    match m {
        None => dot(zrow, hrow),
        Some(m) => {
            let mut acc = 0.0;
            for rb in 0..n_r {
                let w = m[i * n_r + rb];
                if w != 0.0 {
                    let a = rb * n_s;
                    acc += w * dot(&zrow[a..a + n_s], &hrow[a..a + n_s]);
                }
            }
            acc
        }
    }
}

/// What one fused pass reads, and how it runs.
struct Fused<'a> {
    z0: &'a [f64],
    coef: &'a [f64],
    rho_n: &'a [f64],
    x: &'a [f64],
    /// `min(D', x̄)`, the production the inventory goal is set for.
    goal_x: &'a [f64],
    tech: &'a [f64],
    stock: &'a [f64],
    inv: &'a [f64],
    restor: &'a [f64],
    /// Trade-link multipliers of the current orders and of the orders being placed.
    mo: Option<&'a [f64]>,
    m_new: Option<&'a [f64]>,
    n: usize,
    n_r: usize,
    n_s: usize,
    /// Column block (all columns when not tiled).
    blk: usize,
    /// The columns in whole chunks of 8.
    m8: usize,
    need_zcp: bool,
    psi_model: bool,
    /// The compat allclose switches are watched.
    switches: bool,
    pred_skip: bool,
    pred_zero: bool,
}

/// The block `f0..f1` of row s of the S × n arrays the pass writes, and the same columns of
/// the n-vectors.
struct Block<'a> {
    acc: &'a mut [f64],
    zcp: &'a [f64],
    h: &'a mut [f64],
    stock_next: &'a mut [f64],
    col_orders: &'a mut [f64],
    cr_stock: &'a mut [f64],
    cr_gap: &'a mut [f64],
}

impl Fused<'_> {
    /// Deliveries of product s, `arow = Σ_r Z0[i, f0..f1]·coef_i·m_o` and, if `need_zcp`, the
    /// next order normalisation `crow = Σ_r Z0[i, f0..f1]·ρ'_i·m'` (`i = r·S + s`).
    #[inline(always)]
    fn accumulate<const AVX: bool>(
        &self,
        s: usize,
        f0: usize,
        f1: usize,
        arow: &mut [f64],
        crow: &mut [f64],
    ) {
        let (n, n_r, n_s, z0) = (self.n, self.n_r, self.n_s, self.z0);
        arow.fill(0.0);
        if self.need_zcp {
            crow.fill(0.0);
        }
        for r in 0..n_r {
            let i = r * n_s + s;
            let zrow = &z0[i * n + f0..i * n + f1];
            let (c1, c2) = (self.coef[i], self.rho_n[i]);
            match (self.mo, self.m_new) {
                (None, None) => {
                    if self.need_zcp {
                        #[cfg(target_arch = "x86_64")]
                        if AVX {
                            // the segment streamed next: the next region's, else the
                            // first region's next block, else sector s + 1's first
                            let j = if r + 1 < n_r {
                                (i + n_s) * n + f0
                            } else if f1 < n {
                                s * n + f1
                            } else {
                                (s + 1) * n
                            };
                            let next = z0.get(j..).unwrap_or(&[]);
                            let next = &next[..next.len().min(self.blk)];
                            // SAFETY: AVX is only set where the CPU has AVX2.
                            unsafe { simd::axpy2(arow, crow, zrow, c1, c2, next) };
                            continue;
                        }
                        axpy2(arow, crow, zrow, c1, c2);
                    } else {
                        axpy(arow, zrow, c1);
                    }
                }
                (mo, mn) => {
                    // not tiled: f0 = 0, f1 = n
                    for rb in 0..n_r {
                        let a = rb * n_s;
                        let w1 = mo.map_or(1.0, |m| m[(r * n_s + s) * n_r + rb]);
                        let w2 = mn.map_or(1.0, |m| m[(r * n_s + s) * n_r + rb]);
                        axpy(&mut arow[a..a + n_s], &zrow[a..a + n_s], c1 * w1);
                        if self.need_zcp {
                            axpy(&mut crow[a..a + n_s], &zrow[a..a + n_s], c2 * w2);
                        }
                    }
                }
            }
        }
    }

    /// Block `f0..f1` of row s once its deliveries and normalisation are complete: the
    /// inventory update, the goal and the orders `H[s,·]`, with the allclose ratios of both
    /// compat switches (taking the predicted decisions).
    #[inline(always)]
    fn update_block(&self, s: usize, f0: usize, f1: usize, b: Block<'_>, out: &mut FusedOut) {
        let n = self.n;
        let cols = s * n + f0..s * n + f1;
        let Block {
            acc: arow,
            zcp: crow,
            h: hrow,
            stock_next: nrow,
            col_orders: colb,
            cr_stock: crs,
            cr_gap: crg,
        } = b;
        let trow = &self.tech[cols.clone()];
        let srow = &self.stock[cols];
        let (inv_s, r_s) = (self.inv[s], self.restor[s]);
        let (pred_skip, pred_zero) = (self.pred_skip, self.pred_zero);
        let r_gap = if self.psi_model && !pred_zero {
            r_s
        } else {
            1.0
        };
        let (xb, xgb) = (&self.x[f0..f1], &self.goal_x[f0..f1]);
        let mut negs = 0usize;
        // branch-free so that it vectorises; the switch statistics are gathered after
        for f in 0..f1 - f0 {
            let add = hrow[f] * arow[f];
            arow[f] = add;
            let use_ = xb[f] * trow[f];
            crs[f] = close_ratio_bf(add, use_);
            let v = (srow[f] - use_) + add;
            negs += (v < 0.0) as usize;
            let st = if pred_skip {
                srow[f]
            } else if v < 0.0 {
                0.0
            } else {
                v
            };
            nrow[f] = st;
            let goal = (xgb[f] * trow[f]) * inv_s;
            crg[f] = close_ratio_bf(st, goal);
            let d = goal - st;
            let gap = if pred_zero || !goal.is_finite() || !st.is_finite() || d < 0.0 {
                0.0
            } else {
                d
            };
            let g = r_gap * gap + use_;
            let zc = crow[f];
            let nz = zc != 0.0;
            hrow[f] = if nz { g / zc } else { 0.0 };
            colb[f] += if nz { g } else { 0.0 };
        }
        if !pred_skip && negs > 0 {
            out.neg = true;
        }
        if self.switches {
            scan_close(crs, false, &mut out.close_stock, &mut out.worst_stock);
            scan_close(crg, true, &mut out.close_gap, &mut out.worst_gap);
        }
    }

    /// The next demand's accumulators of the R rows of s over the whole chunks of 8 of block
    /// `f0..e` (`hseg` = `H[s, f0..e]`), the rows read again while in cache.
    #[inline(always)]
    fn demand_block<const AVX: bool>(
        &self,
        s: usize,
        f0: usize,
        e: usize,
        hseg: &[f64],
        dacc: &mut [[f64; 8]],
    ) {
        let (n, n_r, n_s, z0) = (self.n, self.n_r, self.n_s, self.z0);
        let seg = |r: usize| &z0[(r * n_s + s) * n + f0..(r * n_s + s) * n + e];
        let mut r0 = 0;
        while r0 + 4 <= n_r {
            let rows = [seg(r0), seg(r0 + 1), seg(r0 + 2), seg(r0 + 3)];
            let st: &mut [[f64; 8]; 4] = (&mut dacc[r0..r0 + 4]).try_into().expect("4 rows");
            #[cfg(target_arch = "x86_64")]
            if AVX {
                // SAFETY: AVX is only set where the CPU has AVX2.
                unsafe { simd::dot4_acc(rows, hseg, st) };
                r0 += 4;
                continue;
            }
            dot4_acc(rows, hseg, st);
            r0 += 4;
        }
        for r in r0..n_r {
            dot_acc(seg(r), hseg, &mut dacc[r]);
        }
    }

    /// The next demand of the R rows of s from the accumulators carried over the blocks, with
    /// the columns past the last whole chunk of 8: `od'_i = ρ'_i·(reduced accumulators + tail)`.
    #[inline(always)]
    fn finish_demand_tiled(&self, s: usize, hr: &[f64], dacc: &[[f64; 8]], od_next: &mut [f64]) {
        let (n, n_s) = (self.n, self.n_s);
        for r in 0..self.n_r {
            let i = r * n_s + s;
            let zr = &self.z0[i * n..(i + 1) * n];
            let mut tail = 0.0;
            for k in self.m8..n {
                tail += zr[k] * hr[k];
            }
            let a = &dacc[r];
            let sum = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
            od_next[i] = self.rho_n[i] * sum;
        }
    }

    /// The next demand of the R rows of s in one go (not tiled: a trade link is active), the
    /// rows cache-resident: four rows at a time when no new link applies, else row by row
    /// with the link multipliers per destination region.
    #[inline(always)]
    fn demand_rows<const AVX: bool>(&self, s: usize, hrow: &[f64], od_next: &mut [f64]) {
        let (n, n_r, n_s, z0, rho_n) = (self.n, self.n_r, self.n_s, self.z0, self.rho_n);
        let mut r0 = 0;
        if self.m_new.is_none() {
            // four rows at a time: eight independent add chains, H[s,·] loaded once
            let row = |r: usize| &z0[(r * n_s + s) * n..(r * n_s + s + 1) * n];
            while r0 + 4 <= n_r {
                let rows = [row(r0), row(r0 + 1), row(r0 + 2), row(r0 + 3)];
                #[cfg(target_arch = "x86_64")]
                // SAFETY: AVX is only set where the CPU has AVX2.
                let d = if AVX {
                    unsafe { simd::dot4(rows, hrow) }
                } else {
                    dot4(rows, hrow)
                };
                #[cfg(not(target_arch = "x86_64"))]
                let d = dot4(rows, hrow);
                for (k, v) in d.iter().enumerate() {
                    let i = (r0 + k) * n_s + s;
                    od_next[i] = rho_n[i] * v;
                }
                r0 += 4;
            }
        }
        for r in r0..n_r {
            let i = r * n_s + s;
            let zrow = &z0[i * n..(i + 1) * n];
            let sum = linked_dot(zrow, hrow, self.m_new, i, n_r, n_s);
            od_next[i] = rho_n[i] * sum;
        }
    }
}
