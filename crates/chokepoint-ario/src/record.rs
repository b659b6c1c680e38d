//! What one step emits: [`StepView`] (borrowed vectors, no copies), the [`Sink`] trait that
//! receives it, [`Variable`] (the names BoARIO records, used as the `variable` column), the
//! in-memory [`Trajectories`] sink and the streaming tidy [`CsvSink`]
//! (`step,region,sector,variable,value`).

use std::io::Write;

/// A recorded variable. Names follow BoARIO's record names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variable {
    /// Realised production `x(t)` per industry (daily, MRIO units).
    ProductionRealised,
    /// Production capacity `x̄(t) = X0·(1 − Δ)·α`.
    ProductionCapacity,
    /// Overproduction factor `α(t)`.
    Overproduction,
    /// Final demand addressed to the industry (row sum of Y0).
    FinalDemand,
    /// Intermediate demand (orders received) per supplying industry.
    IntermediateDemand,
    /// Rebuilding demand addressed to the industry.
    RebuildDemand,
    /// Production delivered to rebuilding.
    RebuildProd,
    /// Final demand not met, indexed by (consumer region, product) as in BoARIO 0.7.2.
    FinalDemandUnmet,
    /// Final demand not delivered, per supplying industry.
    FinalDemandUndist,
    /// Productive capital still destroyed (NaN in compat mode while an arbitrary event is
    /// active, as BoARIO 0.7.2 records it).
    ProductiveCapitalToRecover,
    /// Value added as BoARIO records it: production minus inputs ordered.
    ValueAdded,
}

impl Variable {
    pub const ALL: [Variable; 11] = [
        Variable::ProductionRealised,
        Variable::ProductionCapacity,
        Variable::Overproduction,
        Variable::FinalDemand,
        Variable::IntermediateDemand,
        Variable::RebuildDemand,
        Variable::RebuildProd,
        Variable::FinalDemandUnmet,
        Variable::FinalDemandUndist,
        Variable::ProductiveCapitalToRecover,
        Variable::ValueAdded,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variable::ProductionRealised => "production_realised",
            Variable::ProductionCapacity => "production_capacity",
            Variable::Overproduction => "overproduction",
            Variable::FinalDemand => "final_demand",
            Variable::IntermediateDemand => "intermediate_demand",
            Variable::RebuildDemand => "rebuild_demand",
            Variable::RebuildProd => "rebuild_prod",
            Variable::FinalDemandUnmet => "final_demand_unmet",
            Variable::FinalDemandUndist => "final_demand_undist",
            Variable::ProductiveCapitalToRecover => "productive_capital_to_recover",
            Variable::ValueAdded => "value_added",
        }
    }

    pub fn from_name(s: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// Borrowed state of one step, valid only during [`Sink::record`]. Industry vectors have
/// length `n = R·S` in region-major order.
#[derive(Debug)]
pub struct StepView<'a> {
    pub step: usize,
    pub regions: &'a [String],
    pub sectors: &'a [String],
    pub production: &'a [f64],
    pub capacity: &'a [f64],
    pub overproduction: &'a [f64],
    pub final_demand: &'a [f64],
    pub intermediate_demand: &'a [f64],
    pub rebuild_demand: &'a [f64],
    pub rebuild_prod: &'a [f64],
    pub final_demand_unmet: &'a [f64],
    pub final_demand_undist: &'a [f64],
    /// `None` when BoARIO 0.7.2 records NaN (compat mode, arbitrary event active).
    pub productive_capital_lost: Option<&'a [f64]>,
    pub value_added: &'a [f64],
    /// Inventories `Ω` (S × n, row = input product) at the start of the step, when requested.
    pub stocks: Option<&'a [f64]>,
    /// Limiting-input flags (S × n), when requested.
    pub limiting: Option<&'a [bool]>,
}

impl StepView<'_> {
    /// The vector of one variable (`None` for NaN-recorded capital).
    pub fn get(&self, v: Variable) -> Option<&[f64]> {
        Some(match v {
            Variable::ProductionRealised => self.production,
            Variable::ProductionCapacity => self.capacity,
            Variable::Overproduction => self.overproduction,
            Variable::FinalDemand => self.final_demand,
            Variable::IntermediateDemand => self.intermediate_demand,
            Variable::RebuildDemand => self.rebuild_demand,
            Variable::RebuildProd => self.rebuild_prod,
            Variable::FinalDemandUnmet => self.final_demand_unmet,
            Variable::FinalDemandUndist => self.final_demand_undist,
            Variable::ProductiveCapitalToRecover => return self.productive_capital_lost,
            Variable::ValueAdded => self.value_added,
        })
    }
}

/// Receives every step. Errors abort the run.
pub trait Sink {
    fn record(
        &mut self,
        view: &StepView<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// Discards everything (timing runs).
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn record(&mut self, _: &StepView<'_>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

/// Keeps chosen variables in memory: `data[v][step * n + i]` (NaN where not recorded), plus
/// inventories when asked.
#[derive(Debug, Default)]
pub struct Trajectories {
    pub variables: Vec<Variable>,
    pub data: Vec<Vec<f64>>,
    pub steps: usize,
    pub keep_stocks: bool,
    pub stocks: Vec<f64>,
}

impl Trajectories {
    pub fn new(variables: &[Variable]) -> Self {
        Trajectories {
            variables: variables.to_vec(),
            data: vec![Vec::new(); variables.len()],
            ..Default::default()
        }
    }
    pub fn with_stocks(mut self) -> Self {
        self.keep_stocks = true;
        self
    }
    pub fn series(&self, v: Variable) -> Option<&[f64]> {
        let k = self.variables.iter().position(|x| *x == v)?;
        Some(&self.data[k])
    }
}

impl Sink for Trajectories {
    fn record(
        &mut self,
        view: &StepView<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        for (k, v) in self.variables.iter().enumerate() {
            match view.get(*v) {
                Some(x) => self.data[k].extend_from_slice(x),
                None => self.data[k].extend(std::iter::repeat_n(f64::NAN, view.production.len())),
            }
        }
        if let (true, Some(s)) = (self.keep_stocks, view.stocks) {
            self.stocks.extend_from_slice(s);
        }
        self.steps += 1;
        Ok(())
    }
}

/// Streams tidy rows `step,region,sector,variable,value` (shortest round-trip floats).
pub struct CsvSink<W: Write> {
    out: W,
    variables: Vec<Variable>,
    header_done: bool,
    /// Quoted region and sector names (set on the first step).
    names: Option<(Vec<String>, Vec<String>)>,
}

/// A CSV field, quoted when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W, variables: &[Variable]) -> Self {
        CsvSink {
            out,
            variables: variables.to_vec(),
            header_done: false,
            names: None,
        }
    }
    pub fn finish(mut self) -> std::io::Result<W> {
        if !self.header_done {
            writeln!(self.out, "step,region,sector,variable,value")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn record(
        &mut self,
        view: &StepView<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if !self.header_done {
            writeln!(self.out, "step,region,sector,variable,value")?;
            self.header_done = true;
        }
        let s_n = view.sectors.len();
        let (regions, sectors) = self.names.get_or_insert_with(|| {
            (
                view.regions.iter().map(|s| csv_field(s)).collect(),
                view.sectors.iter().map(|s| csv_field(s)).collect(),
            )
        });
        for v in &self.variables {
            let vals = view.get(*v);
            for i in 0..view.production.len() {
                let x = vals.map_or(f64::NAN, |x| x[i]);
                writeln!(
                    self.out,
                    "{},{},{},{},{}",
                    view.step,
                    regions[i / s_n],
                    sectors[i % s_n],
                    v.name(),
                    x
                )?;
            }
        }
        Ok(())
    }
}
