//! Line charts of rates over periods, laid out here and drawn as SVG by the templates
//! (`templates/dashboard/chart.html`): no script, nothing fetched. Every chart comes with a
//! table of the same numbers for screen readers and for copying.

/// Colours of the lines: Okabe-Ito's hues (told apart with the common colour-vision
/// deficiencies), the light ones darkened so that every line has 3:1 against the white
/// plot (WCAG 2.1 1.4.11; `contrast.rs` checks it): its orange, sky blue and yellow
/// failed it (2.3:1, 2.3:1, 1.3:1).
pub(super) const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#00795A", "#A0527F", "#8F6400", "#6A3D9A", "#000000", "#6B6B6B",
];

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// One series: a name and a rate (0 to 1) per period, none where there were no patients.
#[derive(Debug, Clone)]
pub struct Series {
    /// Shown in the legend.
    pub name: String,
    /// One per period.
    pub rates: Vec<Option<f64>>,
}

/// A point of a line.
#[derive(Debug, Clone)]
pub struct Dot {
    /// x.
    pub x: String,
    /// y.
    pub y: String,
    /// The rate as the JSON API gives it.
    pub rate: String,
    /// The period's first day.
    pub period: String,
}

/// A laid-out line.
#[derive(Debug, Clone)]
pub struct Line {
    /// Series name.
    pub name: String,
    /// Its colour.
    pub colour: &'static str,
    /// SVG path data (a gap where a period has no rate).
    pub path: String,
    /// Its points.
    pub dots: Vec<Dot>,
}

/// A label on an axis.
#[derive(Debug, Clone)]
pub struct Tick {
    /// Position.
    pub at: String,
    /// Text.
    pub label: String,
}

/// A laid-out chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Its accessible title.
    pub title: String,
    /// `viewBox` width.
    pub width: String,
    /// `viewBox` height.
    pub height: String,
    /// Left edge of the plot.
    pub left: String,
    /// Right edge of the plot.
    pub right: String,
    /// Bottom edge of the plot.
    pub bottom: String,
    /// Where x labels sit.
    pub label_y: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// Horizontal grid lines and their percentages.
    pub y_ticks: Vec<Tick>,
    /// Period labels.
    pub x_ticks: Vec<Tick>,
    /// The warn threshold's y (dashed), when one applies to every line.
    pub warn_y: Option<String>,
    /// The fail threshold's y.
    pub fail_y: Option<String>,
}

fn coord(v: f64) -> String {
    format!("{v:.1}")
}

fn y_of(rate: f64) -> f64 {
    TOP + (1.0 - rate.clamp(0.0, 1.0)) * (HEIGHT - TOP - BOTTOM)
}

/// Lays out `series` over `periods` (their first days), with the thresholds' lines.
pub fn chart(
    title: &str,
    monthly: bool,
    periods: &[String],
    series: &[Series],
    thresholds: Option<(f64, f64)>,
) -> Chart {
    let n = periods.len().max(1);
    let step = if n > 1 {
        (WIDTH - LEFT - RIGHT) / (n - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| {
        LEFT + step * i as f64
            + if n == 1 {
                (WIDTH - LEFT - RIGHT) / 2.0
            } else {
                0.0
            }
    };
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut path = String::new();
            let mut pen_down = false;
            let mut dots = Vec::new();
            for (i, rate) in s.rates.iter().enumerate() {
                match rate {
                    Some(rate) => {
                        let (x, y) = (x_of(i), y_of(*rate));
                        path.push_str(if pen_down { " L" } else { " M" });
                        path.push_str(&format!("{} {}", coord(x), coord(y)));
                        pen_down = true;
                        dots.push(Dot {
                            x: coord(x),
                            y: coord(y),
                            rate: super::json_number(*rate),
                            period: periods.get(i).cloned().unwrap_or_default(),
                        });
                    }
                    None => pen_down = false,
                }
            }
            Line {
                name: s.name.clone(),
                colour: COLOURS[k % COLOURS.len()],
                path: path.trim().to_string(),
                dots,
            }
        })
        .collect();
    // Label at most about 7 periods; months by `YYYY-MM`.
    let every = n.div_ceil(7);
    let x_ticks = periods
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, p)| Tick {
            at: coord(x_of(i)),
            label: if monthly {
                p[..7.min(p.len())].to_string()
            } else {
                p.clone()
            },
        })
        .collect();
    let y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|r| Tick {
            at: coord(y_of(r)),
            label: format!("{}%", (r * 100.0) as i64),
        })
        .collect();
    Chart {
        title: title.to_string(),
        width: coord(WIDTH),
        height: coord(HEIGHT),
        left: coord(LEFT),
        right: coord(WIDTH - RIGHT),
        bottom: coord(HEIGHT - BOTTOM),
        label_y: coord(HEIGHT - BOTTOM + 18.0),
        lines,
        y_ticks,
        x_ticks,
        warn_y: thresholds.map(|(warn, _)| coord(y_of(warn))),
        fail_y: thresholds.map(|(_, fail)| coord(y_of(fail))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_without_a_rate_breaks_the_line() {
        let periods: Vec<String> = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
            .map(String::from)
            .to_vec();
        let chart = chart(
            "race",
            true,
            &periods,
            &[Series {
                name: "ED".into(),
                rates: vec![Some(1.0), None, Some(0.5), Some(0.0)],
            }],
            Some((0.9, 0.8)),
        );
        let line = &chart.lines[0];
        assert_eq!(line.path, "M48.0 16.0 M485.3 138.0 L704.0 260.0");
        assert_eq!(line.dots.len(), 3);
        assert_eq!(line.dots[1].rate, "0.5");
        assert_eq!(line.dots[1].period, "2026-03-01");
        assert_eq!(chart.warn_y.as_deref(), Some("40.4"));
        assert_eq!(chart.x_ticks[0].label, "2026-01");
    }
}
