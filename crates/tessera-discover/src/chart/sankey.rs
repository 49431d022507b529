//! A journey Sankey: one column per step before the goal, a node per event name sized by the
//! paths through it, and bands between consecutive steps sized by their transition counts.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{colour, font, Chart, DrawError};
use crate::journey::Journeys;

#[derive(Debug, Clone)]
pub struct Sankey {
    pub title: String,
    pub journeys: Journeys,
}

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 620;
const NODE_WIDTH: i32 = 14;
const GAP: f64 = 12.0;

struct Node {
    y: f64,
    height: f64,
    value: u64,
    /// Next free offset for outgoing and incoming bands.
    out_used: f64,
    in_used: f64,
}

impl Chart for Sankey {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>> {
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            self.title.clone(),
            (WIDTH as i32 / 2, 14),
            font(20.0).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        let t = &self.journeys.transitions;
        if t.is_empty() {
            root.draw(&Text::new(
                format!("no path to {} in this group", self.journeys.goal),
                (WIDTH as i32 / 2, HEIGHT as i32 / 2),
                font(16.0).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
            return Ok(());
        }
        let first = t.iter().map(|l| l.position - 1).min().unwrap_or(-1);
        // Node values: paths leaving a node, or entering it for the goal column.
        let mut values: BTreeMap<(i32, &str), u64> = BTreeMap::new();
        for l in t {
            *values.entry((l.position - 1, l.from.as_str())).or_insert(0) += l.count;
            if l.position == 0 {
                *values.entry((0, l.to.as_str())).or_insert(0) += l.count;
            }
        }
        // Steps that only receive (a path's first step is always a sender) still need a node.
        for l in t {
            values.entry((l.position, l.to.as_str())).or_insert(0);
        }
        let columns = (-first + 1) as usize;
        let (top, bottom, left, right) = (60.0, 30.0, 30.0, 230.0);
        let usable = HEIGHT as f64 - top - bottom;
        let column_total = |p: i32| -> u64 {
            values
                .iter()
                .filter(|((q, _), _)| *q == p)
                .map(|(_, v)| *v)
                .sum()
        };
        let column_count = |p: i32| values.keys().filter(|(q, _)| *q == p).count();
        let scale = (first..=0)
            .map(|p| {
                (usable - GAP * (column_count(p).saturating_sub(1)) as f64)
                    / column_total(p).max(1) as f64
            })
            .fold(f64::INFINITY, f64::min);
        let x_of = |p: i32| -> i32 {
            let step = (WIDTH as f64 - left - right) / (columns.saturating_sub(1).max(1)) as f64;
            (left + (p - first) as f64 * step) as i32
        };
        let mut nodes: BTreeMap<(i32, &str), Node> = BTreeMap::new();
        let mut order: Vec<(&str, u64)> = Vec::new();
        for p in first..=0 {
            order.clear();
            order.extend(
                values
                    .iter()
                    .filter(|((q, _), _)| *q == p)
                    .map(|((_, name), v)| (*name, *v)),
            );
            order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let mut y = top;
            for &(name, value) in &order {
                let height = (value as f64 * scale).max(2.0);
                nodes.insert(
                    (p, name),
                    Node {
                        y,
                        height,
                        value,
                        out_used: 0.0,
                        in_used: 0.0,
                    },
                );
                y += height + GAP;
            }
        }
        // Colours by event name, stable across columns.
        let mut names: Vec<&str> = values.keys().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        let colour_of = |name: &str| colour(names.iter().position(|n| *n == name).unwrap_or(0));
        let mut links: Vec<_> = t.iter().collect();
        links.sort_by(|a, b| a.position.cmp(&b.position).then(b.count.cmp(&a.count)));
        for l in links {
            let thickness = l.count as f64 * scale;
            let from_key = (l.position - 1, l.from.as_str());
            let to_key = (l.position, l.to.as_str());
            let y0 = {
                let n = nodes.get_mut(&from_key).expect("every sender has a node");
                let y = n.y + n.out_used;
                n.out_used += thickness;
                y
            };
            let y1 = {
                let n = nodes.get_mut(&to_key).expect("every receiver has a node");
                let y = n.y + n.in_used;
                n.in_used += thickness;
                y
            };
            let x0 = x_of(l.position - 1) + NODE_WIDTH;
            let x1 = x_of(l.position);
            let band = band(x0, y0, x1, y1, thickness);
            root.draw(&Polygon::new(band, colour_of(&l.from).mix(0.35).filled()))?;
        }
        for ((p, name), node) in &nodes {
            let x = x_of(*p);
            root.draw(&Rectangle::new(
                [
                    (x, node.y as i32),
                    (x + NODE_WIDTH, (node.y + node.height) as i32),
                ],
                colour_of(name).filled(),
            ))?;
            let label = format!("{name} ({})", node.value);
            root.draw(&Text::new(
                label,
                (x + NODE_WIDTH + 5, (node.y + node.height / 2.0) as i32),
                font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        for p in first..=0 {
            let caption = if p == 0 {
                "goal".to_string()
            } else {
                format!("step {p}")
            };
            root.draw(&Text::new(
                caption,
                (x_of(p), (HEIGHT as f64 - bottom + 8.0) as i32),
                font(12.0)
                    .color(&BLACK.mix(0.6))
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            ))?;
        }
        Ok(())
    }
}

/// A smooth band from (x0, y0) to (x1, y1) of a given thickness, as a polygon.
fn band(x0: i32, y0: f64, x1: i32, y1: f64, thickness: f64) -> Vec<(i32, i32)> {
    const STEPS: usize = 24;
    let point = |s: f64, offset: f64| -> (i32, i32) {
        let ease = s * s * (3.0 - 2.0 * s);
        let x = x0 as f64 + (x1 - x0) as f64 * s;
        let y = y0 + (y1 - y0) * ease + offset;
        (x.round() as i32, y.round() as i32)
    };
    let mut points: Vec<(i32, i32)> = (0..=STEPS)
        .map(|i| point(i as f64 / STEPS as f64, 0.0))
        .collect();
    points.extend(
        (0..=STEPS)
            .rev()
            .map(|i| point(i as f64 / STEPS as f64, thickness.max(1.0))),
    );
    points
}
