//! Building worlds and scenarios in code: [`WorldBuilder`] for hand-made networks (tests,
//! examples) and [`synthetic`] for random networks of a chosen size (property tests and
//! benchmarks). Both produce the same [`World`]/[`Scenario`] values the TOML parser does.

use crate::event::{Day, Event, EventKind};
use crate::model::{
    Demand, Facility, InventoryPolicy, Link, Product, ProductId, Recipe, Region, RegionId,
    Settings, Stage, World,
};
use crate::scenario::Scenario;

/// Fluent construction of a [`World`]; ids are returned as they are added.
#[derive(Debug, Clone, Default)]
pub struct WorldBuilder {
    pub world: World,
}

impl WorldBuilder {
    pub fn new(default_cover_days: f64) -> Self {
        WorldBuilder {
            world: World {
                default_cover_days,
                ..World::default()
            },
        }
    }

    pub fn region(&mut self, code: &str, groups: &[&str]) -> RegionId {
        self.world.regions.push(Region {
            code: code.into(),
            name: code.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            parent: None,
            priority: 0,
        });
        RegionId(self.world.regions.len() as u32 - 1)
    }

    pub fn product(&mut self, code: &str, stage: Stage, content: &[(&str, f64)]) -> ProductId {
        let mut content: Vec<(String, f64)> =
            content.iter().map(|(e, c)| (e.to_string(), *c)).collect();
        content.sort_by(|a, b| a.0.cmp(&b.0));
        self.world.products.push(Product {
            code: code.into(),
            name: code.into(),
            unit: "t".into(),
            stage,
            content,
            price: 100.0,
            price_response: 1.0,
            price_adjust_days: 10.0,
        });
        ProductId(self.world.products.len() as u32 - 1)
    }

    pub fn recipe(&mut self, output: ProductId, inputs: &[(ProductId, f64)], priority: u32) {
        self.world.recipes.push(Recipe {
            output,
            inputs: inputs.to_vec(),
            priority,
            share: None,
            regions: vec![],
        });
    }

    pub fn facility(&mut self, region: RegionId, product: ProductId, capacity: f64) {
        self.world.facilities.push(Facility {
            region,
            product,
            capacity,
            plants: vec![],
        });
    }

    pub fn link(
        &mut self,
        from: RegionId,
        to: RegionId,
        product: ProductId,
        share: f64,
        transit: u32,
    ) {
        self.world.links.push(Link {
            from,
            to,
            product,
            share,
            transit_days: transit,
            tariff: 0.0,
        });
    }

    pub fn demand(&mut self, region: RegionId, product: ProductId, end_use: &str, per_day: f64) {
        self.world.demands.push(Demand {
            region,
            product,
            end_use: end_use.into(),
            quantity: per_day,
            growth: 0.0,
            elasticity: 0.0,
        });
    }

    pub fn cover(&mut self, region: RegionId, product: ProductId, initial: f64, target: f64) {
        self.world.inventories.push(InventoryPolicy {
            region,
            product,
            initial_days: initial,
            target_days: target,
        });
    }

    pub fn scenario(self, days: u32, events: Vec<Event>) -> Scenario {
        Scenario {
            settings: Settings {
                name: "built".into(),
                days,
                ..Settings::default()
            },
            world: self.world,
            events,
        }
    }
}

/// An event active from `start` (until `end`).
pub fn event(start: Day, end: Option<Day>, kind: EventKind) -> Event {
    Event {
        start,
        end,
        label: format!("{}@{start}", kind.name()),
        kind,
    }
}

pub mod synthetic {
    //! Random but well-formed networks: `regions` regions, a four-stage chain
    //! (ore → oxide → metal → magnet → component) per element family, every region with demand
    //! for components, a few producing regions per stage, links with shares summing to one.
    //! Deterministic in `seed` (a small self-contained generator, so the shape never depends on
    //! a crate's sampling algorithm).

    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        fn unit(&mut self) -> f64 {
            self.next() as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A network with `regions` regions and `chains` parallel product chains.
    pub fn world(regions: usize, chains: usize, seed: u64) -> World {
        let mut rng = Lcg(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        let mut b = WorldBuilder::new(20.0 + 40.0 * rng.unit());
        let rs: Vec<RegionId> = (0..regions)
            .map(|i| {
                b.region(
                    &format!("R{i:02}"),
                    if i % 2 == 0 { &["allies"] } else { &[] },
                )
            })
            .collect();
        let stages = [
            Stage::Mining,
            Stage::Separation,
            Stage::Metal,
            Stage::Magnet,
            Stage::Component,
        ];
        let elements = ["Nd", "Dy", "Tb", "Sm", "Y"];
        for c in 0..chains {
            let el = elements[c % elements.len()];
            let mut prev: Option<ProductId> = None;
            for (k, st) in stages.iter().enumerate() {
                let p = b.product(&format!("c{c}-s{k}"), *st, &[(el, 0.1 + 0.5 * rng.unit())]);
                if let Some(q) = prev {
                    b.recipe(p, &[(q, 0.5 + rng.unit())], 0);
                }
                // Producers: 1..=3 regions, the first one dominant.
                let np = 1 + rng.below(3.min(regions));
                let mut producers: Vec<RegionId> = Vec::new();
                while producers.len() < np {
                    let r = rs[rng.below(regions)];
                    if !producers.contains(&r) {
                        producers.push(r);
                    }
                }
                for &r in &producers {
                    // Capacity is set after demand is known (below) as a multiple of need.
                    b.facility(r, p, 0.0);
                }
                // Every region buys from the producers with random shares summing to one.
                let buyers: Vec<RegionId> = if k + 1 == stages.len() {
                    rs.clone()
                } else {
                    // Next stage's producers are chosen later; every region may need inputs.
                    rs.clone()
                };
                for &to in &buyers {
                    let w: Vec<f64> = producers.iter().map(|_| 0.2 + rng.unit()).collect();
                    let sum: f64 = w.iter().sum();
                    let mut acc = 0.0;
                    for (i, &from) in producers.iter().enumerate() {
                        let share = if i + 1 == producers.len() {
                            1.0 - acc
                        } else {
                            w[i] / sum
                        };
                        acc += share;
                        let transit = if from == to {
                            0
                        } else {
                            3 + rng.below(40) as u32
                        };
                        b.link(from, to, p, share, transit);
                    }
                }
                if k + 1 == stages.len() {
                    for &r in &rs {
                        b.demand(
                            r,
                            p,
                            ["ev", "wind", "defence", "electronics"][rng.below(4)],
                            1.0 + 9.0 * rng.unit(),
                        );
                    }
                }
                prev = Some(p);
            }
        }
        // Size capacities at 1.1-1.6 × baseline production.
        let net = crate::network::Network::new(&b.world);
        let np = b.world.products.len();
        for f in &mut b.world.facilities {
            let n = f.region.ix() * np + f.product.ix();
            let prod = net.baseline_output(n);
            f.capacity = prod * (1.1 + 0.5 * rng.unit());
        }
        b.world
    }
}
