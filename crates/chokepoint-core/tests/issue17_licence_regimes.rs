//! Issue 17: a licence decision follows the regime in force on its day. In `april-2025` the US
//! applications filed in April-May under "no approvals for US buyers" were all denied on
//! their decision days in June-July, after the regime of 11 June had opened approvals to US
//! buyers (US-bound exports in June: 124 t simulated against 353 t observed). On a hand-made
//! world: China licenses magnets to the US with a fixed lead time; a second regime replaces
//! the first while applications wait, and a general licence lifts licensing.

use chokepoint_core::engine::Engine;
use chokepoint_core::record::{LicenceOutcome, LicenceRecord, NullSink};

mod support;
use support::parse;

/// China makes magnets, the US buys them (a month of cover, so it orders every day). China
/// licenses its magnet exports from day 10 (2025-01-11) with lead time 30 days and US odds
/// `first`; `then` is appended as further events.
fn world(first: f64, then: &str) -> String {
    format!(
        r#"[scenario]
name = "regime replaced while applications wait"
base = "none"
start = 2025-01-01
days = 90
seed = 5

[[region]]
id = "CHN"
name = "China"

[[region]]
id = "USA"
name = "United States"

[[product]]
id = "ndfeb-magnet"
name = "Sintered NdFeB magnet"
unit = "t product"
stage = "magnet"
content = {{ Dy = 0.04 }}
price = 80

[[facility]]
region = "CHN"
product = "ndfeb-magnet"
capacity = 100

[[link]]
from = "CHN"
to = "USA"
product = "ndfeb-magnet"
share = 1.0
transit-days = 5

[[demand]]
region = "USA"
product = "ndfeb-magnet"
end-use = "ev"
quantity = 10

[[inventory]]
region = "USA"
product = "ndfeb-magnet"
initial-days = 30
target-days = 30
{first}{then}"#,
        first = regime("2025-01-11", 30, first)
    )
}

/// China's licensing of magnets from `date`, with lead time `lead` days and US odds `odds`.
fn regime(date: &str, lead: u32, odds: f64) -> String {
    format!(
        r#"
[[event]]
name = "licensing from {date}"
date = {date}
kind = "export-licence"
exporter = "CHN"
products = ["ndfeb-magnet"]
approval = 0.5
lead-time-days = {lead}
destination.USA = {{ approval = {odds} }}
"#
    )
}

/// A second regime from day 25 (2025-01-26) with US odds `odds` and lead time 5 days.
fn replaced_by(odds: f64) -> String {
    regime("2025-01-26", 5, odds)
}

fn licences(text: &str) -> Vec<LicenceRecord> {
    let (s, _) = parse(text);
    let mut e = Engine::new(&s, 5, 0);
    while !e.finished() {
        e.step(&mut NullSink);
    }
    e.licences().collect()
}

/// The applications filed under the first regime (days 10..25) and under the second.
fn split(all: &[LicenceRecord]) -> (Vec<&LicenceRecord>, Vec<&LicenceRecord>) {
    let first: Vec<_> = all.iter().filter(|l| l.filed < 25).collect();
    let second: Vec<_> = all.iter().filter(|l| l.filed >= 25).collect();
    assert!(first.len() >= 10 && !second.is_empty(), "{all:?}");
    (first, second)
}

#[test]
fn issue_17_a_pending_application_takes_the_odds_of_the_regime_that_replaced_its_own() {
    // Alone, the first regime denies every US application.
    let alone = licences(&world(0.0, ""));
    assert!(alone.iter().all(|l| l.outcome != LicenceOutcome::Approved));
    assert!(alone.iter().any(|l| l.outcome == LicenceOutcome::Denied));

    // Replaced on day 25 by a regime that approves every US application: the applications
    // waiting then are approved, on the day drawn when they were filed (filed + 30, the queue
    // they joined), not sooner; those filed since wait the second regime's 5 days.
    let opened = licences(&world(0.0, &replaced_by(1.0)));
    let (first, second) = split(&opened);
    for l in first {
        assert_eq!(l.outcome, LicenceOutcome::Approved, "{l:?}");
        assert_eq!(l.decided, Some(l.filed + 30), "{l:?}");
    }
    for l in second.iter().filter(|l| l.filed + 5 < 90) {
        assert_eq!(l.outcome, LicenceOutcome::Approved, "{l:?}");
        assert_eq!(l.decided, Some(l.filed + 5), "{l:?}");
    }

    // And the reverse: approvals waiting when a regime that denies the US comes are denied.
    let closed = licences(&world(1.0, &replaced_by(0.0)));
    let (first, _) = split(&closed);
    assert!(first.iter().all(|l| l.outcome == LicenceOutcome::Denied));
    // Before the second regime starts, the first one's approvals stand: none was decided
    // before day 25 here (lead time 30), so every one waited and every one is denied.
    assert!(first.iter().all(|l| l.decided.is_some_and(|d| d >= 40)));
}

#[test]
fn issue_17_equal_odds_keep_each_outcome_drawn_at_filing() {
    // A second regime with the same US odds (0.5 both) changes no outcome of the applications
    // filed before it: the uniform drawn at filing is compared with the same odds.
    let half = |then: &str| -> Vec<(u32, LicenceOutcome)> {
        let all = licences(&world(0.5, then));
        all.iter()
            .filter(|l| l.filed < 25)
            .map(|l| (l.filed, l.outcome))
            .collect()
    };
    let alone = half("");
    let replaced = half(&replaced_by(0.5));
    assert_eq!(alone, replaced);
    let approved = alone
        .iter()
        .filter(|(_, o)| *o == LicenceOutcome::Approved)
        .count();
    assert!(approved > 0 && approved < alone.len(), "{alone:?}");
}

#[test]
fn issue_17_a_general_licence_leaves_the_waiting_applications_their_odds() {
    // A general licence from day 25 lifts licensing for new orders; the applications filed
    // before it keep the first regime's odds (0: denied) and their decision days.
    let general = r#"
[[event]]
name = "general licence"
date = 2025-01-26
kind = "general-licence"
exporter = "CHN"
products = ["ndfeb-magnet"]
"#;
    let all = licences(&world(0.0, general));
    assert!(
        all.iter().all(|l| l.filed < 25),
        "nothing is filed once it is lifted"
    );
    for l in &all {
        assert_eq!(l.outcome, LicenceOutcome::Denied, "{l:?}");
        assert_eq!(l.decided, Some(l.filed + 30), "{l:?}");
    }
}
