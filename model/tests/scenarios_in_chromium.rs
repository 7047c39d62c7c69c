//! Every guided scenario, opened in headless Chromium at the address `explore --scenario`
//! prints: the rendered page shows the scenario's last step, with the roles, epochs, zxids and
//! histories its explanation names (`Scenario::shows`); and the tour, from the first page
//! `explore` serves. Needs Debian's `chromium` (`scripts/test.sh` installs it).

mod common;
use common::explorer::{free_port, Explorer};
use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zab_model::scenarios::SCENARIOS;

/// Runs `explore` with `args` and returns the address it prints after `prefix` (so the
/// printed address is what is checked), once it listens.
fn serve(args: &[&str], prefix: &str) -> (Explorer, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .arg("explore")
        .args(args)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let ex = Explorer(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut printed = String::new();
    let mut buf = [0u8; 4096];
    while !printed.contains(prefix) || !printed.ends_with('\n') {
        assert!(Instant::now() < deadline, "no address printed: {printed}");
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "explore exited: {printed}");
        printed.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let url = printed
        .lines()
        .find_map(|l| Some(&l[l.find(prefix)? + prefix.len()..]))
        .unwrap()
        .to_string();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "explorer did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (ex, url)
}

/// The page Chromium renders at `url`, as text: tags dropped, entities decoded, whitespace
/// runs as one space.
fn rendered_text(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("zab-chromium-{}", free_port()));
    let out = Command::new("timeout")
        .arg("60")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium runs (scripts/test.sh installs Debian's chromium)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed on {url}");
    text_of(&String::from_utf8_lossy(&out.stdout))
}

fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_scenario_renders_its_last_step_in_chromium() {
    for sc in &SCENARIOS {
        let (_explorer, url) = serve(&["--scenario", sc.name], "its last step: ");
        let page = rendered_text(&url);
        assert!(
            page.contains("Current State"),
            "{}: not the Explorer",
            sc.name
        );
        for shown in sc.shows {
            let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                page.contains(&shown),
                "{}: {shown:?} is not on the page at {url}",
                sc.name
            );
        }
    }
}

/// The first page lists the tour; its links open each stop at its last step, with the
/// stop's explanation above the Explorer.
#[test]
fn the_tour_opens_from_the_first_page_in_chromium() {
    let (_explorer, front) = serve(&[], " at ");
    let page = rendered_text(&front);
    assert!(page.contains("Current State"), "the Explorer itself");
    for sc in &SCENARIOS {
        assert!(page.contains(sc.title), "{} listed", sc.name);
    }
    let sc = zab_model::scenarios::find("fle-vote-order").unwrap();
    let page = rendered_text(&format!("{front}tour/{}", sc.name));
    assert!(
        page.contains(sc.title),
        "its explanation above the Explorer"
    );
    for shown in sc.shows {
        assert!(page.contains(shown), "{shown:?} after following the link");
    }
    let page = rendered_text(&format!("{front}tour/bug/zk-4685"));
    assert!(
        page.contains("Open the counterexample to ack_consistent"),
        "{page}"
    );
    assert!(page.contains("ACK(NEWLEADER"), "the counterexample's steps");
}
