//! The plain charts: PCA scatter by cluster, the choose-k elbow and silhouette, an overlap
//! heatmap and segment sizes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tessera_cluster::choose_k::ChooseK;

use super::{colour, font, Chart, DrawError};

/// Points drawn at most; above it every n-th point is drawn (the legend's sizes are exact).
pub const MAX_POINTS: usize = 5_000;

/// A 2-D scatter (e.g. the first two principal components) coloured by cluster; label −1 is
/// noise, drawn grey.
#[derive(Debug, Clone)]
pub struct Scatter {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<(f64, f64)>,
    pub labels: Vec<i64>,
}

impl Chart for Scatter {
    fn size(&self) -> (u32, u32) {
        (900, 650)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>> {
        root.fill(&WHITE)?;
        let (x_range, y_range) = bounds(&self.points);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(22.0))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(font(13.0))
            .axis_desc_style(font(15.0))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let step = self.points.len().div_ceil(MAX_POINTS).max(1);
        let mut ids: Vec<i64> = self.labels.clone();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let c = if id < 0 {
                RGBColor(170, 170, 170)
            } else {
                colour(id as usize)
            };
            let size = self.labels.iter().filter(|&&l| l == id).count();
            let name = if id < 0 {
                format!("noise ({size})")
            } else {
                format!("cluster {id} ({size})")
            };
            chart
                .draw_series(
                    self.points
                        .iter()
                        .zip(&self.labels)
                        .enumerate()
                        .filter(|(i, (_, &l))| l == id && i % step == 0)
                        .map(move |(_, (&p, _))| Circle::new(p, 2, c.mix(0.7).filled())),
                )?
                .label(name)
                .legend(move |(x, y)| Circle::new((x, y), 5, c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(13.0))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

fn bounds(points: &[(f64, f64)]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let pad = |lo: f64, hi: f64| {
        if !lo.is_finite() || !hi.is_finite() {
            return -1.0..1.0;
        }
        let span = (hi - lo).max(1e-9);
        (lo - span * 0.05)..(hi + span * 0.05)
    };
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    (pad(x0, x1), pad(y0, y1))
}

/// The choose-k table as two panels: inertia against k (look for the elbow) and the mean
/// silhouette against k (higher is better), the suggested k marked.
#[derive(Debug, Clone)]
pub struct ChooseKChart {
    pub title: String,
    pub table: ChooseK,
}

impl Chart for ChooseKChart {
    fn size(&self) -> (u32, u32) {
        (1000, 450)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, font(22.0))?;
        let (left, right) = root.split_horizontally(500);
        let ks: Vec<f64> = self.table.scores.iter().map(|s| s.k as f64).collect();
        let k_range =
            ks.first().copied().unwrap_or(2.0) - 0.5..ks.last().copied().unwrap_or(2.0) + 0.5;
        let suggested = self.table.suggested_k as f64;
        for (area, name, values, colour_index) in [
            (
                &left,
                "inertia (elbow)",
                self.table
                    .scores
                    .iter()
                    .map(|s| s.inertia)
                    .collect::<Vec<_>>(),
                0,
            ),
            (
                &right,
                "mean silhouette",
                self.table.scores.iter().map(|s| s.silhouette).collect(),
                1,
            ),
        ] {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = (hi - lo).abs().max(1e-9);
            let y_range = (lo - span * 0.1)..(hi + span * 0.1);
            let mut chart = ChartBuilder::on(area)
                .margin(15)
                .caption(name, font(16.0))
                .x_label_area_size(40)
                .y_label_area_size(75)
                .build_cartesian_2d(k_range.clone(), y_range.clone())?;
            chart
                .configure_mesh()
                .x_desc("k (clusters)")
                .x_labels(ks.len().min(20))
                .x_label_formatter(&|k| format!("{k:.0}"))
                .y_label_formatter(&|v| short_number(*v))
                .label_style(font(12.0))
                .axis_desc_style(font(14.0))
                .draw()?;
            let c = colour(colour_index);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(suggested, y_range.start), (suggested, y_range.end)],
                BLACK.mix(0.3).stroke_width(1),
            )))?;
            chart.draw_series(LineSeries::new(
                ks.iter().copied().zip(values.iter().copied()),
                c.stroke_width(2),
            ))?;
            chart.draw_series(
                ks.iter()
                    .zip(&values)
                    .map(|(&k, &v)| Circle::new((k, v), 4, c.filled())),
            )?;
            chart.draw_series(std::iter::once(Text::new(
                format!("suggested k = {}", self.table.suggested_k),
                (suggested, y_range.end),
                font(12.0).pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
        }
        Ok(())
    }
}

/// `12345.6` → `12.3k`, for axis labels.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A square matrix of values between named rows and columns (segment overlaps: Jaccard
/// indexes or shares), each cell shaded by its value and labelled with it.
#[derive(Debug, Clone)]
pub struct Heatmap {
    pub title: String,
    pub names: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

impl Chart for Heatmap {
    fn size(&self) -> (u32, u32) {
        let n = self.names.len() as u32;
        let side = (n * 70).clamp(300, 1100);
        (side + 275, side + 100)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>> {
        root.fill(&WHITE)?;
        let n = self.names.len();
        let nf = n as f64;
        let max = self
            .values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max)
            .max(1e-12);
        let whole = self
            .values
            .iter()
            .flatten()
            .all(|v| v.is_finite() && v.fract() == 0.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(20.0))
            .margin(15)
            .x_label_area_size(30)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..nf, 0.0..nf)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .draw()?;
        for (r, row) in self.values.iter().enumerate() {
            // Row 0 at the top.
            let y = nf - 1.0 - r as f64;
            for (c, &v) in row.iter().enumerate() {
                let x = c as f64;
                let t = if v.is_finite() {
                    (v / max).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                // White to deep blue.
                let shade = RGBColor(
                    (255.0 - t * 222.0) as u8,
                    (255.0 - t * 160.0) as u8,
                    (255.0 - t * 80.0) as u8,
                );
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    shade.filled(),
                )))?;
                let text_colour = if t > 0.55 { WHITE } else { BLACK };
                let label = if whole {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                };
                chart.draw_series(std::iter::once(Text::new(
                    label,
                    (x + 0.5, y + 0.5),
                    font(12.0)
                        .color(&text_colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                format!("{}  {r}", self.names.get(r).map_or("", String::as_str)),
                (px - 8, py),
                font(12.0).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        for c in 0..n {
            let (px, py) = chart.backend_coord(&(c as f64 + 0.5, 0.0));
            root.draw(&Text::new(
                c.to_string(),
                (px, py + 6),
                font(12.0).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        Ok(())
    }
}

/// Horizontal bars with their values (segment or cluster sizes).
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    pub x_label: String,
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

impl Chart for Bars {
    fn size(&self) -> (u32, u32) {
        (900, (self.names.len() as u32 * 34 + 130).max(250))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>> {
        root.fill(&WHITE)?;
        let n = self.names.len() as i32;
        let max = self.values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
        let names = &self.names;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(20.0))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..max * 1.15, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(self.x_label.as_str())
            .x_label_formatter(&|v| short_number(*v))
            .label_style(font(12.0))
            .axis_desc_style(font(14.0))
            .draw()?;
        for (i, (name, &v)) in names.iter().zip(&self.values).enumerate() {
            let y = (n - 1 - i as i32) as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.15), (v, y + 0.85)],
                colour(0).filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                short_number(v),
                (v + max * 0.01, y + 0.5),
                font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                name.clone(),
                (px - 8, py),
                font(13.0).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(short_number(1_234_567.0), "1.2M");
        assert_eq!(short_number(12_345.0), "12.3k");
        assert_eq!(short_number(345.2), "345");
        assert_eq!(short_number(0.4567), "0.46");
        assert_eq!(short_number(56.0), "56");
    }
}
