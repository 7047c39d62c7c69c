//! The tour's panel, put into the Explorer's page: what this Explorer shows (a scenario with
//! its explanation, a bug's counterexample) and links to every scenario and bug.

use crate::bugs::ALL_BUGS;
use crate::route::Route;
use crate::scenarios::SCENARIOS;
use crate::svg::escape;
use std::fmt::Write;

/// What an Explorer is opened for, shown above it.
#[derive(Clone, Debug)]
pub enum Focus {
    /// A configuration given by flags: nothing in particular.
    Free,
    /// A guided scenario, with the route to its last step.
    Scenario {
        /// The scenario's name.
        name: &'static str,
        /// Its route.
        route: Route,
    },
    /// A bug switch, with the route to the counterexample the check found (none if the check
    /// found none, e.g. cut short by `--timeout`).
    Bug {
        /// The switch's name.
        name: &'static str,
        /// The property the counterexample breaks, and the route to its last step.
        found: Option<(&'static str, Route)>,
    },
}

/// The Explorer's page with the tour's panel after its header (the page is stateright's; if
/// its header is not where it was, the panel goes first in the body).
pub fn with_panel(page: &str, focus: &Focus, config: &str) -> String {
    let panel = panel(focus, config);
    for anchor in ["</header>", "<body"] {
        if let Some(at) = page.find(anchor) {
            let at = if anchor == "<body" {
                at + page[at..].find('>').map_or(0, |i| i + 1)
            } else {
                at + anchor.len()
            };
            return format!("{}{panel}{}", &page[..at], &page[at..]);
        }
    }
    format!("{panel}{page}")
}

fn panel(focus: &Focus, config: &str) -> String {
    let mut h = String::from(
        "<section id=\"zab-tour\" style=\"padding:0.5em 1em;border-bottom:1px solid #888\">",
    );
    let _ = write!(h, "<p>Exploring <code>{}</code></p>", escape(config));
    match focus {
        Focus::Free => {}
        Focus::Scenario { name, route } => {
            if let Some(sc) = crate::scenarios::find(name) {
                let _ = write!(
                    h,
                    "<h2>{}</h2><p>{}</p><p><a id=\"zab-last-step\" href=\"/{route}\">Open its \
                     last step</a></p>",
                    escape(sc.title),
                    escape(sc.explanation)
                );
            }
        }
        Focus::Bug { name, found } => {
            let _ = write!(h, "<h2>Bug switch <code>{name}</code></h2>");
            match found {
                Some((property, route)) => {
                    let _ = write!(
                        h,
                        "<p><a id=\"zab-last-step\" href=\"/{route}\">Open the counterexample \
                         to <code>{property}</code></a></p>"
                    );
                }
                None => h.push_str("<p>The check found no counterexample.</p>"),
            }
        }
    }
    h.push_str("<details open><summary>Guided tour of Zab</summary><ul>");
    for sc in &SCENARIOS {
        let _ = write!(
            h,
            "<li><a href=\"/tour/{}\">{}</a></li>",
            sc.name,
            escape(sc.title)
        );
    }
    h.push_str("</ul></details><details><summary>Known ZooKeeper bugs</summary><ul>");
    for b in ALL_BUGS {
        let _ = write!(
            h,
            "<li><a href=\"/tour/bug/{}\">{}</a>: {}</li>",
            b.name(),
            b.name(),
            escape(b.summary())
        );
    }
    h.push_str("</ul></details></section>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_goes_after_the_header_and_names_every_stop() {
        let page = "<html><body><header>h</header><main>m</main></body></html>";
        let out = with_panel(page, &Focus::Free, "servers=3");
        let panel_at = out.find("zab-tour").unwrap();
        assert!(out.find("</header>").unwrap() < panel_at);
        assert!(panel_at < out.find("<main>").unwrap());
        for sc in &SCENARIOS {
            assert!(out.contains(&format!("/tour/{}", sc.name)));
        }
        for b in ALL_BUGS {
            assert!(out.contains(&format!("/tour/bug/{}", b.name())));
        }
        let bare = with_panel("<body class=\"x\"><main/></body>", &Focus::Free, "c");
        assert!(bare.starts_with("<body class=\"x\"><section id=\"zab-tour\""));
    }
}
