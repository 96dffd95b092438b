//! The dashboard's colours against WCAG 2.1 AA, computed from the shipped stylesheet (not a
//! copy of its values): 4.5:1 for text on its background (1.4.3), 3:1 for focus rings and
//! chart lines against what is next to them (1.4.11). A colour changed in
//! `assets/dashboard.css` or in the charts' palette is checked here.

use std::collections::HashMap;

const STYLESHEET: &str = include_str!("../../assets/dashboard.css");

/// The stylesheet's custom properties (`--name: #rrggbb`).
fn variables() -> HashMap<String, String> {
    let root = STYLESHEET
        .split(":root {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("the stylesheet has a :root block");
    root.split(';')
        .filter_map(|decl| {
            let (name, value) = decl.split_once(':')?;
            let name = name.trim().strip_prefix("--")?;
            Some((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// Relative luminance of `#rrggbb` (WCAG 2.1).
fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    assert_eq!(hex.len(), 6, "#rrggbb expected: {hex}");
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits")) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

/// Contrast ratio of two colours (1 to 21).
fn ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn the_ratio_is_wcags() {
    assert!((ratio("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
}

#[test]
fn text_has_4_5_to_1_on_its_background() {
    let v = variables();
    let pairs = [
        ("ink", "bg"),
        ("ink", "band"),
        ("ink", "pass"),
        ("ink", "warn"),
        ("ink", "fail"),
        ("muted", "bg"),
        ("muted", "band"),
        ("muted", "pass"),
        ("muted", "warn"),
        ("muted", "fail"),
        ("link", "bg"),
        ("link", "band"),
        ("error", "fail"),
        ("head-ink", "head"),
    ];
    for (text, background) in pairs {
        let r = ratio(&v[text], &v[background]);
        assert!(r >= 4.5, "--{text} on --{background}: {r:.2}:1");
    }
}

#[test]
fn focus_rings_and_chart_lines_have_3_to_1() {
    let v = variables();
    for (mark, against) in [
        ("focus", "bg"),
        ("focus", "band"),
        ("focus", "pass"),
        ("focus", "warn"),
        ("focus", "fail"),
        ("focus-dark", "head"),
        ("warn-line", "bg"),
        ("fail-line", "bg"),
    ] {
        let r = ratio(&v[mark], &v[against]);
        assert!(r >= 3.0, "--{mark} against --{against}: {r:.2}:1");
    }
    for colour in super::charts::COLOURS {
        let r = ratio(colour, &v["bg"]);
        assert!(r >= 3.0, "chart line {colour} on --bg: {r:.2}:1");
    }
}
