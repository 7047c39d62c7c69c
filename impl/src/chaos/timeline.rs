//! A history drawn as a timeline, one self-contained HTML page with an SVG: each process a
//! lane, each operation a bar from its invocation to its completion (green acknowledged,
//! grey failed, orange unknown and open-ended), the faults as shaded bands across the
//! lanes, and the operation the checker could not place outlined in red.

use super::history::{Operation, Outcome};
use super::nemesis::FaultRecord;
use std::collections::BTreeMap;
use std::fmt::{Debug, Write};

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 70.0;
const LANE: f64 = 34.0;
const TOP: f64 = 30.0;

/// The page for `ops` (with `culprit`, an index into them, outlined) and the faults that
/// overlap them.
pub fn html<Op: Debug, Ret: Debug>(
    title: &str,
    ops: &[Operation<Op, Ret>],
    faults: &[FaultRecord],
    culprit: Option<usize>,
) -> String {
    let start = ops.iter().map(|o| o.invoked_us).min().unwrap_or(0);
    let end = ops
        .iter()
        .flat_map(|o| [Some(o.invoked_us), o.completed.as_ref().map(|c| c.0)])
        .flatten()
        .filter(|&t| t != u64::MAX)
        .max()
        .unwrap_or(start)
        .max(start + 1);
    let span = (end - start) as f64;
    let x = |t: u64| LEFT + (t.clamp(start, end) - start) as f64 / span * (WIDTH - LEFT - 10.0);
    let lanes: BTreeMap<u32, usize> = ops
        .iter()
        .map(|o| o.process)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, i))
        .collect();
    let height = TOP + LANE * lanes.len() as f64 + 20.0;
    let mut svg = String::new();
    for f in faults
        .iter()
        .filter(|f| f.to_us >= start && f.from_us <= end)
    {
        let (a, b) = (x(f.from_us), x(f.to_us));
        let _ = write!(
            svg,
            r##"<rect x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="#f8d7da" opacity="0.6"><title>{}</title></rect><text x="{a:.1}" y="{:.1}" font-size="11" fill="#a33">{}</text>"##,
            (b - a).max(1.0),
            height - TOP - 20.0,
            escape(&format!("{:?}", f.fault)),
            TOP - 8.0,
            escape(&format!("{:?}", f.fault)),
        );
    }
    for (p, lane) in &lanes {
        let y = TOP + LANE * *lane as f64;
        let _ = write!(
            svg,
            r#"<text x="4" y="{:.1}" font-size="12">process {p}</text>"#,
            y + LANE / 2.0 + 4.0
        );
    }
    for (i, o) in ops.iter().enumerate() {
        svg += &bar(o, lanes[&o.process], culprit == Some(i), &x, end, start);
    }
    let legend = format!(
        "{} operations, {:.3} s from {:.3} s; green acknowledged, grey failed, orange unknown, red outline: cannot be placed; shaded: faults",
        ops.len(),
        span / 1e6,
        start as f64 / 1e6
    );
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:sans-serif\">\n<h3>{t}</h3>\n<p>{legend}</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height:.0}\">{svg}</svg>\n</body></html>\n",
        t = escape(title)
    )
}

/// One operation's bar and label.
fn bar<Op: Debug, Ret: Debug>(
    o: &Operation<Op, Ret>,
    lane: usize,
    culprit: bool,
    x: &impl Fn(u64) -> f64,
    end: u64,
    start: u64,
) -> String {
    let y = TOP + LANE * lane as f64 + 4.0;
    let (to, colour, answer) = match &o.completed {
        Some((t, Outcome::Ok, ret)) => (*t, "#9fd89f", format!(" → {ret:?}")),
        Some((t, Outcome::Fail, _)) => (*t, "#cccccc", " → failed".to_string()),
        Some((t, Outcome::Unknown, _)) if *t != u64::MAX => (*t, "#f5c27a", " → ?".into()),
        _ => (end, "#f5c27a", " → ?".into()),
    };
    let (a, b) = (x(o.invoked_us), x(to));
    let stroke = if culprit {
        r#" stroke="red" stroke-width="2""#
    } else {
        ""
    };
    let label = escape(&format!("{:?}{answer}", o.op));
    let when = format!(
        "{:.3}–{:.3} s",
        o.invoked_us as f64 / 1e6,
        to.max(start) as f64 / 1e6
    );
    format!(
        r#"<rect x="{a:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"{stroke}><title>{label} ({when})</title></rect><text x="{:.1}" y="{:.1}" font-size="10">{label}</text>"#,
        (b - a).max(2.0),
        LANE - 8.0,
        a + 2.0,
        y + LANE / 2.0
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::nemesis::Fault;

    #[test]
    fn a_timeline_draws_every_operation_the_faults_and_the_culprit() {
        let ops: Vec<Operation<String, i32>> = vec![
            Operation {
                process: 3,
                op: "write <1>".into(),
                invoked_us: 1_000,
                completed: Some((2_000, Outcome::Ok, Some(1))),
            },
            Operation {
                process: 5,
                op: "read".into(),
                invoked_us: 1_500,
                completed: None,
            },
        ];
        let faults = [FaultRecord {
            fault: Fault::Kill(2),
            from_us: 1_200,
            to_us: 9_000,
        }];
        let page = html("key 0", &ops, &faults, Some(1));
        assert_eq!(page.matches("<rect").count(), 3, "two bars and a fault");
        assert!(page.contains("process 3") && page.contains("process 5"));
        assert!(
            page.contains("&quot;write &lt;1&gt;&quot; → Some(1)"),
            "labels are escaped"
        );
        assert!(page.contains("Kill(2)"));
        assert_eq!(page.matches(r#"stroke="red""#).count(), 1);
        assert!(page.contains("2 operations"));
    }
}
