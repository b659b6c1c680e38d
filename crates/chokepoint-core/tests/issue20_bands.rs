//! Issue 20: bands by choice. A choice keeps exactly the series it names, with the values those
//! series have when every series is kept; stockouts, stoppages and per-path metrics do not
//! depend on it; only the chosen series' sources are sketched; licence queues count the
//! applications a single run records as pending; the scenario's `bands` key is checked
//! completely.

use chokepoint_core::bands::Bands;
use chokepoint_core::engine::simulate;
use chokepoint_core::montecarlo::{Accumulator, SeriesSet, run};
use chokepoint_core::record::{Variable, VecSink};
use chokepoint_core::scenario::{NoBases, SourceText, parse_scenario_uncertain};

mod support;
use support::parse;

/// Two exporters of magnets, licensing by China with uncertain approval and lead time, motors
/// assembled in the United States (stage `component`).
const END_USE: &str = include_str!("../../chokepoint-cli/tests/fixtures/end-use-mc.toml");

fn choice(spec: &str) -> Bands {
    Bands::parse_spec(spec).expect("a valid choice")
}

/// What does not depend on the band choice: stockout counts, stoppages, per-path rows.
fn unbanded(acc: &Accumulator) -> String {
    let mut out = format!("{} {:?}\n", acc.paths, acc.rows);
    for d in 0..acc.days {
        for k in 0..acc.n_stock {
            out.push_str(&format!("{} ", acc.stockouts(d, k)));
        }
        for k in 0..acc.n_stoppage_rows {
            out.push_str(&format!("s{} ", acc.stopped_by(k, d)));
        }
    }
    out
}

#[test]
fn issue_20_a_choice_keeps_its_series_with_the_values_they_have_under_all() {
    let (s, u) = parse(END_USE);
    let all = SeriesSet::with_bands(&s, &u, &Bands::All);
    let paths: Vec<u64> = (0..16).collect();
    let whole = run(&s, &u, &all, 5, &paths, 2, &|_| {});
    for spec in [
        "headline",
        "price",
        "unmet_demand:USA:@component,shipments:*:ndfeb-magnet",
        "licences_pending,days_of_cover:USA",
    ] {
        let set = SeriesSet::with_bands(&s, &u, &choice(spec));
        assert!(!set.series.is_empty(), "{spec}");
        assert!(set.series.len() < all.series.len() || spec.contains("licences"));
        let acc = run(&s, &u, &set, 5, &paths, 2, &|_| {});
        assert_eq!(unbanded(&acc), unbanded(&whole), "{spec}");
        for (k, key) in set.series.iter().enumerate() {
            let same = |x: &&chokepoint_core::montecarlo::SeriesKey| {
                (x.variable, x.region, x.partner, x.product)
                    == (key.variable, key.region, key.partner, key.product)
            };
            if key.variable == Variable::LicencesPending {
                assert!(!all.series.iter().any(|x| same(&x)), "all has no queues");
                continue;
            }
            let j = all.series.iter().position(|x| same(&x)).expect("in all");
            for d in 0..acc.days {
                assert_eq!(acc.band(d, k), whole.band(d, j), "{spec} {key:?} day {d}");
            }
        }
    }
}

#[test]
fn issue_20_only_the_chosen_series_are_sketched() {
    let (s, u) = parse(END_USE);
    let all = SeriesSet::with_bands(&s, &u, &Bands::All);
    let price = SeriesSet::with_bands(&s, &u, &choice("price"));
    assert!(price.series.iter().all(|k| k.variable == Variable::Price));
    // The regions of a segment share one price: one source per segment and product.
    assert!(price.source_count() < price.series.len());
    assert!(price.source_count() < all.source_count() / 3);
    let headline = SeriesSet::with_bands(&s, &u, &Bands::headline());
    let kept = |v: Variable| headline.series.iter().any(|k| k.variable == v);
    assert!(kept(Variable::UnmetDemand) && kept(Variable::DaysOfCover) && kept(Variable::Price));
    assert!(kept(Variable::LicencesPending));
    assert!(!kept(Variable::Shipments) && !kept(Variable::Production));
    assert!(!kept(Variable::Inventory));
    // Unmet demand only of magnets and what is made of them.
    for k in &headline.series {
        if k.variable == Variable::UnmetDemand {
            let stage = s.world.products[k.product.ix()].stage.as_str();
            assert!(
                ["magnet", "component", "end-use"].contains(&stage),
                "{stage}"
            );
        }
    }
    // Metrics, stockout rows and stoppage rows stay complete.
    assert_eq!(headline.metrics, all.metrics);
    assert_eq!(headline.stock_nodes, all.stock_nodes);
    assert_eq!(headline.stoppage_rows, all.stoppage_rows);
}

/// With one path every quantile is that path's value: the queue of each licensed link is what
/// a single run of the same path records as `licences_pending`.
#[test]
fn issue_20_licence_queues_are_the_pending_applications_of_a_run() {
    let (s, u) = parse(END_USE);
    let seed = 3;
    let set = SeriesSet::with_bands(&s, &u, &choice("licences_pending"));
    assert!(!set.series.is_empty());
    let acc = run(&s, &u, &set, seed, &[0], 1, &|_| {});
    let (path0, _) = s.for_path(&u, seed, 0);
    let mut sink = VecSink::default();
    simulate(&path0, seed, &mut sink);
    let mut nonzero = 0;
    for (k, key) in set.series.iter().enumerate() {
        for d in 0..acc.days {
            let recorded = sink
                .records
                .iter()
                .find(|r| {
                    (r.day, r.variable, r.region, r.partner, r.product)
                        == (d, key.variable, key.region, key.partner, key.product)
                })
                .map_or(0.0, |r| r.value);
            let (q, mean) = acc.band(d, k).expect("one path");
            assert_eq!(q, [recorded; 5], "{key:?} day {d}");
            assert_eq!(mean, recorded);
            nonzero += usize::from(recorded > 0.0);
        }
    }
    assert!(nonzero > 0, "some application was pending on some day");
}

#[test]
fn issue_20_the_scenario_chooses_its_bands() {
    let with = |bands: &str| {
        END_USE.replacen("[scenario]\n", &format!("[scenario]\nbands = {bands}\n"), 1)
    };
    let (s, _) = parse(&with(r#""price""#));
    assert_eq!(s.settings.bands, choice("price"));
    let (s, _) = parse(&with(r#"["all", "licences_pending"]"#));
    assert_eq!(s.settings.bands.to_string(), "all,licences_pending:*:*");
    let (s, _) = parse(END_USE);
    assert_eq!(s.settings.bands, Bands::headline());
}

/// Every bad term is reported, each at its own position, with a hint.
#[test]
fn issue_20_bad_band_terms_are_all_reported_where_they_are() {
    let text = END_USE.replacen(
        "[scenario]\n",
        "[scenario]\nbands = [\"prices\", \"unmet_demand:XX\", \"price:*:@magnets\", \"price\"]\n",
        1,
    );
    let err = parse_scenario_uncertain(
        SourceText {
            name: "t.toml",
            text: &text,
        },
        &NoBases,
    )
    .map(|_| ())
    .expect_err("refused");
    let bands: Vec<_> = err
        .0
        .iter()
        .filter(|d| d.message.contains("`bands`"))
        .collect();
    assert_eq!(bands.len(), 3, "{err}");
    let line = text.lines().position(|l| l.starts_with("bands")).unwrap() + 1;
    assert!(bands.iter().all(|d| d.line == line && d.hint.is_some()));
    let columns: Vec<usize> = bands.iter().map(|d| d.column).collect();
    assert_eq!(columns, [10, 20, 39], "{err}");
    assert!(
        bands[0].message.contains("`prices` is not a variable"),
        "{err}"
    );
    assert!(bands[1].message.contains("no region is `XX`"), "{err}");
    assert!(
        bands[2].message.contains("`magnets` is not a stage"),
        "{err}"
    );
    let bad = END_USE.replacen("[scenario]\n", "[scenario]\nbands = []\n", 1);
    let src = SourceText {
        name: "t.toml",
        text: &bad,
    };
    assert!(parse_scenario_uncertain(src, &NoBases).is_err());
}

/// Issue 19: a Monte Carlo report draws the licence queue as a single run's does, so the
/// applications filed, approved and denied to date per licensed link are series too; with one
/// path every quantile is what a single run of the same path records, and none of them is in
/// `all` or the headline set (today's band sets keep their bytes).
#[test]
fn issue_19_licence_counts_are_those_of_a_run() {
    let (s, u) = parse(END_USE);
    let seed = 3;
    let terms = "licences_applied,licences_approved,licences_denied";
    let set = SeriesSet::with_bands(&s, &u, &choice(terms));
    let variables: Vec<&str> = set.series.iter().map(|k| k.variable.as_str()).collect();
    for v in ["licences_applied", "licences_approved", "licences_denied"] {
        assert!(variables.contains(&v), "{v} missing from {variables:?}");
    }
    let acc = run(&s, &u, &set, seed, &[0], 1, &|_| {});
    let (path0, _) = s.for_path(&u, seed, 0);
    let mut sink = VecSink::default();
    simulate(&path0, seed, &mut sink);
    let mut nonzero = [0usize; 3];
    for (k, key) in set.series.iter().enumerate() {
        for d in 0..acc.days {
            let recorded = sink
                .records
                .iter()
                .find(|r| {
                    (r.day, r.variable, r.region, r.partner, r.product)
                        == (d, key.variable, key.region, key.partner, key.product)
                })
                .map_or(0.0, |r| r.value);
            let (q, mean) = acc.band(d, k).expect("one path");
            assert_eq!(q, [recorded; 5], "{key:?} day {d}");
            assert_eq!(mean, recorded);
            let i = ["licences_applied", "licences_approved", "licences_denied"]
                .iter()
                .position(|v| *v == key.variable.as_str())
                .expect("only licence counts chosen");
            nonzero[i] += usize::from(recorded > 0.0);
        }
    }
    assert!(
        nonzero.iter().all(|&n| n > 0),
        "filed, approved and denied on some day: {nonzero:?}"
    );
    let default = SeriesSet::with_bands(&s, &u, &choice("headline"));
    let all = SeriesSet::with_bands(&s, &u, &choice("all"));
    for set in [default, all] {
        assert!(set.series.iter().all(|k| !matches!(
            k.variable.as_str(),
            "licences_applied" | "licences_approved" | "licences_denied"
        )));
    }
}
