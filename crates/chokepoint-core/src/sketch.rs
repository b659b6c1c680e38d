//! A compact, exact stand-in for one `sketches_ddsketch::DDSketch` (default configuration: 1%
//! relative accuracy, 2048 bins, values below 1e-9 counted as zero) of one (source, day) cell.
//!
//! A Monte Carlo run keeps one sketch per (source, day): 448,220 on `world-2024`. A
//! `DDSketch` holds its bins in a dense `Vec<u64>` of at least 128 bins (1 KiB) per non-empty
//! store, so those sketches alone took ~770 MB per worker, and every insert paid a logarithm and
//! a cache miss on the separate bin array. [`Cell`] keeps the same state — the same bin key for
//! every value (`Config::key`, computed by [`key`] without a logarithm), integer counts per
//! key, the exact min and max — in a sorted list of the non-empty bins (most cells have one to a
//! few dozen) and remembers the last value and its bin, so a value seen again costs neither a
//! key nor a search. Quantiles, merging and the binary form follow the crate's code step by step,
//! so results are bit-identical to the `DDSketch` they replace (tests below compare both on
//! random data); the binary form is the crate's Java-compatible encoding, and reading one goes
//! through `DDSketch::from_java_bytes`.
//!
//! Two differences are left on purpose, both so that nothing depends on the order of insertion:
//! - a `DDSketch` store collapses its lowest bins once its keys span more than 2048 bins (values
//!   spread over a factor of about 6·10¹⁷), which makes its bins depend on insertion order.
//!   [`Cell`] keeps every bin and, only for such a cell, builds the collapsed sketch with the
//!   crate in ascending key order when it reports quantiles or encodes;
//! - a `DDSketch` adds up its values in floating point, in insertion order. [`Cell`] keeps no
//!   sum: its owner keeps an exact one ([`crate::exact::ExactSum`]) and hands it to
//!   [`Cell::to_java_bytes`].

use sketches_ddsketch::{Config, DDSketch};
use std::sync::OnceLock;

/// Bins a `DDSketch` store can hold before it collapses its lowest ones.
const MAX_BINS: i64 = 2048;

fn config() -> Config {
    Config::defaults()
}

/// The default configuration's smallest value counted in a bin (`Config::min_possible`).
const MIN_VALUE: f64 = 1.0e-9;

/// The bin key of a positive value, `Config::key(v) = ⌊ln v / ln γ⌋`, without a logarithm.
///
/// Keys are a non-decreasing step function of `v`, so they are fixed by the first value of each
/// key (its threshold). `KeyTable` holds the thresholds for values in
/// [`MIN_VALUE`, `KeyTable::MAX`), found once by bisection over the bit patterns of positive
/// `f64`s (whose order is their numeric order) with the crate's own `Config::key`. A value's
/// exponent and top [`KeyTable::MANTISSA_BITS`] mantissa bits pick a bucket of values narrower
/// than a key (1.6% against γ − 1 ≈ 2%), so at most one threshold falls inside it: the bucket's
/// table entry is the key of its lowest value, and one comparison with the next threshold
/// settles the key. Outside the table's range the crate's function is used.
#[inline]
pub fn key(v: f64) -> i32 {
    KeyTable::get().key(v)
}

struct KeyTable {
    /// Key of `thresholds[0]`.
    first: i32,
    /// `thresholds[i]`: the smallest `f64` whose key is `first + i`.
    thresholds: Vec<f64>,
    /// Bucket of [`MIN_VALUE`]: bucket `b` is index `b - base` of `bucket_key`.
    base: usize,
    /// Per bucket, the index in `thresholds` of its lowest value's key (0 below [`MIN_VALUE`]).
    bucket_key: Vec<u16>,
}

impl KeyTable {
    const MAX: f64 = 1.0e18;
    /// Mantissa bits of a bucket: 2⁻⁶ of a value at most, less than one key.
    const MANTISSA_BITS: u32 = 6;
    const SHIFT: u32 = 52 - Self::MANTISSA_BITS;

    fn get() -> &'static KeyTable {
        static TABLE: OnceLock<KeyTable> = OnceLock::new();
        TABLE.get_or_init(KeyTable::build)
    }

    fn build() -> KeyTable {
        let c = config();
        let first = c.key(MIN_VALUE);
        let last = c.key(Self::MAX) + 1;
        // Smallest positive bit pattern whose key is at least k, between lo and hi.
        let threshold = |k: i32, mut lo: u64, mut hi: u64| {
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if c.key(f64::from_bits(mid)) >= k {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            f64::from_bits(lo)
        };
        let top = (Self::MAX * 2.0).to_bits();
        let mut thresholds = Vec::with_capacity((last - first + 1) as usize);
        let mut lo = MIN_VALUE.to_bits();
        for k in first..=last {
            let t = if k == first {
                MIN_VALUE
            } else {
                threshold(k, lo, top)
            };
            lo = t.to_bits();
            thresholds.push(t);
        }
        let base = (MIN_VALUE.to_bits() >> Self::SHIFT) as usize;
        let end = (Self::MAX.to_bits() >> Self::SHIFT) as usize + 1;
        // Index of the key of `v` in `thresholds` (the last threshold at or below it).
        let index = |v: f64| thresholds.partition_point(|&t| t <= v).saturating_sub(1);
        let bucket_key = (base..end)
            .map(|b| {
                let low = f64::from_bits((b as u64) << Self::SHIFT);
                let high = f64::from_bits(((b as u64 + 1) << Self::SHIFT) - 1);
                let i = index(low);
                assert!(index(high) <= i + 1, "a bucket spans two keys");
                u16::try_from(i).expect("keys fit a u16")
            })
            .collect();
        KeyTable {
            first,
            thresholds,
            base,
            bucket_key,
        }
    }

    #[inline(always)]
    fn key(&self, v: f64) -> i32 {
        if !(MIN_VALUE..Self::MAX).contains(&v) {
            return config().key(v);
        }
        let i = self.bucket_key[(v.to_bits() >> Self::SHIFT) as usize - self.base] as usize;
        let k = self.first + i as i32;
        if v >= self.thresholds[i + 1] {
            k + 1
        } else {
            k
        }
    }
}

/// Most runs [`Cell::add_runs`] merges in one pass (its stack buffer).
const RUNS: usize = 64;

/// One store: the non-empty bins as (key, count), by ascending key. Counts are `u32` (8 bytes a
/// bin): a cell counts one value per path, and no run has 4·10⁹ paths.
type Bins = Vec<(i32, u32)>;

/// The state of one `DDSketch`, bin for bin.
#[derive(Debug, Clone)]
pub struct Cell {
    min: f64,
    max: f64,
    zero: u64,
    /// Bits of the last positive value added, and the index of its bin in `pos` (`u32::MAX`:
    /// none, e.g. after a merge moved the bins).
    last: u64,
    last_at: u32,
    pos: Bins,
    neg: Bins,
}

impl Default for Cell {
    fn default() -> Self {
        Cell {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zero: 0,
            last: 0,
            last_at: u32::MAX,
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }
}

/// Asks the processor to fetch the cache line at `p` (a hint: it never faults, whatever the
/// address).
#[inline]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Adds one to bin `key`; returns the bin's index.
fn bump(bins: &mut Bins, key: i32, count: u32) -> usize {
    match bins.binary_search_by_key(&key, |b| b.0) {
        Ok(i) => {
            bins[i].1 += count;
            i
        }
        Err(i) => {
            bins.insert(i, (key, count));
            i
        }
    }
}

fn store_count(bins: &Bins) -> u64 {
    bins.iter().map(|b| b.1 as u64).sum()
}

/// `Store::key_at_rank` over the non-empty bins.
fn key_at_rank(bins: &Bins, rank: u64) -> i32 {
    let mut n = 0;
    for &(k, c) in bins {
        n += c as u64;
        if n > rank {
            return k;
        }
    }
    bins.last().map_or(i32::MIN, |b| b.0)
}

fn spans_too_far(bins: &Bins) -> bool {
    match (bins.first(), bins.last()) {
        (Some(a), Some(b)) => b.0 as i64 - a.0 as i64 + 1 > MAX_BINS,
        _ => false,
    }
}

impl Cell {
    /// `DDSketch::add` (without the sum).
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.add_n(v, 1);
    }

    /// `n` times [`Cell::add`]`(v)`.
    #[inline]
    pub fn add_n(&mut self, v: f64, n: u32) {
        let bits = v.to_bits();
        let at = self.last_at as usize;
        if bits == self.last && at < self.pos.len() {
            self.pos[at].1 += n;
        } else if v > MIN_VALUE {
            let key = key(v);
            let i = if self.pos.get(at).is_some_and(|b| b.0 == key) {
                self.pos[at].1 += n;
                at
            } else {
                bump(&mut self.pos, key, n)
            };
            self.last = bits;
            self.last_at = i as u32;
        } else {
            self.add_not_positive(v, n);
        }
        self.widen(v);
    }

    /// Counts `n` times a value below the positive bins: a negative bin, or the zero count
    /// (which also takes NaN, as the crate's sketch does).
    #[inline]
    fn add_not_positive(&mut self, v: f64, n: u32) {
        if v < -MIN_VALUE {
            bump(&mut self.neg, key(-v), n);
        } else {
            self.zero += n as u64;
        }
    }

    #[inline]
    fn widen(&mut self, v: f64) {
        if v < self.min {
            self.min = v;
        }
        if self.max < v {
            self.max = v;
        }
    }

    /// [`Cell::add_n`] of every `(value, n)` of `runs`, with the same result: bins only count
    /// values per key, whatever the order. The positive values' keys are counted in a
    /// histogram over their key range (a cell's values from one batch of paths are usually a
    /// few dozen keys apart) and merged into the bins in one pass instead of one binary search
    /// and insertion per value.
    pub fn add_runs(&mut self, runs: &[(f64, u32)]) {
        if let [(v, n)] = runs {
            // One run (every path of the batch agreed): the value cache is cheaper.
            self.add_n(*v, *n);
            return;
        }
        for chunk in runs.chunks(RUNS) {
            self.add_few_runs(chunk);
        }
    }

    /// [`Cell::add_runs`] for at most [`RUNS`] runs.
    fn add_few_runs(&mut self, runs: &[(f64, u32)]) {
        // Keys a histogram spans: one bit each of a `u64`.
        const SPAN: usize = 64;
        let table = KeyTable::get();
        let mut keys = [(0i32, 0u32); RUNS];
        let mut nk = 0;
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for &(v, n) in runs {
            if v > MIN_VALUE {
                let k = table.key(v);
                keys[nk] = (k, n);
                nk += 1;
                lo = lo.min(k);
                hi = hi.max(k);
            } else {
                self.add_not_positive(v, n);
            }
            self.widen(v);
        }
        if nk == 0 {
            return;
        }
        // The bins moved: the last value's bin index is no longer known.
        self.last_at = u32::MAX;
        let span = (hi as i64 - lo as i64 + 1) as usize;
        if span > SPAN {
            for &(k, n) in &keys[..nk] {
                bump(&mut self.pos, k, n);
            }
            return;
        }
        // Counts per key from `lo`, and a bit per key with a count still to be placed.
        let mut hist = [0u32; SPAN];
        let mut fresh = 0u64;
        for &(k, n) in &keys[..nk] {
            let j = (k - lo) as usize;
            hist[j] += n;
            fresh |= 1 << j;
        }
        let pos = &mut self.pos;
        let start = pos.partition_point(|b| b.0 < lo);
        let mut end = start;
        while end < pos.len() && pos[end].0 <= hi {
            let j = (pos[end].0 - lo) as usize;
            pos[end].1 += hist[j];
            fresh &= !(1 << j);
            end += 1;
        }
        let new = fresh.count_ones() as usize;
        if new == 0 {
            return;
        }
        // Open `new` slots after the range and merge the new keys in from the back.
        let len = pos.len();
        pos.resize(len + new, (0, 0));
        pos.copy_within(end..len, end + new);
        let (mut read, mut write) = (end, end + new);
        while fresh != 0 {
            let j = 63 - fresh.leading_zeros() as usize;
            fresh &= !(1 << j);
            let k = lo + j as i32;
            while read > start && pos[read - 1].0 > k {
                read -= 1;
                write -= 1;
                pos[write] = pos[read];
            }
            write -= 1;
            pos[write] = (k, hist[j]);
        }
    }

    /// Asks the processor to fetch this cell's bins (a separate allocation, so the hardware
    /// cannot predict it) ahead of a pass that will add to them.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // The binary search over the bins touches lines all over the array: fetch up to
            // 1 KiB (128 bins), one 64-byte line at a time.
            let bytes = (self.pos.len() * std::mem::size_of::<(i32, u32)>()).min(1024);
            let base: *const i8 = self.pos.as_ptr().cast();
            for off in (0..bytes).step_by(64) {
                _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(off));
            }
        }
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        store_count(&self.pos) + self.zero + store_count(&self.neg)
    }

    /// `DDSketch::merge`.
    pub fn merge(&mut self, o: &Cell) {
        let was_empty = self.count() == 0;
        for (mine, theirs) in [(&mut self.pos, &o.pos), (&mut self.neg, &o.neg)] {
            for &(k, c) in theirs {
                bump(mine, k, c);
            }
        }
        self.zero += o.zero;
        if was_empty {
            self.min = o.min;
            self.max = o.max;
        } else if o.count() != 0 {
            if o.min < self.min {
                self.min = o.min;
            }
            if o.max > self.max {
                self.max = o.max;
            }
        }
        self.last_at = u32::MAX;
    }

    /// Minimum and maximum, `None` when empty.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        (self.count() != 0).then_some((self.min, self.max))
    }

    /// `DDSketch::quantile` for `q` in [0, 1]; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if spans_too_far(&self.pos) || spans_too_far(&self.neg) {
            return self.to_sketch(0.0).quantile(q).ok().flatten();
        }
        let total = self.count();
        if total == 0 {
            return None;
        }
        if q == 0.0 {
            return Some(self.min);
        } else if q == 1.0 {
            return Some(self.max);
        }
        let negc = store_count(&self.neg);
        let rank = (q * (total as f64 - 1.0)) as u64;
        Some(if rank < negc {
            -config().value(key_at_rank(&self.neg, negc - rank - 1))
        } else if rank < self.zero + negc {
            0.0
        } else {
            config().value(key_at_rank(&self.pos, rank - self.zero - negc))
        })
    }

    /// The equivalent `DDSketch` with sum `sum` (built by the crate from this cell's binary form).
    pub fn to_sketch(&self, sum: f64) -> DDSketch {
        let bytes = self.java_bytes_uncollapsed(sum);
        DDSketch::from_java_bytes(&bytes).unwrap_or_else(|_| DDSketch::new(config()))
    }

    /// `DDSketch::to_java_bytes`, with the sum of the values added given by the caller.
    pub fn to_java_bytes(&self, sum: f64) -> Vec<u8> {
        if spans_too_far(&self.pos) || spans_too_far(&self.neg) {
            return self.to_sketch(sum).to_java_bytes();
        }
        self.java_bytes_uncollapsed(sum)
    }

    fn java_bytes_uncollapsed(&self, sum: f64) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + 4 * (self.pos.len() + self.neg.len()));
        let count = self.count() as f64;
        if count != 0.0 {
            out.push(FLAG_COUNT);
            encode_var_double(&mut out, count);
            out.push(FLAG_MIN);
            out.extend_from_slice(&self.min.to_le_bytes());
            out.push(FLAG_MAX);
            out.extend_from_slice(&self.max.to_le_bytes());
        }
        if sum != 0.0 {
            out.push(FLAG_SUM);
            out.extend_from_slice(&sum.to_le_bytes());
        }
        out.push(FLAG_INDEX_MAPPING_LOG);
        out.extend_from_slice(&config().gamma.to_le_bytes());
        out.extend_from_slice(&0.0f64.to_le_bytes());
        if self.zero != 0 {
            out.push(FLAG_ZERO_COUNT);
            encode_var_double(&mut out, self.zero as f64);
        }
        for (bins, flag) in [(&self.pos, FLAG_POSITIVE), (&self.neg, FLAG_NEGATIVE)] {
            if bins.is_empty() {
                continue;
            }
            out.push(flag);
            encode_unsigned_var_long(&mut out, bins.len() as u64);
            let mut prev: i64 = 0;
            for &(k, c) in bins {
                encode_signed_var_long(&mut out, k as i64 - prev);
                encode_var_double(&mut out, c as f64);
                prev = k as i64;
            }
        }
        out
    }

    /// Reads any binary form `DDSketch::from_java_bytes` accepts (via the crate, which also
    /// normalises it to the form [`Cell::to_java_bytes`] writes). `None` if it is corrupt.
    pub fn from_java_bytes(bytes: &[u8]) -> Option<Cell> {
        if !well_formed(bytes) {
            return None;
        }
        let sk = DDSketch::from_java_bytes(bytes).ok()?;
        if sk.count() == 0 {
            return Some(Cell::default());
        }
        let canonical = sk.to_java_bytes();
        let mut r = canonical.as_slice();
        let mut c = Cell::default();
        while let Some((&flag, rest)) = r.split_first() {
            r = rest;
            match flag {
                FLAG_COUNT => {
                    decode_var_double(&mut r)?;
                }
                FLAG_MIN => c.min = read_f64(&mut r)?,
                FLAG_MAX => c.max = read_f64(&mut r)?,
                // The owner keeps the sum (see the module comment).
                FLAG_SUM => {
                    read_f64(&mut r)?;
                }
                FLAG_INDEX_MAPPING_LOG => {
                    read_f64(&mut r)?;
                    read_f64(&mut r)?;
                }
                FLAG_ZERO_COUNT => c.zero = bin_count(decode_var_double(&mut r)?)?.into(),
                FLAG_POSITIVE | FLAG_NEGATIVE => {
                    let n = decode_unsigned_var_long(&mut r)? as usize;
                    let mut bins = Vec::with_capacity(n);
                    let mut k: i64 = 0;
                    for _ in 0..n {
                        k += decode_signed_var_long(&mut r)?;
                        bins.push((k as i32, bin_count(decode_var_double(&mut r)?)?));
                    }
                    if flag == FLAG_POSITIVE {
                        c.pos = bins;
                    } else {
                        c.neg = bins;
                    }
                }
                _ => return None,
            }
        }
        Some(c)
    }
}

/// A count of the crate's normalised form as a bin count: the crate adds up repeated keys and
/// zero counts, so two counts that were each in range may no longer fit a `u32`, which
/// [`Cell::to_java_bytes`] could then not write back readably (found by fuzzing the shard
/// decoder: a decoded shard whose re-encoded bytes did not decode).
fn bin_count(c: f64) -> Option<u32> {
    (c.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&c)).then_some(c as u32)
}

// The crate's Java-compatible binary format (DDSketchWithExactSummaryStatistics), as written by
// `sketches_ddsketch::DDSketch::to_java_bytes`.
const FLAG_INDEX_MAPPING_LOG: u8 = 0x02;
const FLAG_ZERO_COUNT: u8 = 0x04;
const FLAG_COUNT: u8 = 0xA0;
const FLAG_SUM: u8 = 0x84;
const FLAG_MIN: u8 = 0x88;
const FLAG_MAX: u8 = 0x8C;
/// Index deltas and counts (mode 1) for the positive (1) and negative (3) stores.
const FLAG_POSITIVE: u8 = (1 << 2) | 1;
const FLAG_NEGATIVE: u8 = (1 << 2) | 3;

fn encode_unsigned_var_long(out: &mut Vec<u8>, mut value: u64) {
    let length = ((63 - value.leading_zeros() as i32) / 7).clamp(0, 8);
    for _ in 0..length {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn encode_signed_var_long(out: &mut Vec<u8>, value: i64) {
    encode_unsigned_var_long(out, ((value >> 63) ^ (value << 1)) as u64);
}

fn encode_var_double(out: &mut Vec<u8>, value: f64) {
    let mut bits = f64::to_bits(value + 1.0)
        .wrapping_sub(f64::to_bits(1.0))
        .rotate_left(6);
    for _ in 0..8 {
        let next = (bits >> 57) as u8;
        bits <<= 7;
        if bits == 0 {
            out.push(next);
            return;
        }
        out.push(next | 0x80);
    }
    out.push((bits >> 56) as u8);
}

/// Bin keys a sketch read back may have: the keys of every positive finite `f64` lie within
/// ±36 000 for the default configuration. Bounding them keeps the crate's key arithmetic (in
/// `i32`, where a corrupt shard's keys near `i32::MAX` overflowed) far from its limits.
const MAX_KEY: i64 = 1 << 16;

/// Whether `bytes` is a sketch as [`Cell::to_java_bytes`] (or the crate) writes it for the
/// default configuration: known flags, the default index mapping, bins encoded as index deltas
/// and counts, keys within [`MAX_KEY`], counts that are whole numbers below 2³², and an
/// ordered `[min, max]` when anything was counted. `DDSketch::from_java_bytes` trusts its input
/// (it panics on overflowing keys, counts and mappings), so a shard read back from disk is
/// checked here first; anything else is corrupt.
fn well_formed(bytes: &[u8]) -> bool {
    let count_ok = |c: f64| c.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&c);
    let mut r = bytes;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut counted = false;
    while let Some(flag) = read_byte(&mut r) {
        let ok = match flag {
            FLAG_COUNT => decode_var_double(&mut r).is_some(),
            FLAG_SUM => read_f64(&mut r).is_some(),
            FLAG_MIN => read_f64(&mut r).map(|v| min = v).is_some(),
            FLAG_MAX => read_f64(&mut r).map(|v| max = v).is_some(),
            FLAG_INDEX_MAPPING_LOG => {
                read_f64(&mut r).is_some_and(|g| g.to_bits() == config().gamma.to_bits())
                    && read_f64(&mut r).is_some()
            }
            FLAG_ZERO_COUNT => decode_var_double(&mut r).is_some_and(|c| {
                counted |= c > 0.0;
                count_ok(c)
            }),
            FLAG_POSITIVE | FLAG_NEGATIVE => {
                let Some(n) = decode_unsigned_var_long(&mut r) else {
                    return false;
                };
                // Each bin takes at least two bytes: no count beyond the input is believed.
                if n > r.len() as u64 / 2 {
                    return false;
                }
                let mut k: i64 = 0;
                (0..n).all(|_| {
                    decode_signed_var_long(&mut r).is_some_and(|d| {
                        k = k.saturating_add(d);
                        (-MAX_KEY..=MAX_KEY).contains(&k)
                    }) && decode_var_double(&mut r).is_some_and(|c| {
                        counted |= c > 0.0;
                        count_ok(c)
                    })
                })
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    !counted || min <= max
}

fn read_byte(r: &mut &[u8]) -> Option<u8> {
    let (&b, rest) = r.split_first()?;
    *r = rest;
    Some(b)
}

fn read_f64(r: &mut &[u8]) -> Option<f64> {
    if r.len() < 8 {
        return None;
    }
    let (a, rest) = r.split_at(8);
    *r = rest;
    Some(f64::from_le_bytes(a.try_into().ok()?))
}

fn decode_unsigned_var_long(r: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    let mut shift: u32 = 0;
    loop {
        let next = read_byte(r)?;
        if next < 0x80 || shift == 56 {
            return Some(value | (u64::from(next) << shift));
        }
        value |= (u64::from(next) & 0x7F) << shift;
        shift += 7;
    }
}

fn decode_signed_var_long(r: &mut &[u8]) -> Option<i64> {
    let e = decode_unsigned_var_long(r)?;
    Some(((e >> 1) as i64) ^ -((e & 1) as i64))
}

fn decode_var_double(r: &mut &[u8]) -> Option<f64> {
    let mut bits: u64 = 0;
    let mut shift: i32 = 57;
    loop {
        let next = read_byte(r)?;
        if shift == 1 {
            bits |= u64::from(next);
            break;
        }
        if next < 0x80 {
            bits |= u64::from(next) << shift;
            break;
        }
        bits |= (u64::from(next) & 0x7F) << shift;
        shift -= 7;
    }
    Some(f64::from_bits(bits.rotate_right(6).wrapping_add(f64::to_bits(1.0))) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    /// Values like the engine's: repeats, zeros, tiny, negative, and a wide spread.
    fn values(rng: &mut Pcg64, n: usize) -> Vec<f64> {
        let mut pool: Vec<f64> = (0..8).map(|_| rng.random::<f64>() * 100.0).collect();
        pool.extend([0.0, -0.0, 1e-10, 5e-9, -3.5, 1e6, 42.0]);
        (0..n)
            .map(|_| match rng.random_range(0..4) {
                0 => pool[rng.random_range(0..pool.len())],
                1 => rng.random::<f64>() * 1000.0,
                2 => (rng.random::<f64>() * 30.0 - 15.0).exp(),
                _ => -(rng.random::<f64>() * 10.0),
            })
            .collect()
    }

    fn same(c: &Cell, s: &DDSketch) {
        let sum = s.sum().unwrap_or(0.0);
        assert_eq!(c.to_java_bytes(sum), s.to_java_bytes());
        assert_eq!(c.count() as usize, s.count());
        for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1.0] {
            let a = c.quantile(q);
            let b = s.quantile(q).ok().flatten();
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "q = {q}");
        }
        assert_eq!(
            c.min_max().map(|m| m.0.to_bits()),
            s.min().map(f64::to_bits)
        );
        assert_eq!(
            c.min_max().map(|m| m.1.to_bits()),
            s.max().map(f64::to_bits)
        );
    }

    #[test]
    fn table_keys_equal_the_crates_keys() {
        let c = config();
        let t = KeyTable::get();
        // Every threshold and its neighbours, in both directions.
        for (i, &th) in t.thresholds.iter().enumerate() {
            let k = t.first + i as i32;
            assert_eq!(c.key(th), k);
            let below = f64::from_bits(th.to_bits() - 1);
            if below >= MIN_VALUE {
                assert_eq!(key(below), c.key(below), "{below:e}");
            }
            for up in 0..3 {
                let v = f64::from_bits(th.to_bits() + up);
                assert_eq!(key(v), c.key(v), "{v:e}");
            }
        }
        // Both ends of every bucket.
        for b in t.base..t.base + t.bucket_key.len() {
            for bits in [
                (b as u64) << KeyTable::SHIFT,
                ((b as u64 + 1) << KeyTable::SHIFT) - 1,
            ] {
                let v = f64::from_bits(bits);
                assert_eq!(key(v), c.key(v), "{v:e}");
            }
        }
        // Random values over the whole range and beyond it.
        let mut rng = Pcg64::seed_from_u64(3);
        for _ in 0..200_000 {
            let v = (rng.random::<f64>() * 110.0 - 55.0).exp();
            assert_eq!(key(v), c.key(v), "{v:e}");
        }
        assert_eq!(c.min_possible(), MIN_VALUE);
    }

    #[test]
    fn adding_n_times_at_once_is_adding_n_times() {
        let mut rng = Pcg64::seed_from_u64(11);
        let vs = values(&mut rng, 300);
        let (mut one, mut many) = (Cell::default(), Cell::default());
        for (i, &v) in vs.iter().enumerate() {
            let n = 1 + (i % 4) as u32;
            for _ in 0..n {
                one.add(v);
            }
            many.add_n(v, n);
        }
        assert_eq!(one.to_java_bytes(1.5), many.to_java_bytes(1.5));
    }

    #[test]
    fn adding_runs_at_once_is_adding_them_one_by_one() {
        let mut rng = Pcg64::seed_from_u64(12);
        for round in 0..300 {
            // Narrow batches (merged through the histogram), wide ones (one by one), zeros,
            // negatives and repeats, into cells that already hold bins around them.
            let scale = [1e-3, 1.0, 50.0, 1e6][round % 4];
            let spread = [0.05, 0.3, 3.0][round % 3];
            let mut one = Cell::default();
            let mut all = Cell::default();
            for _ in 0..(round % 7) {
                let runs: Vec<(f64, u32)> = (0..rng.random_range(1..=2 * RUNS))
                    .map(|_| {
                        let v = match rng.random_range(0..10) {
                            0 => 0.0,
                            1 => -scale * rng.random::<f64>(),
                            _ => scale * (1.0 + spread * rng.random::<f64>()),
                        };
                        (v, rng.random_range(1..4))
                    })
                    .collect();
                for &(v, n) in &runs {
                    one.add_n(v, n);
                }
                all.add_runs(&runs);
                assert_eq!(all.pos, one.pos, "round {round}");
                assert_eq!(all.neg, one.neg);
                assert_eq!((all.zero, all.min, all.max), (one.zero, one.min, one.max));
                // The value cache still works after a merge.
                all.add(scale);
                one.add(scale);
                assert_eq!(all.pos, one.pos);
            }
        }
    }

    #[test]
    fn cell_matches_ddsketch_bit_for_bit() {
        let mut rng = Pcg64::seed_from_u64(7);
        for n in [0, 1, 2, 5, 40, 500] {
            let vs = values(&mut rng, n);
            let mut c = Cell::default();
            let mut s = DDSketch::new(config());
            for &v in &vs {
                c.add(v);
                s.add(v);
            }
            same(&c, &s);
            let back = Cell::from_java_bytes(&c.to_java_bytes(s.sum().unwrap_or(0.0))).unwrap();
            same(&back, &s);
            // Merging (into empty, from empty, both full) and adding after a merge.
            let ws = values(&mut rng, n / 2 + 1);
            let mut c2 = Cell::default();
            let mut s2 = DDSketch::new(config());
            for &w in &ws {
                c2.add(w);
                s2.add(w);
            }
            let mut ce = Cell::default();
            let mut se = DDSketch::new(config());
            ce.merge(&c);
            se.merge(&s).unwrap();
            same(&ce, &se);
            c.merge(&c2);
            s.merge(&s2).unwrap();
            same(&c, &s);
            c.merge(&Cell::default());
            s.merge(&DDSketch::new(config())).unwrap();
            same(&c, &s);
            for &w in &ws {
                c.add(w);
                s.add(w);
            }
            same(&c, &s);
        }
    }
}
