//! The Explorer answers over HTTP on 127.0.0.1: the page, the status, the initial state with
//! every server LOOKING, and a walk of a few steps with readable states and a sequence
//! diagram.

mod common;
use common::explorer::{free_port, Explorer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The status, head and body of `GET path` on 127.0.0.1:`port`.
fn fetch(port: u16, path: &str) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, head.to_string(), body.to_string()))
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    fetch(port, path).map(|(code, _, body)| (code, body))
}

fn start(args: &[&str]) -> (Explorer, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .arg("explore")
        .args(["--port", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ex = Explorer(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(port, "/").is_some_and(|(c, _)| c == 200) {
            return (ex, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("explorer did not answer on port {port}");
}

fn states(port: u16, path: &str) -> Vec<serde_json::Value> {
    let (code, body) = get(port, path).expect("answer");
    assert_eq!(code, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON list of states")
}

#[test]
fn explorer_serves_the_default_ensemble() {
    let (_ex, port) = start(&[]);
    let (code, page) = get(port, "/").unwrap();
    assert_eq!(code, 200);
    assert!(page.contains("<html") || page.contains("<!DOCTYPE"));
    let (code, status) = get(port, "/.status").unwrap();
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert!(status["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p[1] == "agreement"));

    // The initial state: every server LOOKING, shown readably, not as a derive(Debug) dump.
    let init = states(port, "/.states");
    assert_eq!(init.len(), 1);
    let s = init[0]["state"].as_str().unwrap();
    assert_eq!(s.matches("LOOKING").count(), 3, "{s}");
    assert!(s.contains("s1 LOOKING") && s.contains("acc=0 cur=0"));
    assert!(!s.contains("Server {"), "raw Debug dump: {s}");

    // Walk: always take the first action three times.
    let mut path = "/.states/0".to_string();
    for _ in 0..3 {
        let next = states(port, &path);
        assert!(!next.is_empty());
        let step = &next[0];
        assert!(step["action"].as_str().unwrap().len() > 3);
        assert!(step["svg"].as_str().unwrap().starts_with("<svg"));
        path.push_str(&format!("/{}", step["actionIndex"]));
    }
    let after = states(port, &path);
    assert!(after[0]["state"].as_str().unwrap().contains("s3"));
    assert!(get(port, "/.states/0/9999").unwrap().0 == 404);
}

#[test]
fn explorer_rejects_a_busy_port() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .args(["explore", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The Explorer, serving a scenario's configuration, has the scenario's last step where its
/// route says: the step's state is the one the scenario names (two leaders, of epochs 1 and 2,
/// on either side of the partition).
#[test]
fn explorer_serves_a_scenario_at_its_route() {
    let sc = zab_model::scenarios::find("split-brain-averted").unwrap();
    let route = sc.route().unwrap();
    let (_ex, port) = start(&["--scenario", sc.name]);
    let mut before = format!("/.states/{}", route.init);
    let (last, earlier) = route.actions.split_last().unwrap();
    for a in earlier {
        before.push_str(&format!("/{a}"));
    }
    let steps = states(port, &before);
    let step = steps
        .iter()
        .find(|s| s["actionIndex"] == *last)
        .expect("the route's last action is offered");
    let s = step["state"].as_str().unwrap();
    assert!(s.contains("s1 LEADING") && s.contains("acc=1 cur=1"), "{s}");
    assert!(s.contains("s2 LEADING") && s.contains("acc=2 cur=2"), "{s}");
    assert!(s.contains("partitioned: {s1}"), "{s}");
    // And the printed address is that route.
    assert_eq!(
        route.url(port),
        format!(
            "http://127.0.0.1:{port}/#/steps{}",
            &before["/.states".len()..]
        ) + &format!("/{last}")
    );
}

#[test]
fn explore_refuses_an_unknown_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .args(["explore", "--scenario", "no-such-thing", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("split-brain-averted"),
        "names the known ones: {err}"
    );
}

/// Where `path` on the front sends the browser (its `Location`), if it answers 302.
fn redirect_of(port: u16, path: &str) -> Option<String> {
    let (code, head, _) = fetch(port, path)?;
    (code == 302).then_some(())?;
    head.lines()
        .find_map(|l| l.strip_prefix("Location: ").map(str::to_string))
}

/// The port and route of an Explorer address `http://127.0.0.1:P/#/steps/…`.
fn split_address(address: &str) -> (u16, String) {
    let rest = address.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, route) = rest.split_once('/').unwrap();
    (port.parse().unwrap(), route.to_string())
}

#[test]
fn the_first_page_is_the_explorer_with_the_tour() {
    let (_ex, port) = start(&[]);
    let (code, page) = get(port, "/").unwrap();
    assert_eq!(code, 200);
    assert!(page.contains("Stateright Explorer") && page.contains("data-bind"));
    assert!(page.contains("id=\"zab-tour\""));
    for sc in &zab_model::scenarios::SCENARIOS {
        assert!(
            page.contains(&format!("href=\"/tour/{}\"", sc.name)),
            "{}",
            sc.name
        );
    }
    for b in zab_model::bugs::ALL_BUGS {
        assert!(page.contains(&format!("href=\"/tour/bug/{}\"", b.name())));
    }
    assert_eq!(get(port, "/tour/no-such-stop").unwrap().0, 404);
}

/// A tour stop opens an Explorer of its own configuration and sends the browser to its last
/// step there; the same stop twice is the same Explorer.
#[test]
fn a_tour_stop_sends_the_browser_to_its_last_step() {
    let (_ex, port) = start(&[]);
    let sc = zab_model::scenarios::find("observer-inform").unwrap();
    let to = redirect_of(port, "/tour/observer-inform").expect("a redirect");
    let (site, route) = split_address(&to);
    assert_ne!(site, port, "a configuration of its own");
    assert_eq!(route, sc.route().unwrap().to_string());
    let steps = states(site, &format!("/.states/{}", &route["#/steps/".len()..]));
    assert!(!steps.is_empty(), "the Explorer there knows the route");
    let (code, page) = get(site, "/").unwrap();
    assert_eq!(code, 200);
    assert!(page.contains(sc.title) && page.contains("id=\"zab-last-step\""));
    assert_eq!(redirect_of(port, "/tour/observer-inform"), Some(to));

    let to = redirect_of(port, "/tour/bug/zk-4685").expect("a redirect");
    let (site, route) = split_address(&to);
    assert!(route.starts_with("#/steps/0/"), "{to}");
    let (_, page) = get(site, "/").unwrap();
    assert!(page.contains("Open the counterexample to <code>ack_consistent</code>"));
}
