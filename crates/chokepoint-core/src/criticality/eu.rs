//! The EU supply-risk indicator (Blengini et al. 2017, the method of the 2017, 2020 and 2023
//! assessments) and its published inputs for the rare earths. [`EuInputs::parse`] reads the
//! tables of `data/criticality-eu-2023/` ([`FILES`]: [`SupplyShare`]s by material, stage and
//! scope, [`Parameter`]s such as import reliance, scaled governance per country, groups, sources)
//! into typed values, each number [`Cited`]; [`supply_risk`] is the formula on its
//! [`SupplyRiskTerms`], and [`EuInputs::material_risk`] assembles the terms per [`EuStage`] and
//! takes the larger stage, as the 2023 assessment does ([`MaterialRisk`]).

use super::concentration::{WeightedShare, hhi_wgi};
use super::table::{InputError, Place, Problem, Row, Table};
use crate::model::{Confidence, Source};

/// The files of an EU inputs folder, in reading order.
pub const FILES: [&str; 5] = [
    "sources.csv",
    "governance.csv",
    "supply-shares.csv",
    "parameters.csv",
    "groups.csv",
];

/// Stage of the EU assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EuStage {
    Extraction,
    Processing,
}

impl EuStage {
    pub const ALL: [(&'static str, EuStage); 2] = [
        ("extraction", EuStage::Extraction),
        ("processing", EuStage::Processing),
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EuStage::Extraction => "extraction",
            EuStage::Processing => "processing",
        }
    }
}

/// Whose supply a share describes: world production or what the EU sources (EU production and
/// imports by origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Global,
    EuSourcing,
}

/// A number with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cited {
    pub value: f64,
    pub source: String,
    pub confidence: Confidence,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupplyShare {
    /// Element symbol (`Nd`) or group (`HREE`).
    pub material: String,
    pub stage: EuStage,
    pub scope: Scope,
    /// ISO 3166-1 alpha-3.
    pub country: String,
    /// Fraction of supply.
    pub share: Cited,
    /// Trade variable t.
    pub t: f64,
}

/// The named numbers of `parameters.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamName {
    /// Import reliance IR, a fraction.
    ImportReliance,
    /// End-of-life recycling input rate, a fraction.
    EolRir,
    /// Substitution index for supply risk (0-1).
    SiSr,
    /// Published supply risk of the assessment.
    SrPublished,
    /// Published economic importance.
    EiPublished,
    SrPublished2020,
    EiPublished2020,
}

impl ParamName {
    pub const ALL: [(&'static str, ParamName); 7] = [
        ("ir", ParamName::ImportReliance),
        ("eol-rir", ParamName::EolRir),
        ("si-sr", ParamName::SiSr),
        ("sr-published", ParamName::SrPublished),
        ("ei-published", ParamName::EiPublished),
        ("sr-published-2020", ParamName::SrPublished2020),
        ("ei-published-2020", ParamName::EiPublished2020),
    ];
    pub fn as_str(self) -> &'static str {
        ParamName::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(n, _)| n)
    }
    /// The range a value may take: fractions for IR and EOL-RIR, the 0-10 scale of SR and EI.
    fn range(self) -> (f64, f64) {
        match self {
            ParamName::ImportReliance | ParamName::EolRir | ParamName::SiSr => (0.0, 1.0),
            _ => (0.0, 10.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub material: String,
    /// `None` for a number of every stage (`all`).
    pub stage: Option<EuStage>,
    pub name: ParamName,
    pub value: Cited,
}

/// Everything read from an EU inputs folder.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EuInputs {
    pub sources: Vec<Source>,
    pub shares: Vec<SupplyShare>,
    pub parameters: Vec<Parameter>,
    /// Scaled WGI (0-10, 10 = poorest governance) per ISO3 country.
    pub governance: Vec<(String, Cited)>,
    /// (group, material) in file order.
    pub groups: Vec<(String, String)>,
}

/// An input of the formula that the data does not give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MissingInput {
    #[error("no {scope} shares of {material} at {stage}")]
    Shares {
        material: String,
        stage: &'static str,
        scope: &'static str,
    },
    #[error("no `{name}` for {material} at {stage}")]
    Parameter {
        material: String,
        stage: &'static str,
        name: &'static str,
    },
    #[error("no governance score for {country}")]
    Governance { country: String },
}

/// The terms of the supply-risk formula for one material at one stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupplyRiskTerms {
    /// HHI_WGI,t of global supply.
    pub hhi_wgi_global: f64,
    /// HHI_WGI,t of the assessed region's sourcing (the EU's in the EU method).
    pub hhi_wgi_sourcing: f64,
    /// Import reliance IR, a fraction.
    pub import_reliance: f64,
    pub eol_rir: f64,
    pub si_sr: f64,
}

/// The EU supply risk (Blengini et al. 2017, eq. 2):
///
/// ```text
/// SR = [ (HHI_WGI,t)_GS · IR/2 + (HHI_WGI,t)_EU · (1 − IR/2) ] · (1 − EOL_RIR) · SI_SR
/// ```
///
/// GS: global supply; EU: EU sourcing (domestic production and imports by origin). The weights
/// move from the sourcing mix (IR = 0) to an even blend of both (IR = 1): a region that imports
/// all it uses is exposed to the world's concentration as much as to its own suppliers'.
pub fn supply_risk(t: &SupplyRiskTerms) -> f64 {
    let blend = t.hhi_wgi_global * t.import_reliance / 2.0
        + t.hhi_wgi_sourcing * (1.0 - t.import_reliance / 2.0);
    blend * (1.0 - t.eol_rir) * t.si_sr
}

/// The supply risk of one material at one stage, with its terms.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRisk {
    pub stage: EuStage,
    pub terms: SupplyRiskTerms,
    pub sr: f64,
}

/// The supply risk of one material: per stage, and the larger of them.
#[derive(Debug, Clone, PartialEq)]
pub struct MaterialRisk {
    pub material: String,
    pub stages: Vec<StageRisk>,
}

impl MaterialRisk {
    /// The stage with the highest supply risk (the first on ties): the 2023 method reports the
    /// bottleneck stage's value.
    pub fn max(&self) -> Option<&StageRisk> {
        self.stages
            .iter()
            .fold(None, |best: Option<&StageRisk>, s| match best {
                Some(b) if b.sr >= s.sr => Some(b),
                _ => Some(s),
            })
    }
}

fn cited(row: &Row, column: &str, min: f64, max: f64) -> Result<Cited, InputError> {
    Ok(Cited {
        value: row.number(column, min, max)?,
        source: row.code("source")?,
        confidence: row.confidence()?,
        note: row.text("note"),
    })
}

/// Reads the tables, collecting every problem of every row.
fn read_rows<T>(
    files: &[(&str, &str)],
    name: &str,
    columns: &[&str],
    errors: &mut Vec<InputError>,
    mut row: impl FnMut(&Row) -> Result<T, InputError>,
) -> Vec<T> {
    let Some((path, text)) = files.iter().find(|(p, _)| p.ends_with(name)) else {
        errors.push(InputError {
            file: name.to_string(),
            line: 1,
            column: 1,
            problem: Problem::Inconsistent(format!("the inputs have no {name}")),
        });
        return Vec::new();
    };
    match Table::read(path, text, columns) {
        Ok(table) => table
            .rows()
            .filter_map(|r| row(&r).map_err(|e| errors.push(e)).ok())
            .collect(),
        Err(e) => {
            errors.extend(e);
            Vec::new()
        }
    }
}

impl EuInputs {
    /// Parses the [`FILES`] (each found by the end of its path) and checks them: every source
    /// cited exists, every country with a share has a governance score, and the shares of one
    /// (material, stage, scope) sum to at most 1 (± the rounding of the published percentages).
    pub fn parse(files: &[(&str, &str)]) -> Result<EuInputs, Vec<InputError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let sources = read_rows(files, "sources.csv", &["id", "title", "url"], e, |r| {
            Ok(Source {
                id: r.code("id")?,
                title: r.code("title")?,
                url: r.code("url")?,
            })
        });
        let cols = ["country", "wgi_scaled", "source", "confidence", "note"];
        let governance = read_rows(files, "governance.csv", &cols, e, |r| {
            Ok((r.code("country")?, cited(r, "wgi_scaled", 0.0, 10.0)?))
        });
        let cols = [
            "material",
            "stage",
            "scope",
            "country",
            "share",
            "t",
            "source",
            "confidence",
            "note",
        ];
        let scopes = [
            ("global", Scope::Global),
            ("eu-sourcing", Scope::EuSourcing),
        ];
        let mut share_rows = Vec::new();
        let shares = read_rows(files, "supply-shares.csv", &cols, e, |r| {
            let s = SupplyShare {
                material: r.code("material")?,
                stage: r.one_of("stage", &EuStage::ALL)?,
                scope: r.one_of("scope", &scopes)?,
                country: r.code("country")?,
                share: cited(r, "share", 0.0, 1.0)?,
                t: r.number("t", 0.0, 3.0)?,
            };
            share_rows.push(r.place("country"));
            Ok(s)
        });
        let cols = [
            "material",
            "stage",
            "parameter",
            "value",
            "source",
            "confidence",
            "note",
        ];
        let stages = [
            ("all", None),
            ("extraction", Some(EuStage::Extraction)),
            ("processing", Some(EuStage::Processing)),
        ];
        let mut param_rows = Vec::new();
        let parameters = read_rows(files, "parameters.csv", &cols, e, |r| {
            let name = r.one_of("parameter", &ParamName::ALL)?;
            let (min, max) = name.range();
            let p = Parameter {
                material: r.code("material")?,
                stage: r.one_of("stage", &stages)?,
                name,
                value: cited(r, "value", min, max)?,
            };
            param_rows.push(r.place("source"));
            Ok(p)
        });
        let cols = ["group", "material", "source", "confidence", "note"];
        let groups = read_rows(files, "groups.csv", &cols, e, |r| {
            r.confidence()?;
            Ok((r.code("group")?, r.code("material")?))
        });
        let inputs = EuInputs {
            sources,
            shares,
            parameters,
            governance,
            groups,
        };
        inputs.check(&share_rows, &param_rows, &mut errors);
        if errors.is_empty() {
            Ok(inputs)
        } else {
            Err(errors)
        }
    }

    /// Cross-table checks; `share_rows` and `param_rows` say where each row is written.
    fn check(&self, share_rows: &[Place], param_rows: &[Place], errors: &mut Vec<InputError>) {
        let known = |id: &str| self.sources.iter().any(|s| s.id == id);
        for (share, at) in self.shares.iter().zip(share_rows) {
            let mut push = |problem| errors.push(at.error(problem));
            if !known(&share.share.source) {
                push(Problem::UnknownSource(share.share.source.clone()));
            }
            if self.wgi(&share.country).is_none() {
                push(Problem::Inconsistent(format!(
                    "{} has no governance score in governance.csv",
                    share.country
                )));
            }
        }
        for (i, share) in self.shares.iter().enumerate() {
            let first = self.shares[..i].iter().all(|s| {
                (&s.material, s.stage, s.scope) != (&share.material, share.stage, share.scope)
            });
            let total: f64 = self
                .shares
                .iter()
                .filter(|s| {
                    (&s.material, s.stage, s.scope) == (&share.material, share.stage, share.scope)
                })
                .map(|s| s.share.value)
                .sum();
            // The published percentages are rounded to 0.1 or 1 point each.
            if first && total > 1.02 {
                errors.push(share_rows[i].error(Problem::Inconsistent(format!(
                    "shares of {} at {} sum to {total:.4}, above 1",
                    share.material,
                    share.stage.as_str()
                ))));
            }
        }
        for (p, at) in self.parameters.iter().zip(param_rows) {
            if !known(&p.value.source) {
                errors.push(at.error(Problem::UnknownSource(p.value.source.clone())));
            }
        }
    }

    /// Scaled WGI of `country`.
    pub fn wgi(&self, country: &str) -> Option<&Cited> {
        self.governance
            .iter()
            .find(|(c, _)| c == country)
            .map(|(_, v)| v)
    }

    /// A parameter of `material` at `stage`, or its all-stage value.
    pub fn parameter(
        &self,
        material: &str,
        stage: Option<EuStage>,
        name: ParamName,
    ) -> Option<&Parameter> {
        let of = |st: Option<EuStage>| {
            self.parameters
                .iter()
                .find(|p| p.material == material && p.stage == st && p.name == name)
        };
        of(stage).or_else(|| stage.and_then(|_| of(None)))
    }

    /// The shares of `material` at `stage` in `scope`, in file order.
    pub fn shares_of(&self, material: &str, stage: EuStage, scope: Scope) -> Vec<&SupplyShare> {
        self.shares
            .iter()
            .filter(|s| s.material == material && s.stage == stage && s.scope == scope)
            .collect()
    }

    /// HHI_WGI,t of `material` at `stage` in `scope`.
    pub fn hhi_wgi(
        &self,
        material: &str,
        stage: EuStage,
        scope: Scope,
    ) -> Result<f64, MissingInput> {
        let shares = self.shares_of(material, stage, scope);
        if shares.is_empty() {
            return Err(MissingInput::Shares {
                material: material.into(),
                stage: stage.as_str(),
                scope: match scope {
                    Scope::Global => "global",
                    Scope::EuSourcing => "eu-sourcing",
                },
            });
        }
        let weighted = shares
            .iter()
            .map(|s| {
                let wgi = self
                    .wgi(&s.country)
                    .ok_or_else(|| MissingInput::Governance {
                        country: s.country.clone(),
                    })?;
                Ok(WeightedShare {
                    share: s.share.value,
                    wgi_scaled: wgi.value,
                    t: s.t,
                })
            })
            .collect::<Result<Vec<_>, MissingInput>>()?;
        Ok(hhi_wgi(&weighted))
    }

    fn value(&self, material: &str, stage: EuStage, name: ParamName) -> Result<f64, MissingInput> {
        self.parameter(material, Some(stage), name)
            .map(|p| p.value.value)
            .ok_or(MissingInput::Parameter {
                material: material.into(),
                stage: stage.as_str(),
                name: name.as_str(),
            })
    }

    /// The terms and supply risk of `material` at `stage` from the published inputs.
    pub fn stage_risk(&self, material: &str, stage: EuStage) -> Result<StageRisk, MissingInput> {
        let terms = SupplyRiskTerms {
            hhi_wgi_global: self.hhi_wgi(material, stage, Scope::Global)?,
            hhi_wgi_sourcing: self.hhi_wgi(material, stage, Scope::EuSourcing)?,
            import_reliance: self.value(material, stage, ParamName::ImportReliance)?,
            eol_rir: self.value(material, stage, ParamName::EolRir)?,
            si_sr: self.value(material, stage, ParamName::SiSr)?,
        };
        Ok(StageRisk {
            stage,
            sr: supply_risk(&terms),
            terms,
        })
    }

    /// The supply risk of `material` at every stage the data covers.
    pub fn material_risk(&self, material: &str) -> Result<MaterialRisk, MissingInput> {
        let stages = EuStage::ALL
            .iter()
            .filter(|(_, st)| !self.shares_of(material, *st, Scope::Global).is_empty())
            .map(|(_, st)| self.stage_risk(material, *st))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MaterialRisk {
            material: material.into(),
            stages,
        })
    }

    /// Materials with shares, in file order.
    pub fn materials(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.shares {
            if !out.contains(&s.material.as_str()) {
                out.push(&s.material);
            }
        }
        out
    }

    /// Groups in file order with their members.
    pub fn group_members(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
        for (g, m) in &self.groups {
            match out.iter_mut().find(|(x, _)| x == g) {
                Some((_, ms)) => ms.push(m),
                None => out.push((g, vec![m])),
            }
        }
        out
    }
}
