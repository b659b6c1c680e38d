//! `[[event]]` tables: the keys every event has (`name`, `date` and uncertain dates, `until`,
//! `kind`, `probability`); each kind's own keys are read by its module in [`crate::event`].

use super::world::{Cx, ParsedSettings};
use crate::event::{Event, EventKind, KINDS, KindTable};
use crate::uncertain::{Dist, Target};
use crate::wire::{Dim, Entry, Sp, unknown_hint};
use toml::de::DeValue;

const COMMON: [&str; 5] = ["name", "date", "until", "kind", "probability"];

pub(super) fn walk_events<'t>(
    cx: &mut Cx<'t>,
    entries: &[Entry<'_, 't>],
    s: &ParsedSettings,
) -> Vec<Event> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        cx.event_ix = i;
        if let Some(ev) = event(cx, e, s) {
            out.push(ev);
        }
    }
    out
}

fn event<'t>(cx: &mut Cx<'t>, e: &Entry<'_, 't>, s: &ParsedSettings) -> Option<Event> {
    let kind = cx.req_str(e, "kind");
    let kind_keys = match kind.clone() {
        Some((k, span)) => match KINDS.iter().find(|(n, _)| *n == k) {
            Some((_, keys)) => {
                let mut allowed: Vec<&str> = COMMON.to_vec();
                allowed.extend(keys.iter());
                let e2 = Entry {
                    ctx: format!("`{k}` event"),
                    ..e.clone()
                };
                cx.keys(&e2, &allowed);
                Some(k)
            }
            None => {
                let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
                let hint = unknown_hint("kinds", k, &names);
                cx.err(e.f, span, format!("unknown event kind `{k}`"), Some(hint));
                None
            }
        },
        None => None,
    };
    let name = cx.opt_str(e, "name");
    let date_v = cx.req(e, "date");
    let mut date_dist = None;
    let date = match date_v {
        Some(v) if matches!(v.get_ref(), DeValue::Table(_)) => {
            let d = uncertain_date(cx, e.f, v, s);
            date_dist = d.as_ref().map(|(_, dist)| dist.clone());
            d.map(|(c, _)| c)
        }
        Some(v) => cx.date(e.f, "date", v),
        None => None,
    };
    let probability = e.tbl.get("probability").and_then(|v| {
        let n = cx.number(e.f, "probability", v, &Dim::One)?;
        cx.unit_interval("probability", &n).then_some(n)
    });
    let until_v = e.tbl.get("until");
    let until = until_v.and_then(|v| cx.date(e.f, "until", v));

    let mut start_day = None;
    if let (Some(d), Some(v)) = (date, date_v)
        && let (Some(st), Some(days)) = (s.start, s.days)
    {
        let ix = st.until(d).map(|sp| i64::from(sp.get_days())).unwrap_or(-1);
        if ix < 0 || ix >= i64::from(days) {
            cx.err(
                e.f,
                v.span(),
                format!(
                    "event date {d} is outside the scenario horizon {}",
                    horizon(st, days)
                ),
                Some(format!("the scenario runs {days} days from {st}")),
            );
        } else {
            start_day = Some(ix as u32);
        }
    }
    let mut end_day = None;
    if let (Some(u), Some(v)) = (until, until_v) {
        if let Some(d) = date
            && u <= d
        {
            cx.err(
                e.f,
                v.span(),
                format!("`until` {u} must be after `date` {d}"),
                None,
            );
        }
        if let Some(st) = s.start {
            end_day = st.until(u).ok().map(|sp| sp.get_days().max(0) as u32);
        }
    }
    let label = match (name, kind, date) {
        (Some((n, _)), _, _) => n.to_string(),
        (None, Some((k, _)), Some(d)) => format!("{k}@{d}"),
        (None, Some((k, _)), None) => k.to_string(),
        (None, None, _) => "event".to_string(),
    };
    let ix = cx.event_ix;
    if let (Some(dist), Some(v)) = (date_dist, date_v) {
        cx.push_param(
            e.f,
            v.span(),
            "date",
            dist,
            format!("event {label} date"),
            Target::EventStart(ix),
        );
    }
    if let Some(p) = &probability {
        let dist = Dist::Bernoulli(p.value);
        cx.push_param(
            p.f,
            p.span.clone(),
            "probability",
            dist,
            format!("event {label} happens"),
            Target::EventOccurs(ix),
        );
    }
    let kind = kind_keys.and_then(|k| {
        let mut table = KindTable {
            cx,
            e,
            label: &label,
            event: ix,
            start: s.start,
        };
        EventKind::parse(k, &mut table)
    });
    let (Some(start), Some(kind)) = (start_day, kind) else {
        return None;
    };
    Some(Event {
        start,
        end: end_day,
        kind,
        label,
    })
}

/// An uncertain event date: `{ uniform = [d1, d2] }`, `{ triangular = [d1, mode, d2] }` or
/// `{ choice = [d1, d2, ...], weights = [...] }` over dates, or `{ on = DATE, shift-days = <number
/// distribution> }`. Returns the central date and the distribution of the day index.
fn uncertain_date(
    cx: &mut Cx,
    f: usize,
    v: &Sp,
    s: &ParsedSettings,
) -> Option<(jiff::civil::Date, Dist)> {
    let DeValue::Table(t) = v.get_ref() else {
        return None;
    };
    const FORMS: [&str; 3] = ["uniform", "triangular", "choice"];
    cx.check_keys(
        f,
        t,
        "`date`",
        &[
            "uniform",
            "triangular",
            "choice",
            "weights",
            "on",
            "shift-days",
        ],
    );
    let start = s.start?;
    let days = s.days?;
    let ix = |d: jiff::civil::Date| start.until(d).map_or(-1.0, |sp| f64::from(sp.get_days()));
    let dist = if let Some(on) = t.get("on") {
        let base = cx.date(f, "on", on)?;
        let Some(sv) = t.get("shift-days") else {
            cx.err(
                f,
                v.span(),
                "`date = { on = ... }` needs `shift-days`",
                Some(
                    "e.g. `date = { on = 2025-04-04, shift-days = { triangular = [-7, 0, 30] } }`"
                        .into(),
                ),
            );
            return None;
        };
        let n = cx.number(f, "shift-days", sv, &Dim::Days)?;
        let Some(pi) = n.dist else {
            cx.err(
                f,
                sv.span(),
                "`shift-days` must be a distribution",
                Some("for a fixed date write `date = 2025-04-04`".into()),
            );
            return None;
        };
        // The number is used here, not bound to a field: drop it from the pending list.
        let d = cx.pending.remove(pi).dist;
        let b = ix(base);
        match shift(d, b) {
            Some(d) => d,
            None => {
                cx.err(
                    f,
                    sv.span(),
                    "`shift-days` cannot be a lognormal",
                    Some("use `triangular`, `uniform`, `normal`, `beta` or `choice`".into()),
                );
                return None;
            }
        }
    } else {
        let given: Vec<&str> = FORMS
            .iter()
            .copied()
            .filter(|k| t.contains_key(*k))
            .collect();
        if given.len() != 1 {
            cx.err(
                f,
                v.span(),
                "an uncertain `date` needs exactly one of `uniform`, `triangular`, `choice`, or `on` with `shift-days`",
                Some("e.g. `date = { uniform = [2025-04-01, 2025-06-30] }`".into()),
            );
            return None;
        }
        let form = given[0];
        let dv = t.get(form)?;
        let DeValue::Array(items) = dv.get_ref() else {
            cx.err(
                f,
                dv.span(),
                format!("`{form}` must be an array of dates"),
                None,
            );
            return None;
        };
        let dates: Vec<Option<f64>> = items.iter().map(|x| cx.date(f, form, x).map(ix)).collect();
        let x: Vec<f64> = dates.into_iter().collect::<Option<Vec<f64>>>()?;
        let degenerate = |cx: &mut Cx, what: &str, hint: &str| {
            cx.err(
                f,
                v.span(),
                format!("degenerate date distribution: {what}"),
                Some(hint.into()),
            );
        };
        match (form, x.len()) {
            ("uniform", 2) if x[0] <= x[1] => Dist::Uniform(x[0], x[1]),
            ("uniform", 2) => {
                degenerate(
                    cx,
                    "the first date is after the second",
                    "write `uniform = [earliest, latest]`",
                );
                return None;
            }
            ("triangular", 3) if x[0] <= x[1] && x[1] <= x[2] => Dist::Triangular(x[0], x[1], x[2]),
            ("triangular", 3) => {
                degenerate(
                    cx,
                    "dates are not ordered earliest <= mode <= latest",
                    "write `triangular = [earliest, most likely, latest]`",
                );
                return None;
            }
            ("choice", 0) => {
                degenerate(cx, "`choice` is empty", "list at least one date");
                return None;
            }
            ("choice", n) => {
                let weights = match t.get("weights") {
                    Some(wv) => {
                        let DeValue::Array(ws) = wv.get_ref() else {
                            cx.err(f, wv.span(), "`weights` must be an array of numbers", None);
                            return None;
                        };
                        let w: Vec<f64> = ws
                            .iter()
                            .map(|x| cx.plain_number(f, "weights", x))
                            .collect::<Option<Vec<f64>>>()?;
                        if w.len() != n
                            || w.iter().any(|x| *x < 0.0)
                            || w.iter().sum::<f64>() <= 0.0
                        {
                            degenerate(
                                cx,
                                "weights must be one per date, >= 0, with a positive sum",
                                "e.g. `weights = [1, 3]`",
                            );
                            return None;
                        }
                        w
                    }
                    None => vec![1.0; n],
                };
                Dist::Choice { values: x, weights }
            }
            _ => {
                let shape = if form == "uniform" {
                    "[earliest, latest]"
                } else {
                    "[earliest, mode, latest]"
                };
                cx.err(
                    f,
                    dv.span(),
                    format!("`{form}` must be an array {shape} of dates"),
                    None,
                );
                return None;
            }
        }
    };
    let (lo, hi) = dist.support();
    if lo < 0.0 || hi >= f64::from(days) {
        cx.err(
            f,
            v.span(),
            format!(
                "uncertain event date reaches outside the scenario horizon {}",
                horizon(start, days)
            ),
            Some("every date the distribution can produce must lie inside the horizon; truncate `shift-days` with `min`/`max`".into()),
        );
        return None;
    }
    let central = dist.central().round();
    let d = start
        .checked_add(jiff::Span::new().days(central as i64))
        .ok()?;
    Some((d, dist))
}

/// The days a run covers, `[start, end)`; `[start, last]` when the day after the last is
/// beyond the calendar (a run ending on 9999-12-31).
fn horizon(start: jiff::civil::Date, days: u32) -> String {
    let day = |n: u32| start.checked_add(jiff::Span::new().days(i64::from(n)));
    match (day(days), day(days.saturating_sub(1))) {
        (Ok(end), _) => format!("[{start}, {end})"),
        (Err(_), Ok(last)) => format!("[{start}, {last}]"),
        (Err(_), Err(_)) => format!("of {days} days from {start}"),
    }
}

/// A day-offset distribution moved to start at day index `b`.
fn shift(d: Dist, b: f64) -> Option<Dist> {
    Some(match d {
        Dist::Fixed(x) => Dist::Fixed(x + b),
        Dist::Uniform(x, y) => Dist::Uniform(x + b, y + b),
        Dist::Triangular(x, m, y) => Dist::Triangular(x + b, m + b, y + b),
        Dist::Normal { mean, sd, min, max } => Dist::Normal {
            mean: mean + b,
            sd,
            min: min + b,
            max: max + b,
        },
        Dist::Beta { a, b: bb, min, max } => Dist::Beta {
            a,
            b: bb,
            min: min + b,
            max: max + b,
        },
        Dist::Choice { values, weights } => Dist::Choice {
            values: values.into_iter().map(|v| v + b).collect(),
            weights,
        },
        Dist::LogNormal { .. } | Dist::Bernoulli(_) => return None,
    })
}
