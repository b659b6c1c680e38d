//! Issue 18, the stockpile's rules beyond a rate: a release triggered by price (or by cover, or
//! by either), and a refill rule (buy only up to a level, only while the price is at most a
//! threshold). On one supplier (CHN) and one buyer (USA) of one product at a constant price P,
//! so each rule either holds every day or never, and the stockpile's path has a closed form.

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::engine::simulate;
use chokepoint_core::event::{EventKind, StockpilePurchase, StockpileRelease};
use chokepoint_core::model::{ProductId, RegionId, Stage, Stockpile};
use chokepoint_core::record::{Variable, VecSink};
use chokepoint_core::scenario::Scenario;

const D: f64 = 2.0; // t/day demand
const P: f64 = 100.0; // USD/kg, WorldBuilder's price, held constant
const H: u32 = 40; // days

fn world() -> (WorldBuilder, RegionId, ProductId) {
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let usa = b.region("USA", &[]);
    let m = b.product("dy-oxide", Stage::Separation, &[("Dy", 0.87)]);
    b.world.products[m.ix()].price_response = 0.0;
    b.world.products[m.ix()].price_adjust_days = 1.0;
    b.facility(chn, m, 100.0);
    b.link(chn, usa, m, 1.0, 5);
    b.demand(usa, m, "ev", D);
    (b, usa, m)
}

/// The US strategic stockpile at the end of each day of the run (0 on a day without a record:
/// the engine records a node's stockpile only where it holds or has held one).
fn held(s: &Scenario, usa: RegionId, m: ProductId) -> Vec<f64> {
    let mut sink = VecSink::default();
    simulate(s, 1, &mut sink);
    let mut v = vec![0.0; s.settings.days as usize];
    for r in &sink.records {
        if r.variable == Variable::Stockpile && r.region == usa && r.product == m {
            v[r.day as usize] = r.value;
        }
    }
    v
}

fn release(trigger_days: Option<f64>, trigger_price: Option<f64>) -> Vec<f64> {
    let (mut b, usa, m) = world();
    let rule = StockpileRelease {
        region: usa,
        product: m,
        rate: 0.5,
        trigger_days,
        trigger_price,
    };
    b.world.stockpiles.push(Stockpile {
        region: usa,
        product: m,
        quantity: 100.0,
    });
    let s = b.scenario(H, vec![event(0, None, EventKind::StockpileRelease(rule))]);
    held(&s, usa, m)
}

#[test]
fn issue_18_a_release_triggered_by_price_runs_while_the_price_is_at_or_above_it() {
    // Untriggered: 0.5 t a day from day 0, so 100 − 0.5 (d + 1) at the end of day d.
    let always = release(None, None);
    assert_eq!(always.len(), H as usize);
    for (d, v) in always.iter().enumerate() {
        assert!(
            (v - (100.0 - 0.5 * (d as f64 + 1.0))).abs() < 1e-9,
            "day {d}: {v}"
        );
    }
    // At or above the trigger price every day: the same path; above it never: untouched.
    assert_eq!(release(None, Some(P)), always);
    assert!(release(None, Some(P + 1.0)).iter().all(|&v| v == 100.0));
    // Cover is ample (no shortage), so a cover trigger alone never fires; with a price trigger
    // that holds, either suffices and the release runs.
    assert!(release(Some(1.0), None).iter().all(|&v| v == 100.0));
    assert_eq!(release(Some(1.0), Some(P * 0.5)), always);
    assert!(
        release(Some(1.0), Some(P * 2.0))
            .iter()
            .all(|&v| v == 100.0)
    );
}

fn purchase(refill_to: Option<f64>, below_price: Option<f64>) -> Vec<f64> {
    let (b, usa, m) = world();
    let rule = StockpilePurchase {
        region: usa,
        product: m,
        rate: 1.0,
        refill_to,
        below_price,
    };
    let s = b.scenario(H, vec![event(0, None, EventKind::StockpilePurchase(rule))]);
    held(&s, usa, m)
}

#[test]
fn issue_18_a_refill_rule_buys_up_to_its_level_and_only_below_its_price() {
    // Without a rule the purchase never stops: what it holds only grows.
    let open = purchase(None, None);
    let last = *open.last().unwrap();
    assert!(last > 12.0, "{last}");
    // With `refill-to` 12 it holds exactly 12 once it has bought them, and never more.
    let refill = purchase(Some(12.0), None);
    assert!(refill.iter().all(|&v| v <= 12.0 + 1e-12), "{refill:?}");
    assert_eq!(*refill.last().unwrap(), 12.0);
    let full = refill.iter().position(|&v| v == 12.0).unwrap();
    assert!(refill[full..].iter().all(|&v| v == 12.0));
    // Up to that day it bought as the open purchase did.
    assert_eq!(&refill[..full], &open[..full]);
    // A price ceiling below P: nothing bought; at P: as without it.
    assert!(
        purchase(Some(12.0), Some(P - 1.0))
            .iter()
            .all(|&v| v == 0.0)
    );
    assert_eq!(purchase(Some(12.0), Some(P)), refill);
}
