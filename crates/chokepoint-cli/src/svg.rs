//! Charts as inline SVG text for `chokepoint report` and the dashboard: a [`TimeChart`] (lines,
//! steps and P5-P95 fan bands over the days of a run, with dated event markers), [`bars`] (a
//! histogram), [`matrix`] (a flow matrix as a heat map) and [`timeline`] (events as bars).
//!
//! Every chart is one `<svg class="chart">` whose `data-series` attribute lists, separated by
//! `|`, the series it draws; each series is drawn by elements carrying the same name in their
//! own `data-series`, so a test (or a reader of the source) can check that every promised
//! series is there and not empty. No script, no external font: the text uses the reader's
//! sans-serif, so the file reads the same offline.

use jiff::ToSpan as _;
use jiff::civil::Date;
use std::fmt::Write as _;

pub const WIDTH: f64 = 760.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 34.0;

/// Colours of successive series (colour-blind safe, after Okabe and Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// Text safe inside SVG or HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number for a label: few significant digits, no exponent.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{v:.3}")
    }
}

/// One line of a [`TimeChart`]: a value per day (NaN where there is none).
pub struct Line {
    pub name: String,
    pub values: Vec<f64>,
    /// Drawn as steps (counts, probabilities) rather than straight segments.
    pub step: bool,
}

/// A fan band of a [`TimeChart`]: between `lo` and `hi` each day.
pub struct Band {
    pub name: String,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// Index into [`PALETTE`] of the line it belongs to.
    pub colour: usize,
    pub opacity: f64,
}

/// Values over the days of a run from `start`.
pub struct TimeChart {
    pub title: String,
    pub unit: String,
    pub start: Date,
    pub days: u32,
    pub lines: Vec<Line>,
    pub bands: Vec<Band>,
    /// Dated marks (an event's start), by day index.
    pub marks: Vec<(u32, String)>,
    /// Fix the y axis at [0, 1] (probabilities).
    pub unit_interval: bool,
    /// Label the x axis by step number rather than by date (an ARIO run's steps).
    pub x_steps: bool,
}

/// Maps data to the plot area.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    days: f64,
    lo: f64,
    hi: f64,
}

impl Frame {
    fn x(&self, day: f64) -> f64 {
        self.x0 + (self.x1 - self.x0) * day / self.days.max(1.0)
    }
    fn y(&self, v: f64) -> f64 {
        self.y1 - (self.y1 - self.y0) * (v - self.lo) / (self.hi - self.lo)
    }
}

/// Round tick steps: 1, 2 or 5 times a power of ten, about five ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

fn open_svg(out: &mut String, title: &str, series: &[String], height: f64) {
    let names: Vec<String> = series.iter().map(|s| esc(s)).collect();
    let _ = write!(
        out,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}" data-series="{s}" font-family="sans-serif" font-size="11"><title>{t}</title><text x="{LEFT}" y="16" font-size="13" font-weight="bold">{t}</text>"#,
        t = esc(title),
        s = names.join("|"),
    );
}

impl TimeChart {
    fn range(&self) -> (f64, f64) {
        if self.unit_interval {
            return (0.0, 1.0);
        }
        let all = self
            .lines
            .iter()
            .flat_map(|l| l.values.iter())
            .chain(self.bands.iter().flat_map(|b| b.lo.iter().chain(&b.hi)))
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = all.fold((0.0f64, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else {
            lo + 1.0
        };
        let step = tick_step(hi - lo);
        (lo, (hi / step).ceil() * step)
    }

    pub fn render(&self) -> String {
        let names: Vec<String> = self
            .bands
            .iter()
            .map(|b| b.name.clone())
            .chain(self.lines.iter().map(|l| l.name.clone()))
            .collect();
        let mut out = String::new();
        open_svg(&mut out, &self.title, &names, HEIGHT);
        let (lo, hi) = self.range();
        let f = Frame {
            x0: LEFT,
            x1: WIDTH - RIGHT,
            y0: TOP,
            y1: HEIGHT - BOTTOM,
            days: f64::from(self.days.saturating_sub(1).max(1)),
            lo,
            hi,
        };
        self.axes(&mut out, &f);
        for b in &self.bands {
            let mut d = String::new();
            let pts = |v: &[f64]| -> Vec<(f64, f64)> {
                v.iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, v)| (f.x(i as f64), f.y(*v)))
                    .collect()
            };
            let (upper, lower) = (pts(&b.hi), pts(&b.lo));
            for (k, (x, y)) in upper.iter().chain(lower.iter().rev()).enumerate() {
                let _ = write!(d, "{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" });
            }
            d.push('Z');
            let _ = write!(
                out,
                r#"<path class="band" data-series="{}" d="{d}" fill="{}" fill-opacity="{}" stroke="none"/>"#,
                esc(&b.name),
                PALETTE[b.colour % PALETTE.len()],
                b.opacity
            );
        }
        for (k, l) in self.lines.iter().enumerate() {
            let mut d = String::new();
            let mut pen = false;
            let mut last_y = 0.0;
            for (i, v) in l.values.iter().enumerate() {
                if !v.is_finite() {
                    pen = false;
                    continue;
                }
                let (x, y) = (f.x(i as f64), f.y(*v));
                if !pen {
                    let _ = write!(d, "M{x:.1},{y:.1}");
                } else if l.step {
                    let _ = write!(d, "L{x:.1},{last_y:.1}L{x:.1},{y:.1}");
                } else {
                    let _ = write!(d, "L{x:.1},{y:.1}");
                }
                pen = true;
                last_y = y;
            }
            let colour = PALETTE[k % PALETTE.len()];
            let _ = write!(
                out,
                r#"<path class="series" data-series="{n}" d="{d}" fill="none" stroke="{colour}" stroke-width="1.6"><title>{n}</title></path>"#,
                n = esc(&l.name),
            );
            let ly = TOP + 14.0 * k as f64;
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="12" height="3" fill="{colour}"/><text x="{tx}" y="{ty}">{n}</text>"#,
                x = WIDTH - RIGHT + 8.0,
                y = ly + 4.0,
                tx = WIDTH - RIGHT + 24.0,
                ty = ly + 8.0,
                n = esc(&clip(&l.name, 22)),
            );
        }
        out.push_str("</svg>");
        out
    }

    fn axes(&self, out: &mut String, f: &Frame) {
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#fafafa" stroke="#bbb"/>"##,
            x = f.x0,
            y = f.y0,
            w = f.x1 - f.x0,
            h = f.y1 - f.y0
        );
        let step = tick_step(f.hi - f.lo);
        let mut v = (f.lo / step).ceil() * step;
        while v <= f.hi + step * 1e-9 {
            let y = f.y(v);
            let _ = write!(
                out,
                r##"<line x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{l}</text>"##,
                x0 = f.x0,
                x1 = f.x1,
                tx = f.x0 - 4.0,
                ty = y + 4.0,
                l = short(v)
            );
            v += step;
        }
        let _ = write!(
            out,
            r#"<text x="12" y="{y}" transform="rotate(-90 12 {y})" text-anchor="middle">{u}</text>"#,
            y = (f.y0 + f.y1) / 2.0,
            u = esc(&self.unit)
        );
        if self.x_steps {
            let step = tick_step(f.days).max(1.0);
            let mut d = 0.0;
            while d <= f.days {
                let x = f.x(d);
                let _ = write!(
                    out,
                    r#"<text x="{x:.1}" y="{ty}" text-anchor="middle">step {d}</text>"#,
                    ty = f.y1 + 16.0
                );
                d += step;
            }
            return self.marks(out, f);
        }
        // A tick at each month's first day (every third month past a year).
        let every = if self.days > 400 { 3 } else { 1 };
        let mut month = self.start.first_of_month();
        let mut k = 0;
        let end = self.start.saturating_add(i64::from(self.days).days());
        while month < end {
            if month >= self.start && k % every == 0 {
                let day = (month - self.start).get_days() as f64;
                let x = f.x(day);
                let _ = write!(
                    out,
                    r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y0}" y2="{y1}" stroke="#bbb"/><text x="{x:.1}" y="{ty}" text-anchor="middle">{l}</text>"##,
                    y0 = f.y1,
                    y1 = f.y1 + 4.0,
                    ty = f.y1 + 16.0,
                    l = month.strftime("%b %y")
                );
            }
            if month >= self.start {
                k += 1;
            }
            month = month.saturating_add(1.month());
        }
        self.marks(out, f);
    }

    fn marks(&self, out: &mut String, f: &Frame) {
        for (day, label) in &self.marks {
            let x = f.x(f64::from(*day));
            let _ = write!(
                out,
                r##"<line class="mark" x1="{x:.1}" x2="{x:.1}" y1="{y0}" y2="{y1}" stroke="#888" stroke-dasharray="3,3"><title>{l}</title></line>"##,
                y0 = f.y0,
                y1 = f.y1,
                l = esc(label)
            );
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

/// A histogram: `counts[i]` items in the bin `[edges[i], edges[i + 1])`.
pub fn bars(title: &str, series: &str, unit: &str, edges: &[f64], counts: &[u64]) -> String {
    let mut out = String::new();
    open_svg(&mut out, title, &[series.to_string()], HEIGHT);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
    let w = (x1 - x0) / counts.len().max(1) as f64;
    let _ = write!(out, r#"<g class="series" data-series="{}">"#, esc(series));
    for (i, &c) in counts.iter().enumerate() {
        let h = (y1 - y0) * c as f64 / top;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{h:.1}" fill="{col}"><title>{a}-{b} {unit}: {c}</title></rect>"#,
            x = x0 + w * i as f64 + 1.0,
            y = y1 - h,
            bw = (w - 2.0).max(1.0),
            col = PALETTE[0],
            a = short(edges[i]),
            b = short(edges[i + 1]),
        );
    }
    out.push_str("</g>");
    for (i, e) in edges.iter().enumerate() {
        if i % (edges.len() / 8).max(1) == 0 {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y}" text-anchor="middle">{l}</text>"#,
                x = x0 + w * i as f64,
                y = y1 + 16.0,
                l = short(*e)
            );
        }
    }
    let _ = write!(
        out,
        r#"<text x="{x0}" y="{y}">count (max {m})</text><text x="{x1}" y="{y2}" text-anchor="end">{u}</text></svg>"#,
        y = y0 - 2.0,
        m = top,
        y2 = y1 + 30.0,
        u = esc(unit)
    );
    out
}

/// Flow matrices side by side, one per panel (`before`, `during`): exporters down, importers
/// across, each cell shaded by its value over the largest value of all panels.
pub fn matrix(
    title: &str,
    unit: &str,
    exporters: &[String],
    importers: &[String],
    panels: &[(String, Vec<Vec<f64>>)],
) -> String {
    let cell = 26.0;
    let label = 80.0;
    let panel_w = label + cell * importers.len() as f64 + 20.0;
    let height = TOP + 40.0 + cell * exporters.len() as f64 + 30.0;
    let width = (panel_w * panels.len() as f64).max(300.0);
    let names: Vec<String> = panels.iter().map(|p| p.0.clone()).collect();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" data-series="{s}" font-family="sans-serif" font-size="10"><title>{t}</title><text x="4" y="16" font-size="13" font-weight="bold">{t}</text>"#,
        t = esc(title),
        s = names.iter().map(|n| esc(n)).collect::<Vec<_>>().join("|")
    );
    let top = panels
        .iter()
        .flat_map(|p| p.1.iter().flatten())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    for (k, (name, m)) in panels.iter().enumerate() {
        let ox = panel_w * k as f64;
        let _ = write!(
            out,
            r#"<g class="series" data-series="{n}"><text x="{x}" y="{y}" font-weight="bold">{n}</text>"#,
            n = esc(name),
            x = ox + label,
            y = TOP + 2.0
        );
        for (j, imp) in importers.iter().enumerate() {
            let x = ox + label + cell * j as f64 + cell / 2.0;
            let y = TOP + 36.0;
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y}" transform="rotate(-45 {x:.1} {y})">{}</text>"#,
                esc(&clip(imp, 9))
            );
        }
        for (i, exp) in exporters.iter().enumerate() {
            let y = TOP + 40.0 + cell * i as f64;
            let _ = write!(
                out,
                r#"<text x="{x}" y="{ty:.1}" text-anchor="end">{}</text>"#,
                esc(&clip(exp, 12)),
                x = ox + label - 4.0,
                ty = y + cell / 2.0 + 4.0
            );
            for (j, imp) in importers.iter().enumerate() {
                let v = m[i][j];
                let share = if top > 0.0 && v.is_finite() {
                    v / top
                } else {
                    0.0
                };
                let _ = write!(
                    out,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{c}" height="{c}" fill="#0072B2" fill-opacity="{o:.3}" stroke="#ddd"><title>{e} → {imp}: {v} {u}</title></rect>"##,
                    x = ox + label + cell * j as f64,
                    c = cell - 1.0,
                    o = if v > 0.0 { 0.08 + 0.92 * share } else { 0.0 },
                    e = esc(exp),
                    imp = esc(imp),
                    v = short(v),
                    u = esc(unit)
                );
            }
        }
        out.push_str("</g>");
    }
    let _ = write!(
        out,
        r#"<text x="4" y="{y}">darkest cell: {m} {u}</text></svg>"#,
        y = height - 8.0,
        m = short(top),
        u = esc(unit)
    );
    out
}

/// Events as bars over the days of a run: `(label, kind, first day, end day or None)`.
pub fn timeline(
    title: &str,
    start: Date,
    days: u32,
    events: &[(String, String, u32, Option<u32>)],
) -> String {
    let row = 20.0;
    let height = TOP + 24.0 + row * events.len().max(1) as f64;
    let mut out = String::new();
    open_svg(&mut out, title, &["events".to_string()], height);
    let (x0, x1) = (LEFT + 150.0, WIDTH - 20.0);
    let x = |d: u32| x0 + (x1 - x0) * f64::from(d.min(days)) / f64::from(days.max(1));
    out.push_str(r#"<g class="series" data-series="events">"#);
    for (i, (label, kind, from, to)) in events.iter().enumerate() {
        let y = TOP + 8.0 + row * i as f64;
        let (a, b) = (x(*from), x(to.unwrap_or(days)));
        let end = to.map_or("end of run".to_string(), |d| {
            start.saturating_add(i64::from(d).days()).to_string()
        });
        let _ = write!(
            out,
            r#"<text x="{tx}" y="{ty:.1}" text-anchor="end">{l}</text><rect x="{a:.1}" y="{y:.1}" width="{w:.1}" height="{h}" fill="{c}"><title>{full} ({kind}): {s} to {end}</title></rect>"#,
            tx = x0 - 6.0,
            ty = y + 12.0,
            l = esc(&clip(label, 26)),
            w = (b - a).max(2.0),
            h = row - 6.0,
            c = PALETTE[i % PALETTE.len()],
            full = esc(label),
            kind = esc(kind),
            s = start.saturating_add(i64::from(*from).days()),
        );
    }
    let _ = write!(
        out,
        r#"</g><text x="{x0}" y="{y}">{s}</text><text x="{x1}" y="{y}" text-anchor="end">{e}</text></svg>"#,
        y = height - 6.0,
        s = start,
        e = start.saturating_add(i64::from(days.saturating_sub(1)).days())
    );
    out
}
