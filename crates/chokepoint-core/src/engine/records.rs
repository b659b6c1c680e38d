//! Step 10, records: the run's totals per node are accumulated (shortfall, price peak, and with
//! records the total need, first stockout and lowest stock), and when the sink wants them the
//! day's [`Record`]s are emitted in a fixed order (variable, then region, partner, product; see
//! `docs/outputs.md`). At the end of a run [`Engine::finish`] emits the licence table and
//! returns the [`RunSummary`]; [`Engine::node_totals`] gives Monte Carlo the two totals it reads
//! without a pass over every licence.

use super::state::Engine;
use crate::model::{ProductId, RegionId};
use crate::record::{LicenceOutcome, LicenceRecord, Record, Sink, Variable};
use crate::summary::{NodeEnd, RegionTotal, RunSummary, SummaryRow};

/// Headline totals of one node so far ([`Engine::node_totals`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeTotals {
    pub shortfall: f64,
    pub price_peak: f64,
    /// Need (final demand plus inputs) over the reported days so far, units.
    pub need: f64,
}

impl<'a> Engine<'a> {
    /// Accumulates the day into the run's totals and emits its records when `sink` wants them;
    /// the days of a spin-up count in neither.
    pub(super) fn record(&mut self, sink: &mut dyn Sink) {
        if self.state.day < self.scenario.settings.report_from {
            return;
        }
        self.accumulate_summary();
        if self.state.draws.records {
            self.accumulate_routes();
        }
        if sink.wants_records() {
            assert!(
                self.state.draws.records,
                "an engine without records cannot emit them"
            );
            self.emit(sink);
        }
    }

    fn accumulate_summary(&mut self) {
        let st = &mut self.state;
        let (day, records) = (st.day, st.draws.records);
        let r = &mut st.records;
        for &n in &self.net.lists.active {
            let nd = &st.today.nodes[n];
            r.sum_unmet[n] += nd.unmet;
            // Monte Carlo's stockpile sizing reads the need too (`node_totals`).
            r.sum_need[n] += nd.need;
            if records {
                if nd.runs_short() && r.first_stockout[n].is_none() {
                    r.first_stockout[n] = Some(day);
                }
                let stock = st.stocks.stock[n];
                if stock < r.min_stock[n] {
                    r.min_stock[n] = stock;
                }
            }
            let price = st.market.price[self.net.price_of[n]];
            if price > r.peak_price[n].0 {
                r.peak_price[n] = (price, day);
            }
        }
    }

    fn emit(&self, sink: &mut dyn Sink) {
        let day = self.state.day;
        let mut rec = |region, partner, product, variable, value| {
            sink.record(&Record {
                day,
                region,
                partner,
                product,
                variable,
                value,
            })
        };
        for v in Variable::ALL {
            match v {
                Variable::Production => self.emit_production(&mut rec),
                Variable::Shipments | Variable::Arrivals | Variable::LandedCost => {
                    self.emit_flows(v, &mut rec)
                }
                Variable::Inventory
                | Variable::DaysOfCover
                | Variable::Consumption
                | Variable::UnmetDemand
                | Variable::Price
                | Variable::Stockpile => self.emit_node(v, &mut rec),
                Variable::LicencesApplied
                | Variable::LicencesApproved
                | Variable::LicencesDenied
                | Variable::LicencesPending => self.emit_licence_counts(v, &mut rec),
                Variable::OfftakeTopUp => self.emit_topups(&mut rec),
                Variable::ShipmentsOfOrigin(_) => {}
            }
        }
        // After every other variable: their order in the file is unchanged.
        self.emit_origin_shipments(&mut rec);
    }

    fn node_ids(&self, n: usize) -> (RegionId, ProductId) {
        let np = self.net.np;
        (RegionId((n / np) as u32), ProductId((n % np) as u32))
    }

    fn emit_production(
        &self,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        for n in 0..self.net.nr * self.net.np {
            if self.net.facility_of[n].is_some() {
                let (r, p) = self.node_ids(n);
                rec(
                    r,
                    None,
                    p,
                    Variable::Production,
                    self.state.today.nodes[n].production,
                );
            }
        }
    }

    /// Shipments (region = exporter), arrivals and landed cost (region = importer) per link.
    fn emit_flows(
        &self,
        v: Variable,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        let st = &self.state;
        for (l, link) in self.scenario.world.links.iter().enumerate() {
            let value = match v {
                Variable::Shipments => st.today.shipped[l],
                Variable::Arrivals => st.records.arrived[l],
                _ => {
                    if link.from == link.to {
                        continue;
                    }
                    let segment = self.net.price_of[self.net.node(link.from, link.product)];
                    st.market.price[segment] * (1.0 + st.policy.rules.links[l].tariff)
                }
            };
            let (region, partner) = match v {
                Variable::Shipments => (link.from, link.to),
                _ => (link.to, link.from),
            };
            rec(region, Some(partner), link.product, v, value);
        }
    }

    fn emit_node(
        &self,
        v: Variable,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        let st = &self.state;
        let world = &self.scenario.world;
        for n in 0..self.net.nr * self.net.np {
            if !self.net.active[n] {
                continue;
            }
            let (r, p) = self.node_ids(n);
            let value = match v {
                Variable::Inventory => st.stocks.stock[n],
                Variable::DaysOfCover => {
                    if self.net.need0[n] <= 0.0 {
                        continue;
                    }
                    self.cover(n, st.stocks.stock[n])
                }
                Variable::Consumption => st.today.nodes[n].consumption,
                Variable::UnmetDemand => st.today.nodes[n].unmet,
                Variable::Price => st.market.price[self.net.price_of[self.net.node(r, p)]],
                _ => {
                    if st.stocks.strategic[n] <= 0.0
                        && !world
                            .stockpiles
                            .iter()
                            .any(|s| self.net.node(s.region, s.product) == n)
                    {
                        continue;
                    }
                    st.stocks.strategic[n]
                }
            };
            rec(r, None, p, v, value);
        }
    }

    fn emit_licence_counts(
        &self,
        v: Variable,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        let r = &self.state.records;
        for (l, link) in self.scenario.world.links.iter().enumerate() {
            if !r.seen[l] {
                continue;
            }
            let value = match v {
                Variable::LicencesApplied => r.applied[l],
                Variable::LicencesApproved => r.approved[l],
                Variable::LicencesDenied => r.denied[l],
                _ => r.pending[l],
            };
            rec(link.from, Some(link.to), link.product, v, value as f64);
        }
    }

    fn emit_topups(
        &self,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        let topup = &self.state.records.topup;
        for (l, link) in self.scenario.world.links.iter().enumerate() {
            if topup[l] > 0.0 {
                let v = Variable::OfftakeTopUp;
                rec(link.to, Some(link.from), link.product, v, topup[l]);
            }
        }
    }

    /// Emits the licence table and returns the run summary.
    pub fn finish(&self, sink: &mut dyn Sink) -> RunSummary {
        assert!(
            self.state.draws.records,
            "an engine without records cannot finish a run summary"
        );
        let st = &self.state;
        if sink.wants_licences() {
            for idx in 0..st.licences.filed.len() {
                sink.licence(&self.licence_record(idx));
            }
        }
        let np = self.net.np;
        let nn = self.net.nr * np;
        // Licence counts and waits per importing node in one pass over the licences (world
        // scenarios file thousands); waits are summed in filing order.
        let mut applied = vec![0u64; nn];
        let mut by_outcome = vec![[0u64; 3]; nn];
        let mut wait_sum = vec![0.0f64; nn];
        let mut wait_n = vec![0usize; nn];
        for l in &st.licences.filed {
            let link = &self.scenario.world.links[l.link];
            let n = self.net.node(link.to, link.product);
            applied[n] += 1;
            let k = match l.outcome {
                LicenceOutcome::Approved => 0,
                LicenceOutcome::Denied => 1,
                LicenceOutcome::Pending => 2,
            };
            by_outcome[n][k] += 1;
            if l.outcome != LicenceOutcome::Pending {
                wait_sum[n] += (l.decide - l.filed) as f64;
                wait_n[n] += 1;
            }
        }
        // Days of cover as reported: 0 where there is no baseline need.
        let reported_cover = |n: usize, stock: f64| {
            let c = self.cover(n, stock);
            if c.is_finite() { c } else { 0.0 }
        };
        let r = &st.records;
        let mut rows = Vec::new();
        for n in 0..nn {
            if !self.net.active[n] {
                continue;
            }
            let (region, product) = self.node_ids(n);
            rows.push(SummaryRow {
                region,
                product,
                need_total: r.sum_need[n],
                shortfall: r.sum_unmet[n],
                first_stockout: r.first_stockout[n],
                min_days_of_cover: reported_cover(n, r.min_stock[n]),
                final_days_of_cover: reported_cover(n, st.stocks.stock[n]),
                price_peak: r.peak_price[n].0,
                price_peak_day: r.peak_price[n].1,
                licences_applied: applied[n],
                licences_approved: by_outcome[n][0],
                licences_denied: by_outcome[n][1],
                licences_pending: by_outcome[n][2],
                mean_wait_days: if wait_n[n] == 0 {
                    None
                } else {
                    Some(wait_sum[n] / wait_n[n] as f64)
                },
            });
        }
        if self
            .scenario
            .world
            .regions
            .iter()
            .any(|r| r.parent.is_some())
        {
            self.add_region_rows(&mut rows, &wait_sum, &wait_n);
        }
        RunSummary {
            days: st.day.saturating_sub(self.scenario.settings.report_from),
            seed: self.seed,
            rows,
            origins: self.traced_origins().to_vec(),
            routes: self.route_rows(),
        }
    }

    /// Puts in `rows` (one per active node, in node order) the row of each region with buyer
    /// cohorts for each product: its own node and its cohorts' summed ([`RegionTotal`]), in
    /// place of the region's own row; rows stay sorted by region, then product.
    fn add_region_rows(&self, rows: &mut Vec<SummaryRow>, wait_sum: &[f64], wait_n: &[usize]) {
        let world = &self.scenario.world;
        let mut with_cohorts = vec![false; self.net.nr];
        for r in &world.regions {
            if let Some(parent) = r.parent {
                with_cohorts[parent.ix()] = true;
            }
        }
        let mut totals: Vec<RegionTotal> = Vec::new();
        for row in rows.iter() {
            let home = world.home(row.region);
            if !with_cohorts[home.ix()] {
                continue;
            }
            let n = self.net.node(row.region, row.product);
            let at = totals
                .iter()
                .position(|t| t.row.region == home && t.row.product == row.product)
                .unwrap_or_else(|| {
                    totals.push(RegionTotal::new(home, row.product));
                    totals.len() - 1
                });
            let node = NodeEnd {
                final_stock: self.state.stocks.stock[n],
                need0: self.net.need0[n],
                wait_sum: wait_sum[n],
                decided: wait_n[n],
            };
            totals[at].add(row, &node);
        }
        rows.retain(|row| !with_cohorts[row.region.ix()]);
        rows.extend(totals.into_iter().map(RegionTotal::finish));
        rows.sort_by_key(|row| (row.region, row.product));
    }

    /// Licence applications awaiting a decision per link at the end of the day (kept with or
    /// without records: Monte Carlo bands read them as licence queues).
    pub fn licences_pending(&self) -> &[u32] {
        &self.state.records.pending
    }

    /// Licence applications filed, approved and denied today, per link (the counts
    /// `licences_applied`, `_approved` and `_denied` record).
    pub fn licence_counts(&self) -> [&[u32]; 3] {
        let r = &self.state.records;
        [&r.applied, &r.approved, &r.denied]
    }

    /// Shortfall and price peak of node (`r`, `p`) so far, as [`Engine::finish`] reports them,
    /// without its pass over every licence (Monte Carlo reads these for every path); `None`
    /// for a node that `finish` leaves out (no facility, demand or link).
    pub fn node_totals(&self, r: RegionId, p: ProductId) -> Option<NodeTotals> {
        let n = self.net.node(r, p);
        let totals = &self.state.records;
        self.net.active[n].then(|| NodeTotals {
            shortfall: totals.sum_unmet[n],
            price_peak: totals.peak_price[n].0,
            need: totals.sum_need[n],
        })
    }

    /// Offtake top-ups paid today, USD per link (kept only by an engine with records).
    /// The controls declared for the run (licensing regimes, quotas, thrifting levers,
    /// approval uplifts).
    pub fn controls(&self) -> &crate::event::Controls<'a> {
        &self.controls
    }

    pub fn offtake_topups(&self) -> &[f64] {
        &self.state.records.topup
    }

    /// The licence table's row for licence `idx` as it stands now.
    fn licence_record(&self, idx: usize) -> LicenceRecord {
        let lic = &self.state.licences.filed[idx];
        let link = &self.scenario.world.links[lic.link];
        LicenceRecord {
            id: idx as u64 + 1,
            exporter: link.from,
            importer: link.to,
            product: link.product,
            quantity: lic.quantity,
            end_use: self.net.end_use_name(lic.end_use).to_string(),
            filed: lic.filed,
            // A pending licence's decision day is drawn but not yet known to anyone.
            decided: (lic.outcome != LicenceOutcome::Pending).then_some(lic.decide),
            outcome: lic.outcome,
            shipped: lic.shipped,
        }
    }

    /// Licences filed so far, as they stand today.
    pub fn licences(&self) -> impl Iterator<Item = LicenceRecord> {
        assert!(
            self.state.draws.records,
            "an engine without records does not track licences"
        );
        (0..self.state.licences.filed.len()).map(|idx| self.licence_record(idx))
    }
}
