//! `zab-model explore`: stateright's Explorer, one per configuration, each behind a front
//! that puts the guided tour on its page.
//!
//! stateright serves its Explorer for one model and owns every path of its server, so the
//! tour cannot be a page beside it. Each Explorer runs on a loopback port of its own and a
//! front, on the port asked for, passes every request on to it except two: `/` (its page, with
//! the tour's panel put in) and `/tour/…` (a scenario or a bug switch: its own Explorer is
//! opened on first use, and the browser is sent to its last step there). A scenario needs its
//! own configuration, so it gets its own Explorer; there are at most one per scenario and bug
//! switch, plus the one `explore` started with.

mod forward;
mod page;

pub use page::Focus;

use crate::bugs::Bug;
use crate::check::{self, CheckOptions};
use crate::config::Config;
use crate::model::ZabModel;
use crate::route::Route;
use crate::scenarios;
use stateright::{Checker, Model};
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, Server};

/// Threads answering each front: the Explorer's page sends a few requests at a time.
const WORKERS: usize = 4;

/// How long an Explorer may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an Explorer cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The front's port cannot be listened on.
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Listen {
        /// The port asked for.
        port: u16,
        /// What the system said.
        reason: String,
    },
    /// stateright's Explorer did not start listening on its loopback port.
    #[error("the Explorer did not start on 127.0.0.1:{0}")]
    NotStarted(u16),
}

/// Every Explorer this process serves, by tour stop: a scenario's name, `bug/NAME`, or the
/// empty name for the one `explore` started with.
pub struct Tour {
    sites: Mutex<HashMap<String, Site>>,
    threads: usize,
}

/// One Explorer and what it is opened for.
#[derive(Clone)]
struct Site {
    /// The front's port.
    port: u16,
    focus: Focus,
}

impl Tour {
    /// A tour whose bug switches are checked with `threads` checker threads.
    pub fn new(threads: usize) -> Arc<Tour> {
        Arc::new(Tour {
            sites: Mutex::new(HashMap::new()),
            threads: threads.max(1),
        })
    }

    /// Serves `cfg`'s Explorer, with `focus` above it, at 127.0.0.1:`port` (0: any free
    /// port) as tour stop `stop`, on threads of its own. Returns the port.
    pub fn open(
        self: &Arc<Self>,
        stop: &str,
        cfg: Config,
        focus: Focus,
        port: u16,
    ) -> Result<u16, ExploreError> {
        // The Explorer shows states as they are; symmetry would rename servers under the
        // reader's eyes.
        let cfg = Config {
            symmetry: false,
            ..cfg
        };
        let front = Server::http(("127.0.0.1", port)).map_err(|e| ExploreError::Listen {
            port,
            reason: e.to_string(),
        })?;
        let port = front.server_addr().to_ip().map_or(port, |a| a.port());
        let summary = cfg.summary();
        let explorer = start_explorer(cfg)?;
        let front = Arc::new(front);
        for _ in 0..WORKERS {
            let (tour, front, focus, summary) = (
                Arc::clone(self),
                Arc::clone(&front),
                focus.clone(),
                summary.clone(),
            );
            std::thread::spawn(move || loop {
                let Ok(rq) = front.recv() else { return };
                tour.answer(rq, explorer, &focus, &summary);
            });
        }
        let site = Site { port, focus };
        self.lock().insert(stop.to_string(), site);
        Ok(port)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Site>> {
        self.sites.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The Explorer of tour stop `stop`, opened on first use; `None` if there is no such
    /// stop or it cannot be opened.
    fn stop(self: &Arc<Self>, stop: &str) -> Option<Site> {
        // Held while a stop opens, so that two clicks open one Explorer.
        let mut sites = self.lock();
        if let Some(site) = sites.get(stop) {
            return Some(site.clone());
        }
        let (cfg, focus) = if let Some(name) = stop.strip_prefix("bug/") {
            let cfg = Bug::parse(name)?.smallest_config();
            let focus = bug_focus(&cfg, self.threads, None);
            (cfg, focus)
        } else {
            let sc = scenarios::find(stop)?;
            let route = sc.route()?;
            (
                sc.config(),
                Focus::Scenario {
                    name: sc.name,
                    route,
                },
            )
        };
        drop(sites);
        let port = self.open(stop, cfg, focus.clone(), 0).ok()?;
        sites = self.lock();
        Some(sites.get(stop).cloned().unwrap_or(Site { port, focus }))
    }

    fn answer(self: &Arc<Self>, rq: Request, explorer: u16, focus: &Focus, summary: &str) {
        let url = rq.url().to_string();
        let response = match (rq.method(), url.as_str()) {
            (Method::Get, "/") => match forward::forward(explorer, "GET", "/") {
                Ok(a) => {
                    let page = page::with_panel(&String::from_utf8_lossy(&a.body), focus, summary);
                    Response::from_string(page)
                        .with_header(content_type("text/html; charset=utf-8"))
                }
                Err(e) => unavailable(&e),
            },
            (Method::Get, u) if u.starts_with("/tour/") => match self.stop(&u["/tour/".len()..]) {
                Some(site) => redirect(site),
                None => Response::from_string(format!("no tour stop {u}")).with_status_code(404),
            },
            (m, u) => match forward::forward(explorer, m.as_str(), u) {
                Ok(a) => {
                    let mut r = Response::from_data(a.body).with_status_code(a.status);
                    if let Some(t) = a.content_type {
                        r = r.with_header(content_type(&t));
                    }
                    r
                }
                Err(e) => unavailable(&e),
            },
        };
        // A browser that went away is no error of ours.
        let _ = rq.respond(response);
    }
}

/// Starts stateright's Explorer of `cfg` on a free loopback port and waits until it listens.
fn start_explorer(cfg: Config) -> Result<u16, ExploreError> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| ExploreError::Listen {
            port: 0,
            reason: e.to_string(),
        })?
        .port();
    std::thread::spawn(move || {
        // Serves until the process ends.
        let checker = ZabModel::new(cfg).checker().serve(("127.0.0.1", port));
        let _ = checker.unique_state_count();
    });
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(ExploreError::NotStarted(port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(port)
}

/// A bug switch's focus: the check of `cfg` and the route to its first counterexample.
pub fn bug_focus(cfg: &Config, threads: usize, timeout: Option<Duration>) -> Focus {
    let opts = CheckOptions {
        threads,
        progress: false,
        timeout,
        examples: false,
        dfs: false,
        only: Vec::new(),
    };
    let report = check::run(cfg, &opts);
    let found = report.counterexamples.first().and_then(|c| {
        let route: Route = c.explorer.as_deref()?.parse().ok()?;
        Some((c.property, route))
    });
    let name = cfg.bug.map_or("", Bug::name);
    Focus::Bug { name, found }
}

fn redirect(site: Site) -> Response<std::io::Cursor<Vec<u8>>> {
    let route = match &site.focus {
        Focus::Scenario { route, .. }
        | Focus::Bug {
            found: Some((_, route)),
            ..
        } => route.to_string(),
        _ => String::new(),
    };
    let to = format!("http://127.0.0.1:{}/{route}", site.port);
    Response::from_string(format!("see {to}"))
        .with_status_code(302)
        .with_header(Header::from_bytes("Location", to.as_bytes()).expect("an ASCII header"))
}

fn unavailable(e: &std::io::Error) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(format!("the Explorer did not answer: {e}")).with_status_code(502)
}

fn content_type(t: &str) -> Header {
    Header::from_bytes("Content-Type", t.as_bytes()).unwrap_or_else(|_| {
        Header::from_bytes("Content-Type", "application/octet-stream").expect("ASCII")
    })
}
