//! Data-driven tests: each feeds TOML text in and compares rendered diagnostics or a summary.

use super::*;
use crate::event::{EventKind, LeadTime, RegionSelector};
use crate::scenario::Scenario;
use std::fmt::Write as _;

/// Scenario header and a tiny world (28 lines); test bodies start on line 29. Its demand is 0,
/// so that the world is consistent without facilities or links (a need nothing supplies is an
/// error); tests that need a demand add their own.
macro_rules! pre {
    () => {
        r#"[scenario]
name = "t"
base = "none"
start = 2025-01-01
days = 100

[[region]]
id = "CHN"
groups = ["exporters"]
[[region]]
id = "USA"
groups = ["allies"]
[[product]]
id = "magnet"
unit = "t product"
stage = "magnet"
content = { Nd = 0.3, Dy = 0.02 }
price = 80
[[product]]
id = "oxide"
unit = "t REO"
stage = "separation"
price = 50
[[demand]]
region = "USA"
product = "magnet"
end-use = "ev"
quantity = 0
"#
    };
}

const BASE: &str = r#"[[source]]
id = "usgs"
title = "USGS"

[[region]]
id = "CHN"
[[region]]
id = "JPN"
[[region]]
id = "USA"

[[product]]
id = "magnet"
unit = "t product"
stage = "magnet"
price = 80

[[facility]]
region = "CHN"
product = "magnet"
capacity = { value = 3650, unit = "t product/yr", source = "usgs", confidence = "high" }

[[facility]]
region = "JPN"
product = "magnet"
capacity = 2

[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 0.8
[[link]]
from = "JPN"
to = "USA"
product = "magnet"
share = 0.2
"#;

fn bases() -> [(&'static str, &'static str, &'static str); 2] {
    [
        ("builtin:mini", "mini.toml", BASE),
        (
            "builtin:broken",
            "broken.toml",
            "[[region]]\nid = \"cn\"\nnmae = \"x\"\n",
        ),
    ]
}

fn parse(text: &str) -> Result<Scenario, Diagnostics> {
    parse_scenario(
        SourceText {
            name: "s.toml",
            text,
        },
        &FixedBases(&bases()),
    )
}

/// A compact, stable description of a parsed scenario.
fn summary(s: &Scenario) -> String {
    let w = &s.world;
    let mut out = String::new();
    let st = &s.settings;
    let _ = writeln!(
        out,
        "settings {} {} {}d seed={} {:?}",
        st.name, st.start, st.days, st.seed, st.rationing
    );
    let r = |id: crate::model::RegionId| w.regions[id.ix()].code.as_str();
    let p = |id: crate::model::ProductId| w.products[id.ix()].code.as_str();
    let _ = writeln!(
        out,
        "regions {}",
        w.regions
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(
        out,
        "products {}",
        w.products
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    for f in &w.facilities {
        let _ = writeln!(
            out,
            "facility {} {} {}",
            r(f.region),
            p(f.product),
            f.capacity
        );
    }
    for l in &w.links {
        let _ = writeln!(
            out,
            "link {}->{} {} {}",
            r(l.from),
            r(l.to),
            p(l.product),
            l.share
        );
    }
    for e in &s.events {
        let _ = writeln!(
            out,
            "event {} {}..{:?} {}",
            e.label,
            e.start,
            e.end,
            e.kind.name()
        );
    }
    for pv in &w.provenance {
        let _ = writeln!(
            out,
            "prov {} = {} {} {:?} {:?}",
            pv.what,
            pv.value,
            pv.unit,
            pv.source,
            pv.confidence.map(|c| c.as_str())
        );
    }
    out
}

/// Compares the rendered diagnostics (or the summary when the file is valid) with `expect`.
fn check(text: &str, expect: &str) {
    let got = match parse(text) {
        Ok(s) => summary(&s),
        Err(d) => d.to_string(),
    };
    assert_eq!(
        got.trim(),
        expect.trim(),
        "\n--- got ---\n{got}\n-----------"
    );
}

/// The TOML example of `docs/scenario.md` (the block after "## Complete example").
fn doc_example() -> &'static str {
    let doc = include_str!("../../../../docs/scenario.md");
    let after = doc.split("## Complete example").nth(1).unwrap_or_default();
    let body = after.split("```toml\n").nth(1).unwrap_or_default();
    body.split("```").next().unwrap_or_default()
}

#[test]
fn doc_example_parses_with_every_event_kind() {
    let s = match parse(doc_example()) {
        Ok(s) => s,
        Err(d) => panic!("{d}"),
    };
    let mut kinds: Vec<&str> = s.events.iter().map(|e| e.kind.name()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), 11);
    check(
        doc_example(),
        r##"
settings Heavy rare earth licensing, 2025 2025-03-01 365d seed=7 AllyPriority("allies")
regions CHN JPN USA XRW
products ndpr-oxide dy-oxide ndfeb-magnet ev-motor
facility CHN ndpr-oxide 246.57534246575344
facility CHN dy-oxide 5.47945205479452
facility CHN ndfeb-magnet 821.9178082191781
facility JPN ndfeb-magnet 30
facility USA ev-motor 13.698630136986301
link CHN->JPN ndpr-oxide 1
link CHN->JPN dy-oxide 1
link CHN->USA ndfeb-magnet 0.75
link JPN->USA ndfeb-magnet 0.25
link USA->USA ev-motor 1
link CHN->CHN ndpr-oxide 1
link CHN->CHN dy-oxide 1
link JPN->JPN ndfeb-magnet 1
event Announcement No. 18 34..None export-licence
event general-licence@2025-06-01 92..Some(275) general-licence
event export-ban@2025-05-01 61..None export-ban
event export-quota@2025-05-01 61..None export-quota
event tariff@2025-04-10 40..Some(74) tariff
event Japanese line expansion 122..None capacity
event demand-shock@2025-09-01 184..None demand-shock
event stockpile-release@2025-04-15 45..None stockpile-release
event stockpile-purchase@2025-10-01 214..None stockpile-purchase
event offtake@2025-08-01 153..None offtake
event rationing@2025-04-04 34..None rationing
prov product ndpr-oxide price = 60 USD/kg None None
prov product dy-oxide price = 230 USD/kg Some("usgs-mcs-2025") Some("medium")
prov product ndfeb-magnet price = 80 USD/kg None None
prov product ev-motor price = 120 USD/kg None None
prov facility CHN ndpr-oxide capacity = 246.57534246575344 t REO/day Some("usgs-mcs-2025") Some("medium")
prov facility CHN dy-oxide capacity = 5.47945205479452 t REO/day Some("usgs-mcs-2025") Some("low")
prov facility CHN ndfeb-magnet capacity = 821.9178082191781 t product/day None Some("assumption")
prov facility JPN ndfeb-magnet capacity = 30 t product/day None None
prov facility USA ev-motor capacity = 13.698630136986301 t product/day None None
prov link CHN->JPN ndpr-oxide share = 1 1 None None
prov link CHN->JPN ndpr-oxide transit-days = 10 days None None
prov link CHN->JPN dy-oxide share = 1 1 None None
prov link CHN->JPN dy-oxide transit-days = 10 days None None
prov link CHN->USA ndfeb-magnet share = 0.75 1 None None
prov link CHN->USA ndfeb-magnet transit-days = 35 days None None
prov link CHN->USA ndfeb-magnet tariff = 0.25 1 None None
prov link JPN->USA ndfeb-magnet share = 0.25 1 None None
prov link JPN->USA ndfeb-magnet transit-days = 21 days None None
prov link USA->USA ev-motor share = 1 1 None None
prov link CHN->CHN ndpr-oxide share = 1 1 None None
prov link CHN->CHN dy-oxide share = 1 1 None None
prov link JPN->JPN ndfeb-magnet share = 1 1 None None
prov demand USA ev-motor ev quantity = 10.95890410958904 t product/day None Some("assumption")
prov demand USA ev-motor ev growth = 0.1 1 None None
prov demand USA ev-motor ev elasticity = 0.2 1 None None
prov demand JPN ndfeb-magnet defence quantity = 2.5 t product/day None None
prov inventory USA ndfeb-magnet initial-days = 60 days None None
prov inventory USA ndfeb-magnet target-days = 60 days None None
prov stockpile USA dy-oxide quantity = 100 t REO None None
prov event export-quota@2025-05-01 quantity = 40000 t REO None None
prov event stockpile-release@2025-04-15 rate = 0.5 t REO/day None None
prov event stockpile-purchase@2025-10-01 rate = 0.1 t REO/day None None
"##,
    );
}

#[test]
fn doc_example_details() {
    let Ok(s) = parse(doc_example()) else {
        panic!("example must parse")
    };
    let EventKind::ExportLicence(l) = &s.events[0].kind else {
        panic!("first event is a licence")
    };
    assert_eq!(l.terms.lead_time, LeadTime::Triangular(20.0, 40.0, 63.0));
    assert_eq!(l.terms.cap_days, Some(90));
    let jpn = s
        .world
        .region("JPN")
        .map(|r| l.terms_for(r, r, "ev").approval);
    assert_eq!(jpn, Some(0.8));
    assert_eq!(l.end_uses[0].1.lead_time, l.terms.lead_time);
    assert_eq!(s.world.default_cover_days, 30.0);
    let EventKind::GeneralLicence(crate::event::GeneralLicence { exports }) = &s.events[1].kind
    else {
        panic!("second event is a general licence")
    };
    let allies = ["JPN", "USA"].map(|c| s.world.region(c));
    assert_eq!(
        exports.destinations,
        RegionSelector::Ids(allies.into_iter().flatten().collect())
    );
}

#[test]
fn many_mistakes_at_once() {
    check(
        concat!(
            pre!(),
            r#"[[facility]]
region = "CHM"
product = "magnet"
capacity = -5
plant = ["x"]
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = "half"
[[region]]
id = "USA"
[[stockpile]]
region = "USA"
product = "oxide"
quantity = { value = 1, unit = "t REO/day", confidence = "sure" }
[[event]]
date = 2025-02-01
kind = "export-ban"
exporter = "CHN"
destinations = ["@alies"]
[[event]]
date = 2025-02-01
kind = "demand-shock"
end-use = "wind"
factor = -1
[[event]]
kind = "export-licence"
date = 2025-03-01
exporter = "CHN"
approval = 1.5
"#
        ),
        r##"
error: s.toml:30:10: unknown region `CHM`
  hint: did you mean `CHN`?
error: s.toml:33:1: unknown key `plant` in [[facility]]
  hint: did you mean `plants`?
error: s.toml:38:9: `share` must be a number, found string
error: s.toml:40:6: duplicate region `USA`
  hint: first defined at line 11
error: s.toml:44:32: rate unit `t REO/day` used where a quantity is expected
  hint: `quantity` is a quantity: write `unit = "t REO"`
error: s.toml:44:58: unknown confidence `sure`
  hint: allowed: high, medium, low, assumption
error: s.toml:49:17: unknown group `alies`
  hint: did you mean `allies`?
error: s.toml:53:11: unknown end-use `wind`
  hint: known end-uses: ev
error: s.toml:54:10: `factor` must be >= 0, found -1
error: s.toml:55:1: missing required key `lead-time-days` in [[event]]
error: s.toml:59:12: `approval` must be between 0 and 1, found 1.5
"##,
    );
}

#[test]
fn unknown_key_with_suggestion() {
    check(
        concat!(
            pre!(),
            r#"[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
aproval = 0.5
lead-time-days = 30
destination.USA = { aproval = 0.9, lead-time-cap = 40 }
[[facility]]
region = "CHN"
product = "magnet"
capacity = { value = 1, sorce = "x" }
"#
        ),
        r##"
error: s.toml:29:1: missing required key `approval` in [[event]]
error: s.toml:33:1: unknown key `aproval` in `export-licence` event
  hint: did you mean `approval`?
error: s.toml:35:21: unknown key `aproval` in `destination.USA`
  hint: did you mean `approval`?
error: s.toml:39:25: unknown key `sorce` in `capacity`
  hint: did you mean `source`?
"##,
    );
}

#[test]
fn unit_mismatches() {
    check(
        concat!(
            pre!(),
            r#"[[facility]]
region = "CHN"
product = "magnet"
capacity = { value = 365, unit = "t REO/yr" }
[[facility]]
region = "USA"
product = "magnet"
capacity = { value = 10, unit = "t product" }
[[stockpile]]
region = "USA"
product = "oxide"
quantity = { value = 5, unit = "t REO/month" }
[[product]]
id = "alloy"
unit = "t metal"
stage = "metal"
price = { value = 9, unit = "USD/lb" }
"#
        ),
        r##"
error: s.toml:32:34: unit mismatch: `t REO/yr` but product `magnet` is measured in `t product`
  hint: write `t product/day` or `t product/yr`
error: s.toml:36:33: quantity unit `t product` used where a rate is expected
  hint: `capacity` is a rate: write `t product/day` or `t product/yr`
error: s.toml:40:32: cannot parse unit `t REO/month`
  hint: rates are written `<product unit>/day` or `<product unit>/yr`
error: s.toml:45:29: unit mismatch: `price` is in USD/kg, found `USD/lb`
  hint: write `unit = "USD/kg"` or leave the unit out
"##,
    );
}

#[test]
fn degenerate_lead_times() {
    check(
        concat!(
            pre!(),
            r#"[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
approval = 0.5
lead-time-days = { triangular = [20, 70, 63] }
[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
approval = 0.5
lead-time-days = { uniform = [63, 20] }
[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
approval = 0.5
lead-time-days = { triangular = [-5, 0, 10] }
"#
        ),
        r##"
error: s.toml:34:18: degenerate lead time: mode 70 is outside [20, 63]
  hint: the triangular distribution needs min <= mode <= max
error: s.toml:40:18: degenerate lead time: min 63 is greater than max 20
  hint: write the bounds as [min, max] or [min, mode, max]
error: s.toml:46:18: lead time must be >= 0 days, found -5
"##,
    );
}

#[test]
fn cap_below_minimum() {
    check(
        concat!(
            pre!(),
            r#"[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
approval = 0.5
lead-time-days = { uniform = [20, 63] }
lead-time-cap = 10
[[event]]
date = 2025-01-10
kind = "export-licence"
exporter = "CHN"
approval = 0.5
lead-time-days = 5
lead-time-cap = 10
destination.USA = { lead-time-days = { fixed = 30 } }
"#
        ),
        r##"
error: s.toml:35:17: `lead-time-cap` 10 is below the lead-time minimum 20
  hint: the cap bounds the decision delay, so it must be at least the shortest lead time
error: s.toml:43:38: `lead-time-cap` 10 is below the lead-time minimum 30
  hint: the cap bounds the decision delay, so it must be at least the shortest lead time
"##,
    );
}

#[test]
fn events_outside_horizon() {
    check(
        concat!(
            pre!(),
            r#"[[event]]
date = 2024-12-31
kind = "export-ban"
exporter = "CHN"
[[event]]
date = 2025-04-11
kind = "export-ban"
exporter = "CHN"
[[event]]
date = 2025-02-01
until = 2025-02-01
kind = "export-ban"
exporter = "CHN"
[[event]]
date = 2025-04-10
until = 2025-06-01
kind = "export-ban"
exporter = "CHN"
"#
        ),
        r##"
error: s.toml:30:8: event date 2024-12-31 is outside the scenario horizon [2025-01-01, 2025-04-11)
  hint: the scenario runs 100 days from 2025-01-01
error: s.toml:34:8: event date 2025-04-11 is outside the scenario horizon [2025-01-01, 2025-04-11)
  hint: the scenario runs 100 days from 2025-01-01
error: s.toml:39:9: `until` 2025-02-01 must be after `date` 2025-02-01
"##,
    );
}

#[test]
fn shares_must_sum_to_one() {
    check(
        concat!(
            pre!(),
            r#"[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 0.6
[[link]]
from = "USA"
to = "USA"
product = "magnet"
share = 0.3
[[link]]
from = "CHN"
to = "USA"
product = "oxide"
share = 0.4
[[link]]
from = "USA"
to = "USA"
product = "oxide"
share = 0.6000000001
"#
        ),
        r##"
error: s.toml:33:9: shares of links into (USA, magnet) sum to 0.9, expected 1
  hint: the shares of all links into one (to, product) must sum to 1 (within 1e-6)
"##,
    );
}

#[test]
fn base_override_semantics() {
    // The scenario replaces the CHN facility and the CHN->USA link, adds a link and keeps the rest.
    check(
        r#"[scenario]
name = "override"
base = "builtin:mini"
start = 2025-01-01
days = 10

[[facility]]
region = "CHN"
product = "magnet"
capacity = 5

[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 0.5

[[link]]
from = "USA"
to = "USA"
product = "magnet"
share = 0.3

[[facility]]
region = "USA"
product = "magnet"
capacity = 1
"#,
        r##"
settings override 2025-01-01 10d seed=1 Proportional
regions CHN JPN USA
products magnet
facility CHN magnet 5
facility JPN magnet 2
facility USA magnet 1
link CHN->USA magnet 0.5
link JPN->USA magnet 0.2
link USA->USA magnet 0.3
prov product magnet price = 80 USD/kg None None
prov facility CHN magnet capacity = 5 t product/day None None
prov facility JPN magnet capacity = 2 t product/day None None
prov facility USA magnet capacity = 1 t product/day None None
prov link CHN->USA magnet share = 0.5 1 None None
prov link JPN->USA magnet share = 0.2 1 None None
prov link USA->USA magnet share = 0.3 1 None None
"##,
    );
}

#[test]
fn base_errors_carry_the_base_file_name() {
    check(
        r#"[scenario]
name = "b"
base = "builtin:broken"
start = 2025-01-01
days = 10
[[link]]
from = "cn"
to = "cn"
product = "x"
share = 1
"#,
        r##"
error: broken.toml:2:6: region id `cn` must be three upper-case letters
  hint: use an ISO 3166-1 alpha-3 code, or a user-assigned one such as `EUU` or `XRW`
error: broken.toml:3:1: unknown key `nmae` in [[region]]
  hint: did you mean `name`?
error: s.toml:9:11: unknown product `x`
  hint: no products are defined
"##,
    );
}

#[test]
fn unknown_base_and_syntax_errors() {
    check(
        r#"[scenario]
name = "b"
base = "builtin:nope"
start = "2025-01-01"
days = 0
[[region]]
id = "CHN"
name = = "China"
[[region]]
id = "CHN"
"#,
        // A file with a syntax error gets only that (one per line): the rest is checked once
        // the syntax is fixed, then the unknown base alone (issue 16).
        r##"
error: s.toml:8:8: TOML syntax error: extra `=`, expected nothing
"##,
    );
    check(
        r#"[scenario]
name = "b"
base = "builtin:nope"
start = "2025-01-01"
days = 0
[[region]]
id = "CHN"
[[region]]
id = "CHN"
"#,
        r##"
error: s.toml:3:8: unknown base dataset `builtin:nope`
  hint: use `builtin:NAME` for a bundled dataset, or `none`
"##,
    );
    check(
        r#"[scenario]
name = "b"
base = "none"
start = "2025-01-01"
days = 0
[[region]]
id = "CHN"
[[region]]
id = "CHN"
"#,
        r##"
error: s.toml:4:9: `start` must be a date, found string
  hint: write a TOML local date without quotes, e.g. `start = 2025-04-04`
error: s.toml:5:8: `days` must be >= 1, found 0
error: s.toml:9:6: duplicate region `CHN`
  hint: first defined at line 7
"##,
    );
}

#[test]
fn duplicates_segments_and_recipes() {
    check(
        concat!(
            pre!(),
            r#"[[recipe]]
output = "magnet"
inputs = { magnet = 0.1, oxide = 0.3 }
[[segment]]
name = "east"
regions = ["CHN"]
[[segment]]
name = "west"
regions = ["USA", "CHN"]
[[scenario-x]]
"#
        ),
        r##"
error: s.toml:31:12: recipe input `magnet` is the recipe's own output
  hint: a product cannot be made from itself
error: s.toml:37:19: region `CHN` is already in segment `east`
  hint: a region belongs to at most one segment
error: s.toml:38:3: unknown key `scenario-x` in the scenario file
  hint: did you mean `scenario`?
"##,
    );
}

#[test]
fn missing_scenario_table() {
    check(
        "[[region]]\nid = \"CHN\"\n",
        r##"
error: s.toml:1:1: missing required table `[scenario]`
  hint: a scenario file starts with `[scenario]` giving name, base, start and days
"##,
    );
}

#[test]
fn world_file_alone() {
    let w = parse_world(&[SourceText {
        name: "mini.toml",
        text: BASE,
    }]);
    let Ok(w) = w else { panic!("base must parse") };
    assert_eq!(w.facilities[0].capacity, 10.0);
    assert_eq!(w.provenance[1].source.as_deref(), Some("usgs"));
    let bad = parse_world(&[SourceText {
        name: "w.toml",
        text: "[scenario]\nname = \"x\"\n[[region]]\nid = \"CHN\"\n",
    }]);
    assert_eq!(
        bad.map(|_| ()).map_err(|d| d.to_string()),
        Err("error: w.toml:1:2: `scenario` is not allowed in a dataset file\n  hint: only scenario files have `[scenario]` and `[[event]]`".to_string())
    );
}

#[test]
fn odd_input_does_not_panic() {
    let odd = [
        "",
        "\u{e9}\u{e9} = [",
        "scenario = 3\nevent = 4\nregion = 5",
        "[scenario]\nbase = 1\nstart = 2025-01-01T10:00:00\ndays = 1e9\nseed = -1",
        concat!(
            pre!(),
            "[[event]]\nkind = 3\ndate = 5\n[[event]]\nkind = \"export-licence\"\ndate = 2025-01-02\nexporter = \"CHN\"\napproval = 0.5\nlead-time-days = { fixed = 1, uniform = [1, 2] }\ndestination = 3\nend-use.ev = 1\nproducts = 4"
        ),
        concat!(
            pre!(),
            "[[event]]\nkind = \"capacity\"\ndate = 2025-01-02\nregion = \"USA\"\nproduct = \"magnet\"\nfactor = 2\ncapacity = 1\n[[event]]\nkind = \"rationing\"\ndate = 2025-01-02\nregion = \"CHN\"\nrule = \"ally-priority\""
        ),
        concat!(
            pre!(),
            "[[link]]\nfrom = \"CHN\"\nto = \"USA\"\nproduct = \"magnet\"\nshare = { value = 99999999999999999999 }\ntransit-days = 1.5"
        ),
    ];
    for text in odd {
        let r = parse(text);
        assert!(r.is_err(), "{text}");
        if let Err(d) = r {
            assert!(!d.0.is_empty());
            assert!(
                d.0.iter()
                    .all(|x| x.line >= 1 && x.column >= 1 && !x.message.ends_with('.'))
            );
        }
    }
}

#[test]
fn dataset_folder_files_refer_to_each_other() {
    let regions = "[[region]]\nid = \"CHN\"\n[[region]]\nid = \"USA\"\n";
    let rest = "[[product]]\nid = \"magnet\"\nunit = \"t\"\nstage = \"magnet\"\nprice = 50\n\
                [[facility]]\nregion = \"CHN\"\nproduct = \"magnet\"\ncapacity = 5\n\
                [[link]]\nfrom = \"CHN\"\nto = \"USA\"\nproduct = \"magnet\"\nshare = 1\n\
                [[link]]\nfrom = \"CHN\"\nto = \"ZZZ\"\nproduct = \"magnet\"\nshare = 1\n";
    let w = parse_world(&[
        SourceText {
            name: "d/1-regions.toml",
            text: regions,
        },
        SourceText {
            name: "d/2-rest.toml",
            text: rest,
        },
    ]);
    let err = w.map(|_| ()).map_err(|d| d.to_string());
    assert_eq!(
        err,
        Err(
            "error: d/2-rest.toml:17:6: unknown region `ZZZ`\n  hint: known regions: CHN, USA"
                .into()
        )
    );
}

// ---- uncertainty ---------------------------------------------------------------------------

fn parse_unc(body: &str) -> Result<(Scenario, crate::uncertain::Uncertainty), String> {
    parse_unc_text(&format!("{}{body}", pre!()))
}

fn parse_unc_text(text: &str) -> Result<(Scenario, crate::uncertain::Uncertainty), String> {
    parse_scenario_uncertain(
        SourceText {
            name: "u.toml",
            text,
        },
        &NoBases,
    )
    .map_err(|d| d.to_string())
}

/// Facility + link + demand so that every uncertain world field has a home.
const UNC_WORLD: &str = r#"[[facility]]
region = "CHN"
product = "magnet"
capacity = CAP
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 1
"#;

fn with_cap(cap: &str) -> Result<(Scenario, crate::uncertain::Uncertainty), String> {
    parse_unc(&UNC_WORLD.replace("CAP", cap))
}

#[test]
fn every_distribution_parses_to_its_central_value() {
    use crate::uncertain::{Dist, Target};
    let inf = f64::INFINITY;
    let cases: [(&str, Dist, f64); 9] = [
        ("{ fixed = 5 }", Dist::Fixed(5.0), 5.0),
        ("{ uniform = [4, 8] }", Dist::Uniform(4.0, 8.0), 6.0),
        (
            "{ triangular = [1, 2, 6] }",
            Dist::Triangular(1.0, 2.0, 6.0),
            2.0,
        ),
        (
            "{ normal = [10, 2], min = 0 }",
            Dist::Normal {
                mean: 10.0,
                sd: 2.0,
                min: 0.0,
                max: inf,
            },
            10.0,
        ),
        (
            "{ lognormal = [0, 0.5] }",
            Dist::LogNormal {
                mu: 0.0,
                sigma: 0.5,
                min: 0.0,
                max: inf,
            },
            1.0,
        ),
        (
            "{ lognormal = [0, 0.5], min = 2, max = 3 }",
            Dist::LogNormal {
                mu: 0.0,
                sigma: 0.5,
                min: 2.0,
                max: 3.0,
            },
            2.0,
        ),
        (
            "{ beta = [2, 6] }",
            Dist::Beta {
                a: 2.0,
                b: 6.0,
                min: 0.0,
                max: 1.0,
            },
            0.25,
        ),
        (
            "{ beta = [1, 1], min = 10, max = 20 }",
            Dist::Beta {
                a: 1.0,
                b: 1.0,
                min: 10.0,
                max: 20.0,
            },
            15.0,
        ),
        (
            "{ choice = [3, 7, 9], weights = [1, 5, 1] }",
            Dist::Choice {
                values: vec![3.0, 7.0, 9.0],
                weights: vec![1.0, 5.0, 1.0],
            },
            7.0,
        ),
    ];
    for (text, dist, central) in cases {
        let (s, u) = with_cap(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(s.world.facilities[0].capacity, central, "{text}");
        assert_eq!(u.params.len(), 1, "{text}");
        assert_eq!(u.params[0].dist, dist, "{text}");
        assert_eq!(u.params[0].target, Target::FacilityCapacity(0));
        assert_eq!(u.params[0].label, "facility CHN magnet capacity");
        assert_eq!((u.params[0].line, u.params[0].column), (32, 12), "{text}");
    }
    // Units convert every parameter of the distribution.
    let (s, u) = with_cap(r#"{ uniform = [365, 730], unit = "t product/yr" }"#).unwrap();
    assert_eq!(s.world.facilities[0].capacity, 1.5);
    assert_eq!(u.params[0].dist, Dist::Uniform(1.0, 2.0));
}

#[test]
fn degenerate_distributions_are_reported_with_position_and_hint() {
    let cases = [
        ("{ uniform = [8, 4] }", "min 8 is greater than max 4"),
        (
            "{ triangular = [1, 7, 6] }",
            "is not ordered min <= mode <= max",
        ),
        ("{ normal = [10, 0] }", "sd must be > 0, found 0"),
        ("{ normal = [10, -1], min = 0 }", "sd must be > 0"),
        ("{ lognormal = [0, 0] }", "sigma must be > 0"),
        (
            "{ normal = [10, 1], min = 5, max = 2 }",
            "min 5 is greater than max 2",
        ),
        ("{ beta = [0, 1] }", "beta shape parameters must be > 0"),
        ("{ choice = [] }", "`choice` is empty"),
        (
            "{ choice = [1, 2], weights = [0, 0] }",
            "weights must be >= 0 and sum to more than 0",
        ),
        (
            "{ choice = [1, 2], weights = [1] }",
            "1 weights for 2 choices",
        ),
        (
            "{ choice = [1, 2], weights = [-1, 3] }",
            "weights must be >= 0",
        ),
        (
            "{ uniform = [1, 2], triangular = [1, 2, 3] }",
            "must have exactly one of",
        ),
        ("{ uniform = [1] }", "must be an array [min, max]"),
        ("{ uniform = [1, 2], min = 0 }", "`min` is only used with"),
        (
            "{ uniform = [1, 2], weights = [1] }",
            "`weights` is only used with `choice`",
        ),
        (
            "{ normal = [1, 1] }",
            "`capacity` must be >= 0, but its distribution normal [1, 1] reaches -inf",
        ),
        (
            "{ uniform = [-1, 2] }",
            "`capacity` must be >= 0, but its distribution uniform [-1, 2] reaches -1",
        ),
        ("{ uniform = [1, 2], value = 3 }", "unknown key `value`"),
    ];
    for (text, want) in cases {
        let err = with_cap(text).expect_err(text);
        assert!(err.contains(want), "{text}: {err}");
        assert!(err.contains("u.toml:32:"), "{text}: {err}");
        assert!(
            err.contains("hint:") || want.contains("unknown key"),
            "{text}: {err}"
        );
    }
}

#[test]
fn uncertain_events_dates_probabilities_and_approvals() {
    use crate::event::{EventParam, EventTarget, TermsSlot, export_licence, tariff};
    use crate::uncertain::{Dist, Target};
    let body = r#"[[event]]
name = "lic"
date = { uniform = [2025-02-01, 2025-02-11] }
kind = "export-licence"
exporter = "CHN"
approval = { beta = [2, 2] }
lead-time-days = 10
destination.USA = { lead-time-days = 5 }
[[event]]
name = "tariff"
date = { on = 2025-03-01, shift-days = { triangular = [-10, 0, 20] } }
probability = 0.25
kind = "tariff"
importer = "USA"
rate = { normal = [0.3, 0.1], min = 0, max = 1 }
"#;
    let (s, u) = parse_unc(body).unwrap();
    // The improbable tariff is not in the central scenario; the licence starts mid-range.
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].start, 36);
    assert_eq!(u.events.len(), 2);
    let targets: Vec<&Target> = u.params.iter().map(|p| &p.target).collect();
    assert_eq!(
        targets,
        [
            &Target::EventStart(0),
            &Target::Event(EventTarget {
                event: 0,
                param: EventParam::ExportLicence(export_licence::Param::Approval(vec![
                    TermsSlot::Default,
                    TermsSlot::Destination(0)
                ]))
            }),
            &Target::EventStart(1),
            &Target::EventOccurs(1),
            &Target::Event(EventTarget {
                event: 1,
                param: EventParam::Tariff(tariff::Param::Rate)
            }),
        ]
    );
    assert_eq!(u.params[2].dist, Dist::Triangular(49.0, 59.0, 79.0));
    assert_eq!(u.params[3].dist, Dist::Bernoulli(0.25));
    // Sampling is reproducible and applies every draw.
    let (a, va) = s.for_path(&u, 5, 3);
    let (b, vb) = s.for_path(&u, 5, 3);
    assert_eq!(a, b);
    assert_eq!(va, vb);
    assert!((31.0..=41.0).contains(&va[0]));
    assert_eq!(a.events[0].start, va[0].round() as u32);
    let EventKind::ExportLicence(l) = &a.events[0].kind else {
        panic!()
    };
    assert_eq!(l.terms.approval, va[1]);
    assert_eq!(l.destinations[0].1.approval, va[1]);
    assert_eq!(a.events.len(), if va[3] >= 0.5 { 2 } else { 1 });
}

#[test]
fn degenerate_event_uncertainty_is_reported() {
    let ev = |extra: &str| {
        format!("[[event]]\n{extra}\nkind = \"tariff\"\nimporter = \"USA\"\nrate = 0.1\n")
    };
    let cases = [
        (
            "date = 2025-02-01\nprobability = 1.5",
            "`probability` must be between 0 and 1, found 1.5",
        ),
        (
            "date = 2025-02-01\nprobability = -0.1",
            "`probability` must be between 0 and 1",
        ),
        (
            "date = { uniform = [2025-03-01, 2025-02-01] }",
            "the first date is after the second",
        ),
        (
            "date = { uniform = [2025-03-01, 2026-02-01] }",
            "reaches outside the scenario horizon",
        ),
        ("date = { choice = [] }", "`choice` is empty"),
        ("date = { on = 2025-02-01 }", "needs `shift-days`"),
        (
            "date = { on = 2025-02-01, shift-days = 3 }",
            "`shift-days` must be a distribution",
        ),
        (
            "date = { triangular = [2025-02-05, 2025-02-01, 2025-02-09] }",
            "not ordered",
        ),
    ];
    for (extra, want) in cases {
        let err = parse_unc(&ev(extra)).expect_err(extra);
        assert!(err.contains(want), "{extra}: {err}");
        assert!(err.contains("u.toml:3"), "{extra}: {err}");
    }
    // A distribution where the model takes none is an error, not silently central.
    let err = parse_unc("[[link]]\nfrom = \"CHN\"\nto = \"USA\"\nproduct = \"magnet\"\nshare = { uniform = [0.9, 1] }\n")
        .expect_err("share");
    assert!(err.contains("`share` cannot be uncertain"), "{err}");
    assert!(err.contains("hint: distributions are allowed for"), "{err}");
}

// ---- issue 16: hostile input -----------------------------------------------------------------

/// A demand for `magnet` in the USA, `product` on line 31 when it follows `pre!()`.
macro_rules! usa_magnets {
    () => {
        "[[demand]]\nregion = \"USA\"\nproduct = \"magnet\"\nend-use = \"defence\"\nquantity = 10\n"
    };
}

#[test]
fn issue_16_a_product_nobody_makes_is_an_error() {
    // Links for it (from a region without a facility) are a consequence, not reported.
    check(
        concat!(
            pre!(),
            usa_magnets!(),
            "[[link]]\nfrom = \"CHN\"\nto = \"USA\"\nproduct = \"magnet\"\nshare = 1\n"
        ),
        r##"
error: s.toml:31:11: nothing can supply `magnet` to USA: no facility makes it anywhere and no stockpile there holds it
  hint: add a `[[facility]]` that makes `magnet` (and links from it), or remove the demand and recipe inputs that need it
"##,
    );
}

#[test]
fn issue_16_a_need_without_links_is_an_error() {
    check(
        concat!(
            pre!(),
            usa_magnets!(),
            r#"[[facility]]
region = "CHN"
product = "magnet"
capacity = 100
"#
        ),
        r##"
error: s.toml:31:11: nothing can supply `magnet` to `USA`: no link brings it there, yet it needs 10 t product/day
  hint: add a `[[link]]` with `to = "USA"` and `product = "magnet"` from a region that makes it (`from = "USA"` for its own facility)
"##,
    );
}

#[test]
fn issue_16_own_supplier_without_a_facility_is_an_error() {
    check(
        concat!(
            pre!(),
            usa_magnets!(),
            r#"[[recipe]]
output = "magnet"
inputs = { oxide = 0.5 }
[[facility]]
region = "CHN"
product = "magnet"
capacity = 100
[[facility]]
region = "USA"
product = "oxide"
capacity = 100
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 1
[[link]]
from = "CHN"
to = "CHN"
product = "oxide"
share = 1
"#
        ),
        r##"
error: s.toml:51:8: `CHN` is its own supplier of `oxide` but has no facility for it
  hint: a region ships only what its own facility makes: add a `[[facility]]` with `region = "CHN"` and `product = "oxide"`, or take this link out (and give its share to the other links)
"##,
    );
}

#[test]
fn issue_16_recipe_cycles_are_errors() {
    check(
        concat!(
            pre!(),
            r#"[[recipe]]
output = "magnet"
inputs = { oxide = 0.5 }
[[recipe]]
output = "oxide"
inputs = { magnet = 0.1 }
"#
        ),
        r##"
error: s.toml:31:12: recipe cycle: `magnet` needs `oxide`, which needs `magnet`
  hint: a product cannot need itself through its inputs: the baseline is worked out from each product down to its inputs, and a cycle has no bottom; take one of these inputs out
"##,
    );
}

#[test]
fn issue_16_infinite_and_huge_numbers_are_errors() {
    check(
        concat!(
            pre!(),
            r#"[[stockpile]]
region = "USA"
product = "magnet"
quantity = inf
[[stockpile]]
region = "CHN"
product = "magnet"
quantity = { value = 1e308, unit = "t product" }
[[facility]]
region = "CHN"
product = "magnet"
capacity = { value = -inf, unit = "t product/yr" }
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 1
tariff = 1e13
"#
        ),
        r##"
error: s.toml:32:12: `quantity` must be a finite number, found inf
  hint: numbers are limited to 1e12 in magnitude, so that sums over links, days and Monte Carlo paths stay finite and exact
error: s.toml:36:22: `quantity` = 1e308 is too large: the largest accepted magnitude is 1e12
  hint: numbers are limited to 1e12 in magnitude, so that sums over links, days and Monte Carlo paths stay finite and exact; is the unit right?
error: s.toml:40:22: `capacity` must be a finite number, found -inf
  hint: numbers are limited to 1e12 in magnitude, so that sums over links, days and Monte Carlo paths stay finite and exact
error: s.toml:46:10: `tariff` = 10000000000000 is too large: the largest accepted magnitude is 1e12
  hint: numbers are limited to 1e12 in magnitude, so that sums over links, days and Monte Carlo paths stay finite and exact; is the unit right?
"##,
    );
}

#[test]
fn issue_16_transit_days_too_large_says_so() {
    check(
        concat!(
            pre!(),
            r#"[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 1
transit-days = 99999999999
"#
        ),
        r##"
error: s.toml:34:16: `transit-days` = 99999999999 is too large: the largest accepted value is 36500
  hint: a shipment cannot take longer than the longest run (36500 days, 100 years): it would never arrive, and the in-transit pipeline keeps one slot per day of the longest transit on every link
"##,
    );
}

/// A header whose `start` and `days` are the test's.
fn dated(start: &str, days: &str, body: &str) -> String {
    format!(
        "[scenario]\nname = \"t\"\nbase = \"builtin:mini\"\nstart = {start}\ndays = {days}\n{body}"
    )
}

#[test]
fn issue_16_a_run_past_9999_12_31_is_refused() {
    let body = "[[event]]\nkind = \"export-ban\"\ndate = 2025-01-15\nexporter = \"CHN\"\n";
    check(
        &dated("9999-12-01", "60", body),
        r##"
error: s.toml:4:9: a run of 60 days from 9999-12-01 ends after 9999-12-31, the last date outputs can write
  hint: start on or before 9999-11-02 for 60 days, or run fewer days (dates end at 9999-12-31)
"##,
    );
    // The last representable day itself is fine, and so is its horizon in messages.
    let ok = dated("9999-11-02", "60", "");
    assert!(parse(&ok).is_ok(), "{:?}", parse(&ok).err());
    check(
        &dated("9999-11-02", "60", body),
        r##"
error: s.toml:8:8: event date 2025-01-15 is outside the scenario horizon [9999-11-02, 9999-12-31]
  hint: the scenario runs 60 days from 9999-11-02
"##,
    );
}

#[test]
fn issue_16_syntax_errors_come_without_knock_on_errors() {
    // An impossible date is a syntax error; `start` is not then also "not a local date".
    check(
        &dated("2025-02-30", "10", ""),
        r##"
error: s.toml:4:9: TOML syntax error: invalid date, expected day between 01 and 28
"##,
    );
    // One mistake on a line gives one error, and the rest of the file is not checked against
    // the parser's guess (the duplicate region and the unknown product would be reported once
    // the syntax is fixed).
    check(
        &dated(
            "2025-01-01",
            "10",
            "[[region]]\nid = \"CHN\"\nname = = \"China\"\n[[link]]\nfrom = \"CHN\"\nto = \"CHN\"\nproduct = \"x\"\nshare = 1\n",
        ),
        r##"
error: s.toml:8:8: TOML syntax error: extra `=`, expected nothing
"##,
    );
}

/// Resolves every base to one failure.
struct Failing(BaseError);

impl BaseResolver for Failing {
    fn resolve(&self, _: &str) -> Option<Vec<(String, String)>> {
        None
    }
    fn load(&self, _: &str) -> Result<Vec<(String, String)>, BaseError> {
        Err(self.0.clone())
    }
}

#[test]
fn issue_16_an_unreadable_base_is_one_error_at_base() {
    // The body refers to regions and products of the base: none of that is reported.
    let text = r#"[scenario]
name = "b"
base = "data/world.toml"
start = 2025-01-01
days = 10
[[facility]]
region = "CHN"
product = "ndfeb-magnet"
capacity = 5
"#;
    let cases = [
        (
            BaseError::NotFound {
                path: "dir/data/world.toml".into(),
            },
            "error: s.toml:3:8: base dataset `dir/data/world.toml` does not exist\n  hint: a relative `base` is read from the scenario file's folder; give a dataset .toml file or a folder of them, `builtin:NAME` or `none`",
        ),
        (
            BaseError::EmptyFolder {
                path: "dir/data".into(),
            },
            "error: s.toml:3:8: base dataset `dir/data` is a folder without .toml files\n  hint: a dataset folder holds .toml files, read in name order",
        ),
        (
            BaseError::NotUtf8 {
                path: "dir/data/world.toml".into(),
                at: utf8_text(b"[[region]]\nid = \"\xe9\"").unwrap_err(),
            },
            "error: s.toml:3:8: base dataset file `dir/data/world.toml` is not UTF-8 at byte 17 (line 2, column 7: 0xe9)\n  hint: a dataset is TOML text in UTF-8; save it as UTF-8, or check the path",
        ),
    ];
    for (e, want) in cases {
        let got = parse_scenario(
            SourceText {
                name: "s.toml",
                text,
            },
            &Failing(e),
        )
        .map(|_| ())
        .map_err(|d| d.to_string());
        assert_eq!(got, Err(want.to_string()));
    }
    check(
        &text.replace("data/world.toml", "builtin:nope"),
        r##"
error: s.toml:3:8: unknown base dataset `builtin:nope`
  hint: use `builtin:NAME` for a bundled dataset, or `none`
"##,
    );
}

#[test]
fn issue_16_a_stockpile_as_the_only_supply_is_a_warning() {
    let text = concat!(
        pre!(),
        usa_magnets!(),
        "[[stockpile]]\nregion = \"USA\"\nproduct = \"magnet\"\nquantity = 500\n"
    );
    let v = validate_scenario(
        SourceText {
            name: "s.toml",
            text,
        },
        &NoBases,
    )
    .expect("a warning does not stop the run");
    assert_eq!(
        v.warnings.to_string(),
        "warning: s.toml:31:11: no facility makes `magnet` anywhere: only stockpiles can serve what USA needs\n  hint: the need is met only while stockpile releases last; add a `[[facility]]` for `magnet` if it is made somewhere"
    );
    assert_eq!(v.scenario.world.stockpiles.len(), 1);
    // Beside an error, the warning is reported too, and only the error counts.
    let bad = format!("{text}[[event]]\nkind = \"nope\"\ndate = 2025-01-02\n");
    let d = parse(&bad).expect_err("unknown event kind");
    assert_eq!((d.0.len(), d.errors()), (2, 1), "{d}");
    assert_eq!(d.0[0].severity, Severity::Warning, "{d}");
}

#[test]
fn issue_16_non_utf8_text_says_where() {
    let at = utf8_text(b"ab\ncd\xffe").unwrap_err();
    assert_eq!((at.offset, at.line, at.column, at.byte), (5, 2, 3, 0xff));
    assert_eq!(
        at.to_string(),
        "is not UTF-8 at byte 5 (line 2, column 3: 0xff)"
    );
    assert_eq!(utf8_text("é\n".as_bytes()), Ok("é\n"));
}

/// Announcement No. 18 licensed rare-earth materials and magnets, not the parts magnets are
/// fitted into: `{ elements, stages }` selects by content and stage together, and a stage name
/// is checked like the product table's.
#[test]
fn issue_17_element_selector_limited_to_stages() {
    let motor = r#"[[product]]
id = "motor"
unit = "t product"
stage = "component"
content = { Nd = 0.2, Dy = 0.01 }
price = 150
"#;
    let licence = |products: &str| {
        format!(
            "{}{motor}[[event]]\ndate = 2025-02-01\nkind = \"export-licence\"\nexporter = \"CHN\"\napproval = 0.5\nlead-time-days = 30\nproducts = {products}\n",
            pre!()
        )
    };
    let selected = |products: &str| -> Vec<String> {
        let Ok(s) = parse(&licence(products)) else {
            panic!("{products} must parse")
        };
        let EventKind::ExportLicence(l) = &s.events[0].kind else {
            panic!("a licence")
        };
        (0..s.world.products.len())
            .map(|i| crate::model::ProductId(i as u32))
            .filter(|&p| l.products.selects(&s.world, p))
            .map(|p| s.world.products[p.ix()].code.clone())
            .collect()
    };
    assert_eq!(selected(r#"{ elements = ["Dy"] }"#), ["magnet", "motor"]);
    assert_eq!(
        selected(r#"{ elements = ["Dy"], stages = ["separation", "magnet"] }"#),
        ["magnet"]
    );
    assert_eq!(
        selected(r#"{ elements = ["Dy"], stages = ["component"] }"#),
        ["motor"]
    );
    check(
        &licence(r#"{ elements = ["Dy"], stages = ["magnets", "parts"] }"#),
        r#"
error: s.toml:41:42: `stages` in `products` selects no stage
  hint: leave `stages` out to select every stage
error: s.toml:41:43: unknown stage `magnets`
  hint: did you mean `magnet`?
error: s.toml:41:54: unknown stage `parts`
  hint: stages: mining, separation, metal, magnet, component, end-use
"#,
    );
}

/// The calibration leaves `adaptation-rate` loose (docs/calibration.md), so a scenario may give
/// it as a distribution: a single run takes the central value, each path its own draw, and a
/// distribution reaching outside [0, 1] is refused where it is written.
#[test]
fn issue_17_adaptation_rate_may_be_uncertain() {
    use crate::uncertain::Target;
    let parse_rate = |rate: &str| {
        parse_unc_text(&pre!().replace(
            "days = 100\n",
            &format!("days = 100\nadaptation-rate = {rate}\n"),
        ))
    };
    let Ok((s, unc)) = parse_rate("{ triangular = [0.0005, 0.002, 0.006] }") else {
        panic!("a triangular rate parses")
    };
    assert_eq!(s.settings.adaptation_rate, 0.002);
    assert_eq!(unc.params.len(), 1);
    assert_eq!(unc.params[0].target, Target::AdaptationRate);
    assert_eq!(unc.params[0].label, "scenario adaptation-rate");
    let rates: Vec<f64> = (0..20)
        .map(|path| s.for_path(&unc, 7, path).0.settings.adaptation_rate)
        .collect();
    assert!(
        rates.iter().all(|r| (0.0005..=0.006).contains(r)),
        "{rates:?}"
    );
    assert!(rates.windows(2).any(|w| w[0] != w[1]), "{rates:?}");
    // A plain number stays certain.
    let Ok((s, unc)) = parse_rate("0.01") else {
        panic!("a plain rate parses")
    };
    assert!(unc.params.is_empty());
    assert_eq!(s.settings.adaptation_rate, 0.01);
    let Err(e) = parse_rate("{ uniform = [0.5, 1.5] }") else {
        panic!("a rate above 1 is refused")
    };
    assert!(
        e.starts_with("error: u.toml:6:19: `adaptation-rate`"),
        "{e}"
    );
}
