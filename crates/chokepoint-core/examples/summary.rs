//! Prints the summary of a library scenario (development aid):
//! `cargo run -p chokepoint-core --example summary -- april-2025`.
use chokepoint_core::{engine::simulate, library::builtin_scenario, record::NullSink};

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "april-2025".into());
    let Some(Ok(mut s)) = builtin_scenario(&name) else {
        eprintln!("no such scenario or it does not parse: {name}");
        std::process::exit(2);
    };
    if std::env::args().any(|a| a == "--no-events") {
        s.events.clear();
    }
    if std::env::args().any(|a| a == "--baseline") {
        let net = chokepoint_core::network::Network::new(&s.world);
        for f in &s.world.facilities {
            let n = net.node(f.region, f.product);
            let prod = net.baseline_output(n);
            println!(
                "{:4} {:22} baseline {:>10.1}/day capacity {:>10.1}/day utilisation {:>6.1}%",
                s.world.regions[f.region.ix()].code,
                s.world.products[f.product.ix()].code,
                prod,
                f.capacity,
                100.0 * prod / f.capacity
            );
        }
        return;
    }
    let sum = simulate(&s, s.settings.seed, &mut NullSink);
    for r in &sum.rows {
        if r.need_total <= 0.0 && r.licences_applied == 0 {
            continue;
        }
        println!(
            "{:4} {:22} need {:>12.1} short {:>10.1} ({:>5.1}%) first {:>5} mincover {:>6.1} price {:>8.1}@{:>3} lic {:>4}/{:>4}/{:>4}/{:>4} wait {:?}",
            s.world.regions[r.region.ix()].code,
            s.world.products[r.product.ix()].code,
            r.need_total,
            r.shortfall,
            100.0 * r.shortfall / r.need_total.max(1e-12),
            r.first_stockout.map(|d| d.to_string()).unwrap_or_default(),
            r.min_days_of_cover,
            r.price_peak,
            r.price_peak_day,
            r.licences_applied,
            r.licences_approved,
            r.licences_denied,
            r.licences_pending,
            r.mean_wait_days.map(|w| (w * 10.0).round() / 10.0)
        );
    }
}
