//! The cost of a run's levers and the value of its lost output ([`CostReport`]), priced from
//! the scenario's unit costs ([`Costs`]) while the engine runs.
//!
//! A [`Ledger`] reads the engine after each reported day ([`Ledger::observe`]) and keeps one
//! running total per node, link or facility; [`Ledger::report`] turns them into [`CostRow`]s,
//! one per (lever, place) with a non-zero amount. [`simulate_costed`] is
//! [`crate::engine::simulate`] with a ledger beside the sink: the simulation and its records are
//! the same, so a scenario's outputs do not change because it is priced. For each reported day
//! d, with P the price of the node's segment (USD/kg) and q in tonnes:
//!
//! ```text
//! stockpile purchase  = Σ_d purchase_d · P_d · 1000
//! stockpile holding   = Σ_d strategic_d · P_0 · 1000 · h / 365      (h = holding-rate, /yr)
//! offtake floor       = Σ_d Σ_lines max(0, floor − P_d) · shipped · 1000   (the top-up)
//! build-out           = c · 365 · 1000 · max_d max(0, K_d − K_0)   (c = capex, USD per kg/yr)
//! recycling           = Σ_d r_d · max(0, o − P_d) · 1000 + c_r · 365 · 1000 · max_d r_d
//!                       (r_d recycled t/day, o = opex USD/kg, c_r = capex USD per kg/yr)
//! thrifting           = Σ_d a_d · c_a · 1000 + R · [a triggered]   (a_d demand avoided t/day,
//!                       c_a = per-kg-avoided, R = redesign, once per buyer node)
//! tariff exemption    = Σ_d Σ_links τ_l,d · P_seller,d · shipped_l,d · 1000   (τ the rate removed)
//! approval uplift     = y · days / 365 + U · [days > 0]   (y = per-year, U = one-off; days in
//!                       force among the reported days)
//! output lost (e)     = Σ_d unmet_d · σ_e · v_e · 1000
//! ```
//!
//! where σ_e is end use e's share of the end-use node's baseline final demand (unmet final
//! demand is served proportionally across end uses, so this is exact as long as demand shocks
//! and growth do not differ between a node's end uses) and v_e its value lost (USD/kg). Output
//! lost is counted on end-use nodes only ([`crate::montecarlo::is_end_use`]: components with
//! final demand), whose needs are all final demand.

use crate::costs::{Costs, UpliftCost};
use crate::engine::Engine;
use crate::model::{Day, ProductId, RegionId};
use crate::montecarlo::is_end_use;
use crate::record::Sink;
use crate::scenario::Scenario;
use crate::summary::RunSummary;

/// What a cost row prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lever {
    /// Strategic stockpile bought at the day's price (units: tonnes bought).
    StockpilePurchase,
    /// Holding the strategic stockpile (units: tonne-days held).
    StockpileHolding,
    /// Released from the strategic stockpile (units: tonnes; no cash, usd 0).
    StockpileRelease,
    /// Offtake top-ups paid to bring the price up to the floor (partner: the supplier).
    OfftakeFloor,
    /// Capex of capacity added (units: t/yr added at the peak).
    BuildOut,
    /// Recycled supply: the operating cost the market price does not cover, and the capex of
    /// the largest daily supply (units: tonnes recycled).
    Recycling,
    /// Thrifting or substitution: per kg of demand avoided, and the one-off redesign (units:
    /// tonnes of demand avoided).
    Thrifting,
    /// Tariff revenue forgone on exempted flows (partner: the exporter; units: tonnes shipped
    /// while exempt).
    TariffExemption,
    /// Diplomacy buying an approval uplift (partner: the exporter; no product; units: days in
    /// force).
    ApprovalUplift,
    /// Value of end-use output lost (units: tonnes of end-use product not served).
    OutputLost,
}

impl Lever {
    pub fn as_str(self) -> &'static str {
        match self {
            Lever::StockpilePurchase => "stockpile-purchase",
            Lever::StockpileHolding => "stockpile-holding",
            Lever::StockpileRelease => "stockpile-release",
            Lever::OfftakeFloor => "offtake-floor",
            Lever::BuildOut => "build-out",
            Lever::Recycling => "recycling",
            Lever::Thrifting => "thrifting",
            Lever::TariffExemption => "tariff-exemption",
            Lever::ApprovalUplift => "approval-uplift",
            Lever::OutputLost => "output-lost",
        }
    }

    /// Whether the lever is money spent on resilience (not the value of output lost, not a
    /// release, which moves material the purchase already paid for).
    pub fn is_spending(self) -> bool {
        !matches!(self, Lever::OutputLost | Lever::StockpileRelease)
    }
}

/// One row of `costs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    pub lever: Lever,
    pub region: RegionId,
    /// The supplier of an offtake, the exporter of an exempted flow or of an uplift.
    pub partner: Option<RegionId>,
    /// None for an approval uplift, which covers every product of the exporter's regimes.
    pub product: Option<ProductId>,
    /// The end use of output lost.
    pub end_use: Option<String>,
    pub units: f64,
    pub usd: f64,
}

/// The priced run: rows by lever, then region, partner, product and end use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostReport {
    pub rows: Vec<CostRow>,
}

impl CostReport {
    /// Total USD of one lever.
    pub fn total(&self, lever: Lever) -> f64 {
        self.rows
            .iter()
            .filter(|r| r.lever == lever)
            .map(|r| r.usd)
            .sum()
    }

    /// USD spent on resilience: every lever but output lost.
    pub fn spending(&self) -> f64 {
        self.rows
            .iter()
            .filter(|r| r.lever.is_spending())
            .map(|r| r.usd)
            .sum()
    }

    /// Value of output lost per end use, in end-use name order.
    pub fn output_lost_by_end_use(&self) -> Vec<(String, f64, f64)> {
        let mut out: Vec<(String, f64, f64)> = Vec::new();
        for r in self.rows.iter().filter(|r| r.lever == Lever::OutputLost) {
            let e = r.end_use.clone().unwrap_or_default();
            match out.iter_mut().find(|(x, _, _)| *x == e) {
                Some(t) => {
                    t.1 += r.units;
                    t.2 += r.usd;
                }
                None => out.push((e, r.units, r.usd)),
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// One end use of an end-use node: its index into `Network::end_uses`, its share σ_e of the
/// node's baseline final demand and its value lost v_e (USD/kg).
type EndUseValue = (usize, f64, f64);

/// Running totals of one run's costs (see the module docs for the equations).
#[derive(Debug, Clone)]
pub struct Ledger {
    holding_rate: f64,
    /// Price on the first day per node (the holding cost's valuation).
    price0: Vec<f64>,
    bought: Vec<f64>,
    bought_usd: Vec<f64>,
    held: Vec<f64>,
    held_usd: Vec<f64>,
    released: Vec<f64>,
    topup: Vec<f64>,
    /// Per facility: capex per kg/yr (0 without a build-out cost) and the largest capacity
    /// added so far (units/day).
    capex: Vec<f64>,
    added: Vec<f64>,
    /// End-use nodes with, per end use, its share σ_e and value v_e.
    lost_nodes: Vec<(usize, Vec<EndUseValue>)>,
    lost: Vec<f64>,
    /// Per node: recycling (capex, opex) and thrifting (per kg avoided, redesign) unit costs.
    recycle_cost: Vec<(f64, f64)>,
    thrift_cost: Vec<(f64, f64)>,
    /// Per node: tonnes recycled, the opex the price did not cover (USD), the largest day.
    recycled: Vec<f64>,
    recycled_usd: Vec<f64>,
    recycled_peak: Vec<f64>,
    /// Per node: tonnes of demand avoided by thrifting.
    thrifted: Vec<f64>,
    /// Per link: tonnes shipped while exempt and the tariff revenue forgone (USD).
    exempt_shipped: Vec<f64>,
    forgone: Vec<f64>,
    /// Per `[costs] approval-uplift` entry: days in force.
    uplifts: Vec<UpliftCost>,
    uplift_days: Vec<u32>,
}

impl Ledger {
    /// A ledger for `engine` before its first step.
    pub fn new(engine: &Engine, costs: &Costs) -> Ledger {
        let (world, net) = (&engine.scenario.world, &engine.net);
        let nn = net.nr * net.np;
        let price0 = (0..nn)
            .map(|n| engine.state.market.price[net.price_of[n]])
            .collect();
        let home = |r: RegionId| world.regions[r.ix()].parent.unwrap_or(r);
        let capex = world
            .facilities
            .iter()
            .map(|f| {
                costs
                    .build_out
                    .iter()
                    .find(|b| b.product == f.product && b.region == home(f.region))
                    .map_or(0.0, |b| b.usd_per_kg_year)
            })
            .collect();
        let mut lost_nodes = Vec::new();
        for n in 0..nn {
            let (r, p) = (
                RegionId((n / net.np) as u32),
                ProductId((n % net.np) as u32),
            );
            if !net.active[n] || !is_end_use(world, r, p) {
                continue;
            }
            let by_use = &net.end_use_need0[n];
            let total: f64 = by_use.iter().sum();
            if total <= 0.0 {
                continue;
            }
            let shares = by_use
                .iter()
                .enumerate()
                .filter(|(_, q)| **q > 0.0)
                .map(|(e, q)| (e, q / total, costs.value_of(&net.end_uses[e])))
                .collect();
            lost_nodes.push((n, shares));
        }
        let node_of = |n: usize| {
            let (r, p) = (
                RegionId((n / net.np) as u32),
                ProductId((n % net.np) as u32),
            );
            (p, move |region: RegionId| region == r || region == home(r))
        };
        let recycle_cost = (0..nn)
            .map(|n| {
                let (p, is) = node_of(n);
                costs
                    .recycling
                    .iter()
                    .find(|c| c.product == p && is(c.region))
                    .map_or((0.0, 0.0), |c| (c.capex_usd_per_kg_year, c.opex_usd_per_kg))
            })
            .collect();
        let thrift_cost = (0..nn)
            .map(|n| {
                let (p, is) = node_of(n);
                costs
                    .thrifting
                    .iter()
                    .find(|c| c.product == p && is(c.region))
                    .map_or((0.0, 0.0), |c| (c.usd_per_kg_avoided, c.redesign_usd))
            })
            .collect();
        let nl = world.links.len();
        Ledger {
            recycle_cost,
            thrift_cost,
            recycled: vec![0.0; nn],
            recycled_usd: vec![0.0; nn],
            recycled_peak: vec![0.0; nn],
            thrifted: vec![0.0; nn],
            exempt_shipped: vec![0.0; nl],
            forgone: vec![0.0; nl],
            uplifts: costs.approval_uplift.clone(),
            uplift_days: vec![0; costs.approval_uplift.len()],
            holding_rate: costs.holding_rate,
            price0,
            bought: vec![0.0; nn],
            bought_usd: vec![0.0; nn],
            held: vec![0.0; nn],
            held_usd: vec![0.0; nn],
            released: vec![0.0; nn],
            topup: vec![0.0; world.links.len()],
            capex,
            added: vec![0.0; world.facilities.len()],
            lost_nodes,
            lost: vec![0.0; nn],
        }
    }

    /// Adds the day the engine has just run.
    pub fn observe(&mut self, engine: &Engine) {
        let (st, net) = (&engine.state, &engine.net);
        for n in 0..self.bought.len() {
            let nd = &st.today.nodes[n];
            let price = st.market.price[net.price_of[n]];
            if nd.purchase > 0.0 {
                self.bought[n] += nd.purchase;
                self.bought_usd[n] += nd.purchase * price * 1000.0;
            }
            let held = st.stocks.strategic[n];
            if held > 0.0 {
                self.held[n] += held;
                self.held_usd[n] += held * self.price0[n] * 1000.0 * self.holding_rate / 365.0;
            }
            self.released[n] += nd.release;
            if nd.recycled > 0.0 {
                let opex = self.recycle_cost[n].1;
                self.recycled[n] += nd.recycled;
                self.recycled_usd[n] += nd.recycled * (opex - price).max(0.0) * 1000.0;
                self.recycled_peak[n] = self.recycled_peak[n].max(nd.recycled);
            }
            self.thrifted[n] += nd.thrifted;
        }
        for (l, rule) in st.policy.rules.links.iter().enumerate() {
            let shipped = st.today.shipped[l];
            if rule.forgone != 0.0 && shipped > 0.0 {
                let seller = st.market.price[net.price_of[net.seller_node[l]]];
                self.exempt_shipped[l] += shipped;
                self.forgone[l] += rule.forgone * seller * shipped * 1000.0;
            }
        }
        // The day just run: the engine's day has moved on.
        let day = st.day.saturating_sub(1);
        let (world, controls) = (&engine.scenario.world, engine.controls());
        for (c, days) in self.uplifts.iter().zip(&mut self.uplift_days) {
            let on = controls
                .uplifts
                .iter()
                .any(|u| u.active(day) && u.uplift.covers(world, c.exporter, c.destination));
            if on {
                *days += 1;
            }
        }
        for (t, v) in self.topup.iter_mut().zip(engine.offtake_topups()) {
            *t += v;
        }
        let facilities = &engine.scenario.world.facilities;
        for (f, fac) in facilities.iter().enumerate() {
            let up = st.plants.capacity[f] - fac.capacity;
            if up > self.added[f] {
                self.added[f] = up;
            }
        }
        for (n, _) in &self.lost_nodes {
            self.lost[*n] += st.today.nodes[*n].unmet;
        }
    }

    /// The rows with a non-zero amount, in [`CostReport`] order.
    pub fn report(&self, engine: &Engine) -> CostReport {
        let (world, net) = (&engine.scenario.world, &engine.net);
        let ids = |n: usize| {
            (
                RegionId((n / net.np) as u32),
                ProductId((n % net.np) as u32),
            )
        };
        let mut rows = Vec::new();
        let mut row = |lever, n: usize, units: f64, usd: f64| {
            if units != 0.0 || usd != 0.0 {
                let (region, product) = ids(n);
                rows.push(CostRow {
                    lever,
                    region,
                    partner: None,
                    product: Some(product),
                    end_use: None,
                    units,
                    usd,
                });
            }
        };
        for n in 0..self.bought.len() {
            row(
                Lever::StockpilePurchase,
                n,
                self.bought[n],
                self.bought_usd[n],
            );
            row(Lever::StockpileHolding, n, self.held[n], self.held_usd[n]);
            row(Lever::StockpileRelease, n, self.released[n], 0.0);
        }
        for (l, link) in world.links.iter().enumerate() {
            if self.topup[l] > 0.0 {
                rows.push(CostRow {
                    lever: Lever::OfftakeFloor,
                    region: link.to,
                    partner: Some(link.from),
                    product: Some(link.product),
                    end_use: None,
                    units: 0.0,
                    usd: self.topup[l],
                });
            }
        }
        for (f, fac) in world.facilities.iter().enumerate() {
            if self.added[f] > 0.0 {
                let per_year = self.added[f] * 365.0;
                rows.push(CostRow {
                    lever: Lever::BuildOut,
                    region: fac.region,
                    partner: None,
                    product: Some(fac.product),
                    end_use: None,
                    units: per_year,
                    usd: per_year * 1000.0 * self.capex[f],
                });
            }
        }
        self.report_levers(engine, &mut rows);
        for (n, shares) in &self.lost_nodes {
            let (region, product) = ids(*n);
            for &(e, share, value) in shares {
                let units = self.lost[*n] * share;
                if units > 0.0 {
                    rows.push(CostRow {
                        lever: Lever::OutputLost,
                        region,
                        partner: None,
                        product: Some(product),
                        end_use: Some(net.end_uses[e].clone()),
                        units,
                        usd: units * value * 1000.0,
                    });
                }
            }
        }
        rows.sort_by(|a, b| {
            (a.lever, a.region, a.partner, a.product, &a.end_use)
                .cmp(&(b.lever, b.region, b.partner, b.product, &b.end_use))
        });
        CostReport { rows }
    }
}

impl Ledger {
    /// The rows of recycling, thrifting, tariff exemptions and approval uplifts.
    fn report_levers(&self, engine: &Engine, rows: &mut Vec<CostRow>) {
        let (world, net) = (&engine.scenario.world, &engine.net);
        let mut push = |lever, region, partner, product, units: f64, usd: f64| {
            rows.push(CostRow {
                lever,
                region,
                partner,
                product,
                end_use: None,
                units,
                usd,
            });
        };
        for n in 0..self.recycled.len() {
            let (region, product) = (
                RegionId((n / net.np) as u32),
                Some(ProductId((n % net.np) as u32)),
            );
            if self.recycled[n] > 0.0 {
                let capex = self.recycle_cost[n].0 * self.recycled_peak[n] * 365.0 * 1000.0;
                let usd = self.recycled_usd[n] + capex;
                push(
                    Lever::Recycling,
                    region,
                    None,
                    product,
                    self.recycled[n],
                    usd,
                );
            }
            if self.thrifted[n] > 0.0 {
                let (per_kg, redesign) = self.thrift_cost[n];
                let usd = self.thrifted[n] * per_kg * 1000.0 + redesign;
                push(
                    Lever::Thrifting,
                    region,
                    None,
                    product,
                    self.thrifted[n],
                    usd,
                );
            }
        }
        for (l, link) in world.links.iter().enumerate() {
            if self.exempt_shipped[l] > 0.0 {
                let (units, usd) = (self.exempt_shipped[l], self.forgone[l]);
                let product = Some(link.product);
                push(
                    Lever::TariffExemption,
                    link.to,
                    Some(link.from),
                    product,
                    units,
                    usd,
                );
            }
        }
        for (c, &days) in self.uplifts.iter().zip(&self.uplift_days) {
            if days > 0 {
                let usd = c.usd_per_year * f64::from(days) / 365.0 + c.one_off_usd;
                let units = f64::from(days);
                push(
                    Lever::ApprovalUplift,
                    c.destination,
                    Some(c.exporter),
                    None,
                    units,
                    usd,
                );
            }
        }
    }
}

/// [`crate::engine::simulate`] with the run priced: the same summary and records, and the
/// [`CostReport`] of the reported days.
pub fn simulate_costed(
    scenario: &Scenario,
    costs: &Costs,
    seed: u64,
    sink: &mut dyn Sink,
) -> (RunSummary, CostReport) {
    let mut engine = Engine::new(scenario, seed, 0);
    let mut ledger = Ledger::new(&engine, costs);
    let from: Day = scenario.settings.report_from;
    while !engine.finished() {
        let day = engine.state.day;
        engine.step(sink);
        if day >= from {
            ledger.observe(&engine);
        }
    }
    let report = ledger.report(&engine);
    (engine.finish(sink), report)
}
