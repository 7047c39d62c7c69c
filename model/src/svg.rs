//! The message sequence diagram the Explorer draws for a path (`Model::as_svg`): one lifeline
//! per server, an arrow from each message's send step to its delivery step, a dot for every
//! local step.

use crate::action::Action;
use crate::config::Config;
use crate::msg::{Link, Packet};
use crate::state::State;
use crate::types::sid_name;
use stateright::Path;
use std::collections::BTreeMap;
use std::fmt::Write;

const COL: usize = 170;
const ROW: usize = 30;

fn x(s: u8) -> usize {
    40 + s as usize * COL
}

fn y(step: usize) -> usize {
    50 + step * ROW
}

/// Text made safe inside HTML or SVG markup and attribute values (the Explorer's page uses
/// it too).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Per link, the step at which each queued message was sent, kept aligned with the queue.
type SendTimes = BTreeMap<Link, Vec<usize>>;

fn queue(st: &State, link: Link) -> Vec<Packet> {
    st.net.queue(link).collect()
}

/// Updates the send times after the step `time` took `before` to `after`.
fn track_sends(
    times: &mut SendTimes,
    before: &State,
    after: &State,
    delivered: Option<Link>,
    time: usize,
) {
    let mut links: Vec<Link> = before
        .net
        .iter()
        .chain(after.net.iter())
        .map(|(l, _)| *l)
        .collect();
    links.dedup();
    links.sort();
    links.dedup();
    for link in links {
        let mut old = queue(before, link);
        let mut old_times = times.remove(&link).unwrap_or_default();
        old_times.resize(old.len(), 0);
        if delivered == Some(link) && !old.is_empty() {
            old.remove(0);
            old_times.remove(0);
        }
        let new = queue(after, link);
        let kept = if new.len() >= old.len() && new[..old.len()] == old[..] {
            old.len()
        } else {
            0
        };
        let mut t: Vec<usize> = old_times[..kept].to_vec();
        t.resize(new.len(), time);
        if !t.is_empty() {
            times.insert(link, t);
        }
    }
}

fn delivered_link(a: &Action) -> Option<Link> {
    match *a {
        Action::Deliver { from, to, .. } => Some(Link {
            from,
            to,
            plane: crate::msg::Plane::Quorum,
        }),
        Action::Notify { from, to, .. } => Some(Link {
            from,
            to,
            plane: crate::msg::Plane::Election,
        }),
        _ => None,
    }
}

/// The SVG the Explorer shows for `path`: a lifeline per server, an arrow per delivered
/// notification or packet (from the step that sent it to the step that delivered it), a dot
/// labelled with the action for every other step, and environment steps (partition, heal) as
/// text.
pub fn sequence_diagram(_cfg: &Config, path: &Path<State, Action>) -> String {
    let steps = path.clone().into_vec();
    let n = steps[0].0.n();
    let width = x(n as u8 - 1) + 420;
    let height = y(steps.len()) + 20;
    let mut svg = format!(
        "<svg version='1.1' width='{width}' height='{height}' viewBox='0 0 {width} {height}' \
         xmlns='http://www.w3.org/2000/svg' font-family='monospace' font-size='11'>\
         <defs><marker id='arrow' markerWidth='10' markerHeight='8' refX='10' refY='4' \
         orient='auto'><polygon points='0 0, 10 4, 0 8' fill='#cfe6ff' /></marker></defs>"
    );
    for s in 0..n as u8 {
        let _ = write!(
            svg,
            "<line x1='{0}' y1='{1}' x2='{0}' y2='{2}' stroke='#8899aa' />\
             <text x='{0}' y='20' text-anchor='middle' font-weight='bold' fill='#eeeeee'>{3}</text>",
            x(s),
            y(0) - 15,
            height - 10,
            sid_name(s)
        );
    }
    let mut times = SendTimes::new();
    for (i, window) in steps.windows(2).enumerate() {
        let (before, action) = (&window[0].0, window[0].1.expect("action between states"));
        let after = &window[1].0;
        let time = i + 1;
        let delivered = delivered_link(&action);
        if let Some(link) = delivered {
            let sent = times
                .get(&link)
                .and_then(|t| t.first().copied())
                .unwrap_or(0);
            let label = match action {
                Action::Deliver { msg, .. } => format!("{msg:?}"),
                Action::Notify { n, .. } => format!("{n:?}"),
                _ => unreachable!(),
            };
            let (x1, y1, x2, y2) = (x(link.from), y(sent), x(link.to), y(time));
            let color = if link.plane == crate::msg::Plane::Election {
                "#7fdc9b"
            } else {
                "#8cc8ff"
            };
            let _ = write!(
                svg,
                "<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' \
                 marker-end='url(#arrow)' /><text x='{}' y='{}' fill='{color}'>{}</text>",
                (x1 + x2) / 2 + 4,
                (y1 + y2) / 2 - 3,
                escape(&label)
            );
        } else {
            let label = escape(&format!("{action:?}"));
            match action.actor() {
                Some(s) => {
                    let _ = write!(
                        svg,
                        "<circle cx='{}' cy='{}' r='5' fill='#ff7b6b' /><text x='{}' y='{}' fill='#f2f2f2'>{}</text>",
                        x(s),
                        y(time),
                        x(s) + 9,
                        y(time) + 4,
                        label
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        "<text x='{}' y='{}' fill='#ffb36b'>{}</text>",
                        x(0),
                        y(time) + 4,
                        label
                    );
                }
            }
        }
        track_sends(&mut times, before, after, delivered, time);
    }
    svg.push_str("</svg>");
    svg
}
