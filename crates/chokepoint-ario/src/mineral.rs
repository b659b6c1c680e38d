//! The link from the mineral model to the economy: a `chokepoint run` folder's daily shortfalls
//! of end-use products become daily production-capacity losses of MRIO industries.
//!
//! [`SectorMapping`] (parsed from the text of a TOML file, see docs/ario.md) says which
//! chokepoint (region, product) feeds which MRIO (region, sector), and which share of that
//! industry's output cannot be made without the product (its *dependence*, with source and
//! confidence). [`EndUseLosses`] computes the daily loss share of every mapped
//! (region, product) from the run's `timeseries.csv`, read from a reader the caller opens (the
//! CLI finds the file in the run folder); [`EndUseLosses::shock`] turns them into one
//! [`Shock::LossSeries`]:
//!
//! ```text
//! loss_{r,p}(t)  = unmet_{r,p}(t) / (consumption_{r,p}(t) + unmet_{r,p}(t))     (0 if both are 0)
//! share_i(t)     = min(1, Σ_{m maps to i} dependence_m · loss_{r_m,p_m}(t))
//! ```
//!
//! where `unmet` and `consumption` are the run's `unmet_demand` and `consumption` series (final
//! demand not served and served, t product/day) and step t of the ARIO run is day t of the
//! mineral run (step 0 = its first date). A shortfall of an end-use product (an EV traction
//! motor, a wind generator) stops that share of the dependent industry's output: the magnet is
//! a small cost share but has no short-run substitute, so the loss is Leontief, not priced.
//! Losses of several products feeding one industry add (they gate different parts of its
//! output) and are capped at 1.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::LinkError;
use crate::model::Shock;

/// One row of the sector mapping.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MappingEntry {
    /// chokepoint region (as in the run's `region` column).
    pub region: String,
    /// chokepoint end-use product (as in the run's `product` column).
    pub product: String,
    /// MRIO region the loss falls on.
    pub mrio_region: String,
    /// MRIO sector the loss falls on.
    pub mrio_sector: String,
    /// Share of the industry's output that needs the product, in [0, 1].
    pub dependence: f64,
    pub source: String,
    /// `high`, `medium`, `low` or `assumption`.
    pub confidence: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    link: Vec<MappingEntry>,
}

/// Which chokepoint (region, product) feeds which MRIO industry, and how strongly.
#[derive(Debug, Clone)]
pub struct SectorMapping {
    /// Where the mapping was read from (for messages).
    pub path: PathBuf,
    pub entries: Vec<MappingEntry>,
}

impl SectorMapping {
    /// Parses and checks the text of a mapping file (`[[link]]` tables); `path` names it in
    /// messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, LinkError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| LinkError::Parse {
            path: path.into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        if file.link.is_empty() {
            return Err(LinkError::Parse {
                path: path.into(),
                message: "no [[link]] tables; hint: see docs/ario.md, \"From a chokepoint run\""
                    .into(),
            });
        }
        for (index, e) in file.link.iter().enumerate() {
            let bad = |message: String| LinkError::Mapping {
                path: path.into(),
                index,
                region: e.region.clone(),
                product: e.product.clone(),
                message,
            };
            if !(0.0..=1.0).contains(&e.dependence) {
                return Err(bad(format!(
                    "dependence = {} must lie in [0, 1]; hint: it is the share of the sector's output that needs the product",
                    e.dependence
                )));
            }
            if !["high", "medium", "low", "assumption"].contains(&e.confidence.as_str()) {
                return Err(bad(format!(
                    "confidence `{}` is not one of high, medium, low, assumption",
                    e.confidence
                )));
            }
            if e.source.trim().is_empty() {
                return Err(bad("source is empty; hint: cite where the dependence comes from, or `chokepoint-assumption` with a note".into()));
            }
        }
        Ok(SectorMapping {
            path: path.into(),
            entries: file.link,
        })
    }
}

/// Daily loss shares of the mapped (region, product) pairs of one mineral run.
#[derive(Debug, Clone)]
pub struct EndUseLosses {
    /// The run's first date (step 0).
    pub start: String,
    /// Days in the run.
    pub days: usize,
    /// `loss[(region, product)][t]`, in [0, 1].
    pub loss: BTreeMap<(String, String), Vec<f64>>,
}

impl EndUseLosses {
    /// Computes the daily loss share of every (region, product) the mapping names from the
    /// text of a `chokepoint run`'s `timeseries.csv` (`path` names it in messages).
    pub fn from_reader(
        path: &Path,
        reader: impl std::io::Read,
        mapping: &SectorMapping,
    ) -> Result<Self, LinkError> {
        let parse = |message: String| LinkError::Parse {
            path: path.into(),
            message,
        };
        let wanted: HashMap<(&str, &str), ()> = mapping
            .entries
            .iter()
            .map(|e| ((e.region.as_str(), e.product.as_str()), ()))
            .collect();
        let mut rdr = csv::Reader::from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|e| parse(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        if headers
            != [
                "date", "region", "partner", "product", "variable", "value", "unit",
            ]
        {
            return Err(parse(format!(
                "header is `{}`, not a chokepoint timeseries (date,region,partner,product,variable,value,unit)",
                headers.join(",")
            )));
        }
        let mut first: Option<jiff::civil::Date> = None;
        let mut last_day = 0usize;
        // (unmet, consumption) per day.
        let mut raw: HashMap<(String, String), Vec<(f64, f64)>> = HashMap::new();
        for (k, rec) in rdr.records().enumerate() {
            let line = k + 2;
            let rec = rec.map_err(|e| parse(e.to_string()))?;
            let date: jiff::civil::Date = rec[0]
                .parse()
                .map_err(|e| parse(format!("line {line}: date `{}`: {e}", &rec[0])))?;
            let start = *first.get_or_insert(date);
            let day = (date - start).get_days();
            if day < 0 {
                return Err(parse(format!(
                    "line {line}: date {date} before the first date {start}; the file is not in date order"
                )));
            }
            // A run writes rows for every day, so a date past the day after the latest is not
            // one of its files; believed, it would size every loss series (years of empty days).
            if day > last_day as i32 + 1 {
                return Err(parse(format!(
                    "line {line}: date {date} skips days after {}; a run's timeseries has rows for every day",
                    start + jiff::Span::new().days(last_day as i64)
                )));
            }
            let day = day as usize;
            last_day = last_day.max(day);
            let var = &rec[4];
            let is_unmet = var == "unmet_demand";
            if !(is_unmet || var == "consumption") || !rec[2].is_empty() {
                continue;
            }
            // A buyer cohort (`USA/oem`) counts for its region: the mapping names regions.
            let region = rec[1].split_once('/').map_or(&rec[1], |(r, _)| r);
            if !wanted.contains_key(&(region, &rec[3])) {
                continue;
            }
            let value: f64 = rec[5]
                .parse()
                .map_err(|e| parse(format!("line {line}: value `{}`: {e}", &rec[5])))?;
            if !(value.is_finite() && value >= 0.0) {
                return Err(parse(format!(
                    "line {line}: {var} = {value} must be finite and non-negative"
                )));
            }
            let series = raw.entry((region.into(), rec[3].into())).or_default();
            if series.len() <= day {
                series.resize(day + 1, (0.0, 0.0));
            }
            // Summed over the region's cohorts (one row each; a region without cohorts has one).
            if is_unmet {
                series[day].0 += value;
            } else {
                series[day].1 += value;
            }
        }
        let Some(start) = first else {
            return Err(parse("has no rows".into()));
        };
        let days = last_day + 1;
        let mut loss = BTreeMap::new();
        for (index, e) in mapping.entries.iter().enumerate() {
            let key = (e.region.clone(), e.product.clone());
            let Some(series) = raw.get(&key) else {
                return Err(LinkError::Mapping {
                    path: mapping.path.clone(),
                    index,
                    region: e.region.clone(),
                    product: e.product.clone(),
                    message: format!(
                        "the run {} has no consumption or unmet_demand of this product in this region; hint: map end-use products with final demand in that region",
                        path.display()
                    ),
                });
            };
            let shares = (0..days)
                .map(|t| {
                    let (unmet, used) = series.get(t).copied().unwrap_or((0.0, 0.0));
                    if unmet + used > 0.0 {
                        unmet / (unmet + used)
                    } else {
                        0.0
                    }
                })
                .collect();
            loss.insert(key, shares);
        }
        Ok(EndUseLosses {
            start: start.to_string(),
            days,
            loss,
        })
    }

    /// The production-loss shock on the MRIO industries (`industry(region, sector)` resolves
    /// names to indices, or says why it cannot), over `steps` steps.
    pub fn shock(
        &self,
        mapping: &SectorMapping,
        steps: usize,
        industry: impl Fn(&str, &str) -> Result<usize, String>,
    ) -> Result<Shock, LinkError> {
        let mut industries: Vec<usize> = Vec::new();
        let mut feeds: Vec<(usize, f64, &Vec<f64>)> = Vec::new();
        for (index, e) in mapping.entries.iter().enumerate() {
            let i =
                industry(&e.mrio_region, &e.mrio_sector).map_err(|message| LinkError::Mapping {
                    path: mapping.path.clone(),
                    index,
                    region: e.region.clone(),
                    product: e.product.clone(),
                    message,
                })?;
            let j = match industries.iter().position(|&x| x == i) {
                Some(j) => j,
                None => {
                    industries.push(i);
                    industries.len() - 1
                }
            };
            feeds.push((
                j,
                e.dependence,
                &self.loss[&(e.region.clone(), e.product.clone())],
            ));
        }
        let k = industries.len();
        let days = self.days.min(steps);
        let mut shares = vec![0.0; days * k];
        for (j, dependence, loss) in feeds {
            for t in 0..days {
                shares[t * k + j] += dependence * loss[t];
            }
        }
        for s in &mut shares {
            *s = s.min(1.0);
        }
        Ok(Shock::LossSeries {
            industries,
            start: 0,
            shares,
        })
    }

    /// Mean and peak loss share per mapped (region, product) over the run.
    pub fn loss_stats(&self) -> Vec<((String, String), f64, f64)> {
        self.loss
            .iter()
            .map(|(k, v)| {
                let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
                (k.clone(), mean, v.iter().copied().fold(0.0, f64::max))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(text: &str) -> Result<SectorMapping, LinkError> {
        SectorMapping::parse(Path::new("map.toml"), text)
    }

    const MAP: &str = r#"
[[link]]
region = "USA"
product = "ev-traction-motor"
mrio-region = "US"
mrio-sector = "vehicles"
dependence = 0.5
source = "chokepoint-assumption"
confidence = "assumption"

[[link]]
region = "USA"
product = "wind-generator"
mrio-region = "US"
mrio-sector = "vehicles"
dependence = 0.8
source = "chokepoint-assumption"
confidence = "assumption"
"#;

    const RUN: &str = "date,region,partner,product,variable,value,unit
2025-03-01,USA,,ev-traction-motor,consumption,10,t product/day
2025-03-01,USA,,ev-traction-motor,unmet_demand,0,t product/day
2025-03-01,USA,,wind-generator,consumption,4,t product/day
2025-03-02,USA,,ev-traction-motor,consumption,6,t product/day
2025-03-02,USA,,ev-traction-motor,unmet_demand,4,t product/day
2025-03-02,CHN,USA,ev-traction-motor,shipments,99,t product/day
2025-03-02,USA,,wind-generator,unmet_demand,4,t product/day
2025-03-03,USA,,ev-traction-motor,consumption,10,t product/day
";

    #[test]
    fn loss_shares_follow_unmet_over_need_and_add_up_to_one() {
        let m = mapping(MAP).unwrap();
        let l = EndUseLosses::from_reader(Path::new("ts.csv"), RUN.as_bytes(), &m).unwrap();
        assert_eq!((l.start.as_str(), l.days), ("2025-03-01", 3));
        let ev = &l.loss[&("USA".into(), "ev-traction-motor".into())];
        assert_eq!(ev, &vec![0.0, 0.4, 0.0]);
        let wind = &l.loss[&("USA".into(), "wind-generator".into())];
        assert_eq!(wind, &vec![0.0, 1.0, 0.0]);
        let shock = l
            .shock(&m, 10, |r, s| {
                if (r, s) == ("US", "vehicles") {
                    Ok(7)
                } else {
                    Err("unknown".into())
                }
            })
            .unwrap();
        let Shock::LossSeries {
            industries,
            start,
            shares,
        } = shock
        else {
            panic!()
        };
        assert_eq!((industries, start), (vec![7], 0));
        // Day 1: 0.5·0.4 + 0.8·1.0 = 1.0 (capped).
        assert_eq!(shares, vec![0.0, 1.0, 0.0]);
    }

    /// A run with buyer cohorts reports `USA/oem`, `USA/small`, ...: the mapping names the
    /// region, whose loss is its cohorts' unmet demand over their summed need.
    #[test]
    fn issue_17_cohorts_count_for_their_region() {
        let m = mapping(MAP).unwrap();
        let run = "date,region,partner,product,variable,value,unit
2025-03-01,USA/oem,,ev-traction-motor,consumption,7,t product/day
2025-03-01,USA/small,,ev-traction-motor,consumption,1,t product/day
2025-03-01,USA/small,,ev-traction-motor,unmet_demand,2,t product/day
2025-03-01,USA/oem,,wind-generator,consumption,4,t product/day
";
        let l = EndUseLosses::from_reader(Path::new("ts.csv"), run.as_bytes(), &m).unwrap();
        // 2 unmet of 7 + 1 + 2 = 10 wanted.
        assert_eq!(
            l.loss[&("USA".into(), "ev-traction-motor".into())],
            vec![0.2]
        );
        assert_eq!(l.loss[&("USA".into(), "wind-generator".into())], vec![0.0]);
    }

    #[test]
    fn bad_mappings_are_refused_with_a_reason() {
        let e = mapping(&MAP.replace("0.5", "1.5")).unwrap_err().to_string();
        assert!(e.contains("dependence = 1.5 must lie in [0, 1]"), "{e}");
        let e = mapping(&MAP.replace(
            "confidence = \"assumption\"\n\n",
            "confidence = \"sure\"\n\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("confidence `sure`"), "{e}");
        let e = mapping(&MAP.replace("dependence", "dependance"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `dependance`"), "{e}");
        let m = mapping(&MAP.replace("wind-generator", "medical-other")).unwrap();
        let e = EndUseLosses::from_reader(Path::new("ts.csv"), RUN.as_bytes(), &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no consumption or unmet_demand"), "{e}");
        let e = EndUseLosses::from_reader(Path::new("ts.csv"), "a,b\n1,2\n".as_bytes(), &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a chokepoint timeseries"), "{e}");
    }
}
