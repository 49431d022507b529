//! Charts as SVG or PNG files (by the path's extension), drawn with plotters.
//!
//! Text needs no system fonts: a subset of DejaVu Sans (Latin-1 and a few signs, 17 KB,
//! `assets/DejaVuSans-subset.ttf`, made with
//! `pyftsubset DejaVuSans.ttf --unicodes=U+0020-007E,U+00A0-00FF,U+2013,U+2014,U+2019,U+201C,U+201D,U+2026,U+2192,U+2212,U+00D7,U+2264,U+2265 --no-hinting --layout-features=''`)
//! is embedded and registered as plotters' `sans-serif`, which lays out the text of both
//! backends; SVG files name `sans-serif` and are rendered with the viewer's font. Characters
//! outside the subset are drawn as blanks in PNGs.
//!
//! Every chart implements [`Chart`]; [`save`] picks the backend.

mod plots;
mod sankey;

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

pub use plots::{Bars, ChooseKChart, Heatmap, Scatter};
pub use sankey::Sankey;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
static REGISTER: Once = Once::new();

/// The family every chart uses.
pub(crate) const FAMILY: &str = "sans-serif";

/// The error a drawing step gives on backend `DB`.
pub type DrawError<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

/// Something that can be drawn on any plotters backend.
pub trait Chart {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError<DB>>;
}

/// Writes `chart` to `path`: SVG for `.svg`, PNG for `.png`.
pub fn save(chart: &impl Chart, path: &Path) -> Result<()> {
    REGISTER.call_once(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded font is a valid TrueType file"));
    });
    let fail = |reason: String| Error::Chart {
        path: path.to_path_buf(),
        reason,
    };
    let (width, height) = chart.size();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match extension.as_deref() {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                chart.draw(&root).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            svg.into_bytes()
        }
        Some("png") => {
            let mut rgb = vec![0u8; width as usize * height as usize * 3];
            {
                let root =
                    BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
                chart.draw(&root).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            encode_png(&rgb, width, height).map_err(|e| fail(e.to_string()))?
        }
        _ => {
            return Err(fail(
                "the file name must end in .svg or .png (the format is taken from it)".into(),
            ))
        }
    };
    std::fs::write(path, bytes).map_err(|e| fail(e.to_string()))
}

fn encode_png(
    rgb: &[u8],
    width: u32,
    height: u32,
) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

/// Tableau's ten categorical colours (matplotlib's default cycle), distinguishable in print.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}
