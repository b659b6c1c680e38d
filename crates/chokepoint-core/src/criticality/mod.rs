//! Criticality indices and exposure (docs/criticality.md). [`concentration`] measures how
//! concentrated a world's production of an element is at each stage (HHI, governance-weighted
//! HHI) and each region's import reliance, from the baseline flows; [`eu`] holds the EU
//! supply-risk formula and reads the published inputs of the 2023 assessment (every number
//! cited) so that the published values can be recomputed; [`regional`] applies the same
//! formula to any region of a world; [`exposure`] blends Monte Carlo results of several
//! scenarios, weighted by stated likelihoods, into expected and 95th-percentile shortfalls and
//! stoppage probabilities per region and end use. [`table`] reads the CSV tables the inputs
//! come in, from text. Nothing here does I/O.

pub mod concentration;
pub mod eu;
pub mod exposure;
pub mod regional;
pub mod table;
