//! Which daily series a Monte Carlo run gives quantile bands (`bands.csv`), chosen by the
//! scenario's `bands` key or by `--bands`. A [`Bands`] is either every series summarised before
//! bands could be chosen ([`Bands::All`]) or a list of [`BandTerm`]s, each a [`BandVariable`]
//! (or any) with a [`CodePattern`] for the series' region and one for its product. The
//! [`Bands::headline`] set is what analysts read: unmet demand of magnets and of the
//! manufactured products made from them, days of cover, prices and licence queues.
//!
//! Only the choice lives here, in words the analyst writes (codes, stage names): this module
//! depends on nothing, so that [`crate::model::Settings`] can hold a choice and the scenario
//! parser and the CLI can check one against a world's codes ([`Bands::problems`]).
//! `montecarlo::SeriesSet` turns it into series and sources; a series that is not chosen gets
//! no sketch at all, so the cost of the summaries follows the series chosen.

use std::fmt;

/// A variable that can have bands: what a Monte Carlo run observes each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BandVariable {
    Production,
    Shipments,
    Inventory,
    DaysOfCover,
    UnmetDemand,
    Price,
    /// Licence applications awaiting a decision at the end of the day, per (exporter,
    /// destination, product) link that a licensing regime governs on some day.
    LicencesPending,
    /// Licence applications filed, approved and denied that day on such a link: with the
    /// queue, the licence section of a Monte Carlo report (none is in `all` or `headline`:
    /// named to be added, so that today's band sets keep their bytes).
    LicencesApplied,
    LicencesApproved,
    LicencesDenied,
}

impl BandVariable {
    pub const ALL: [BandVariable; 10] = [
        BandVariable::Production,
        BandVariable::Shipments,
        BandVariable::Inventory,
        BandVariable::DaysOfCover,
        BandVariable::UnmetDemand,
        BandVariable::Price,
        BandVariable::LicencesPending,
        BandVariable::LicencesApplied,
        BandVariable::LicencesApproved,
        BandVariable::LicencesDenied,
    ];

    /// The name in `timeseries.csv` and `bands.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            BandVariable::Production => "production",
            BandVariable::Shipments => "shipments",
            BandVariable::Inventory => "inventory",
            BandVariable::DaysOfCover => "days_of_cover",
            BandVariable::UnmetDemand => "unmet_demand",
            BandVariable::Price => "price",
            BandVariable::LicencesPending => "licences_pending",
            BandVariable::LicencesApplied => "licences_applied",
            BandVariable::LicencesApproved => "licences_approved",
            BandVariable::LicencesDenied => "licences_denied",
        }
    }

    /// A licence series: never in `all` (the bands every run had before they could be chosen).
    pub fn is_licence(self) -> bool {
        matches!(
            self,
            BandVariable::LicencesPending
                | BandVariable::LicencesApplied
                | BandVariable::LicencesApproved
                | BandVariable::LicencesDenied
        )
    }

    fn parse(s: &str) -> Option<BandVariable> {
        BandVariable::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A pattern over codes: `*` for any, `@STAGE` for the products of a stage (products only), or
/// a code in which `*` stands for any run of characters (`ndfeb-*`, `USA*` for `USA` and its
/// buyer cohorts `USA/oem`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodePattern {
    Any,
    Stage(String),
    Glob(String),
}

impl CodePattern {
    fn parse(s: &str) -> CodePattern {
        match s {
            "" | "*" => CodePattern::Any,
            _ => match s.strip_prefix('@') {
                Some(stage) => CodePattern::Stage(stage.to_string()),
                None => CodePattern::Glob(s.to_string()),
            },
        }
    }

    /// Whether the pattern matches `code` (of a product of stage `stage`, when it is one).
    pub fn matches(&self, code: &str, stage: Option<&str>) -> bool {
        match self {
            CodePattern::Any => true,
            CodePattern::Stage(s) => stage == Some(s.as_str()),
            CodePattern::Glob(g) => glob(g, code),
        }
    }
}

impl fmt::Display for CodePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodePattern::Any => f.write_str("*"),
            CodePattern::Stage(s) => write!(f, "@{s}"),
            CodePattern::Glob(g) => f.write_str(g),
        }
    }
}

/// `*` matches any run of characters (none included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole text must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// One term of a choice: `VARIABLE[:REGION[:PRODUCT]]`, `*` (or nothing) for any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandTerm {
    /// `None`: any variable.
    pub variable: Option<BandVariable>,
    pub region: CodePattern,
    pub product: CodePattern,
}

impl BandTerm {
    fn selects(&self, v: BandVariable, region: &str, product: &str, stage: &str) -> bool {
        self.variable.is_none_or(|x| x == v)
            && self.region.matches(region, None)
            && self.product.matches(product, Some(stage))
    }
}

impl fmt::Display for BandTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.variable.map_or("*", BandVariable::as_str);
        write!(f, "{v}:{}:{}", self.region, self.product)
    }
}

/// Which series get bands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bands {
    /// Every series of production, shipments, inventory, days of cover, unmet demand and price:
    /// the bands every run had before they could be chosen (licence queues are named to be
    /// added: `all,licences_pending`).
    All,
    /// The series any term selects, and with `all` or `headline` among them those too.
    Terms {
        all: bool,
        headline: bool,
        terms: Vec<BandTerm>,
    },
}

impl Default for Bands {
    fn default() -> Self {
        Bands::headline()
    }
}

/// The headline terms, as written: shortfall and cover where a stoppage shows (magnets and the
/// manufactured products made of them, whose cover is what an assembly line runs on), every
/// price (regions of a segment share one sketch, so all of them cost little) and every licence
/// queue. Cover of oxides and metals is left out: it is two thirds of the stock series and
/// their sketches, and its effect reaches the headline through the magnets' cover.
const HEADLINE: [&str; 8] = [
    "unmet_demand:*:@magnet",
    "unmet_demand:*:@component",
    "unmet_demand:*:@end-use",
    "days_of_cover:*:@magnet",
    "days_of_cover:*:@component",
    "days_of_cover:*:@end-use",
    "price",
    "licences_pending",
];

/// The stage names a `@STAGE` pattern may use (`model::Stage`'s).
pub const STAGES: [&str; 6] = [
    "mining",
    "separation",
    "metal",
    "magnet",
    "component",
    "end-use",
];

/// A choice that cannot be read: what is wrong with which term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandProblem {
    /// The term as written.
    pub term: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for BandProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "band term `{}`: {}", self.term, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl Bands {
    /// The default: [`HEADLINE`]'s terms.
    pub fn headline() -> Bands {
        Bands::Terms {
            all: false,
            headline: true,
            terms: Vec::new(),
        }
    }

    /// [`HEADLINE`]'s terms, read.
    fn headline_terms() -> Vec<BandTerm> {
        HEADLINE.iter().filter_map(|t| parse_term(t).ok()).collect()
    }

    /// Reads terms (each `all`, `headline` or `VARIABLE[:REGION[:PRODUCT]]`); every problem of
    /// syntax is reported at once. Codes are checked against a world by [`Bands::problems`].
    pub fn parse<'t>(terms: impl IntoIterator<Item = &'t str>) -> Result<Bands, Vec<BandProblem>> {
        let (mut all, mut out, mut problems) = (false, Vec::new(), Vec::new());
        let (mut any, mut headline) = (false, false);
        for raw in terms {
            any = true;
            let t = raw.trim();
            match t {
                "all" => all = true,
                "headline" => headline = true,
                _ => match parse_term(t) {
                    Ok(term) => out.push(term),
                    Err((message, hint)) => problems.push(BandProblem {
                        term: raw.to_string(),
                        message,
                        hint,
                    }),
                },
            }
        }
        if !any {
            problems.push(BandProblem {
                term: String::new(),
                message: "no terms: a choice names at least one".into(),
                hint: Some(
                    "write `headline`, `all` or terms such as `price,unmet_demand:USA`".into(),
                ),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(if all && !headline && out.is_empty() {
            Bands::All
        } else {
            Bands::Terms {
                all,
                headline,
                terms: out,
            }
        })
    }

    /// Reads `--bands SPEC`: terms separated by commas.
    pub fn parse_spec(spec: &str) -> Result<Bands, Vec<BandProblem>> {
        Bands::parse(spec.split(','))
    }

    /// Reads `terms` and checks them against a world's `regions` and `products` (code,
    /// stage): every problem of every term, each with the index of its term.
    pub fn read(
        terms: &[&str],
        regions: &[&str],
        products: &[(&str, &str)],
    ) -> Result<Bands, Vec<(usize, BandProblem)>> {
        let mut problems = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            let found = match Bands::parse([*t]) {
                Ok(b) => b.problems(regions, products),
                Err(e) => e,
            };
            let term = t.trim().to_string();
            problems.extend(found.into_iter().map(|p| {
                (
                    i,
                    BandProblem {
                        term: term.clone(),
                        ..p
                    },
                )
            }));
        }
        match Bands::parse(terms.iter().copied()) {
            Ok(b) if problems.is_empty() => Ok(b),
            // Only an empty list has a problem no single term has.
            Err(e) if problems.is_empty() => Err(e.into_iter().map(|p| (0, p)).collect()),
            _ => Err(problems),
        }
    }

    /// Codes the terms name that `regions` or `products` (code, stage) do not have, and
    /// patterns that match none of them, every one at once (the headline terms are not checked:
    /// a world without, say, products of stage `end-use` simply has no such series).
    pub fn problems(&self, regions: &[&str], products: &[(&str, &str)]) -> Vec<BandProblem> {
        let Bands::Terms { terms, .. } = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for t in terms {
            let problem = |message: String, hint: String| BandProblem {
                term: t.to_string(),
                message,
                hint: Some(hint),
            };
            if !regions.iter().any(|r| t.region.matches(r, None)) {
                let why = match &t.region {
                    CodePattern::Stage(_) => "a stage selects products, not regions".to_string(),
                    p => format!("no region is `{p}`"),
                };
                out.push(problem(why, format!("regions: {}", list(regions))));
            }
            if let CodePattern::Stage(s) = &t.product
                && !STAGES.contains(&s.as_str())
            {
                out.push(problem(
                    format!("`{s}` is not a stage"),
                    format!("stages: {}", STAGES.join(", ")),
                ));
            } else if !products.iter().any(|(p, s)| t.product.matches(p, Some(s))) {
                let codes: Vec<&str> = products.iter().map(|p| p.0).collect();
                out.push(problem(
                    format!("no product is `{}`", t.product),
                    format!("products: {}", list(&codes)),
                ));
            }
        }
        out
    }

    /// Whether the series of `variable` for (`region`, `product` of stage `stage`) gets bands.
    pub fn selects(
        &self,
        variable: BandVariable,
        region: &str,
        product: &str,
        stage: &str,
    ) -> bool {
        let in_all = !variable.is_licence();
        match self {
            Bands::All => in_all,
            Bands::Terms {
                all,
                headline,
                terms,
            } => {
                let any = |ts: &[BandTerm]| {
                    ts.iter()
                        .any(|t| t.selects(variable, region, product, stage))
                };
                (*all && in_all) || (*headline && any(&Bands::headline_terms())) || any(terms)
            }
        }
    }
}

impl fmt::Display for Bands {
    /// The choice as `--bands` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bands::All => f.write_str("all"),
            Bands::Terms {
                all,
                headline,
                terms,
            } => {
                let mut words: Vec<String> = Vec::new();
                if *all {
                    words.push("all".into());
                }
                if *headline {
                    words.push("headline".into());
                }
                words.extend(terms.iter().map(ToString::to_string));
                f.write_str(&words.join(","))
            }
        }
    }
}

/// At most 12 codes, then how many more.
fn list(codes: &[&str]) -> String {
    let mut s = codes
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > 12 {
        s.push_str(&format!(", ... ({} in all)", codes.len()));
    }
    s
}

/// `VARIABLE[:REGION[:PRODUCT]]`; the error is a message and a hint.
fn parse_term(t: &str) -> Result<BandTerm, (String, Option<String>)> {
    let parts: Vec<&str> = t.split(':').map(str::trim).collect();
    if parts.len() > 3 {
        return Err((
            "a term has at most three parts, VARIABLE:REGION:PRODUCT".into(),
            Some("e.g. `unmet_demand:USA:ndfeb-magnet` or `price:*:@magnet`".into()),
        ));
    }
    let variable = match parts[0] {
        "" => {
            return Err((
                "the variable is empty".into(),
                Some("write `*` for every variable".into()),
            ));
        }
        "*" => None,
        v => Some(BandVariable::parse(v).ok_or_else(|| {
            (
                format!("`{v}` is not a variable that has bands"),
                Some(format!(
                    "variables: {}; or `all`, `headline`",
                    BandVariable::ALL.map(BandVariable::as_str).join(", ")
                )),
            )
        })?),
    };
    let part = |i: usize| CodePattern::parse(parts.get(i).copied().unwrap_or("*"));
    Ok(BandTerm {
        variable,
        region: part(1),
        product: part(2),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_runs_of_characters() {
        for (p, t, want) in [
            ("USA", "USA", true),
            ("USA", "USA/oem", false),
            ("USA*", "USA/oem", true),
            ("*magnet", "ndfeb-magnet", true),
            ("nd*-m*t", "ndfeb-magnet", true),
            ("nd*x", "ndfeb-magnet", false),
            ("a*a", "a", false),
        ] {
            assert_eq!(glob(p, t), want, "{p} {t}");
        }
    }

    #[test]
    fn specs_read_and_print_back() {
        let b = Bands::parse_spec("all").unwrap();
        assert_eq!(b, Bands::All);
        let b = Bands::parse_spec("price, unmet_demand:USA*:@magnet").unwrap();
        assert_eq!(b.to_string(), "price:*:*,unmet_demand:USA*:@magnet");
        assert!(b.selects(BandVariable::UnmetDemand, "USA/oem", "m", "magnet"));
        assert!(!b.selects(BandVariable::UnmetDemand, "JPN", "m", "magnet"));
        assert!(!b.selects(BandVariable::Inventory, "USA", "m", "magnet"));
        let all = Bands::parse_spec("all,licences_pending").unwrap();
        assert!(all.selects(BandVariable::LicencesPending, "CHN", "x", "metal"));
        assert!(!Bands::All.selects(BandVariable::LicencesPending, "CHN", "x", "metal"));
        assert!(Bands::All.selects(BandVariable::Shipments, "CHN", "x", "metal"));
    }

    #[test]
    fn every_problem_is_reported() {
        let e = Bands::parse_spec("prices,a:b:c:d,,price").unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        let b = Bands::parse_spec("price:XX,unmet_demand:*:@magnets,inventory:*:nd*").unwrap();
        let p = b.problems(&["USA", "CHN"], &[("ndfeb-magnet", "magnet")]);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].message.contains("no region is `XX`"));
        assert!(p[1].message.contains("`magnets` is not a stage"));
    }
}
