//! Every guided scenario, opened in headless Chromium at the address `explore --scenario`
//! prints: the rendered page shows the scenario's last step, with the roles, epochs, zxids and
//! histories its explanation names (`Scenario::shows`). Needs Debian's `chromium`
//! (`scripts/test.sh` installs it).

mod common;
use common::explorer::{free_port, Explorer};
use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zab_model::scenarios::SCENARIOS;

/// Serves `scenario` and returns the address of its last step, read from what `explore`
/// prints (so the printed address is what is checked).
fn serve(scenario: &str) -> (Explorer, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .args([
            "explore",
            "--scenario",
            scenario,
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let ex = Explorer(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut printed = String::new();
    let mut buf = [0u8; 4096];
    while !printed.contains("last step: ") || !printed.ends_with('\n') {
        assert!(Instant::now() < deadline, "no address printed: {printed}");
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "explore exited: {printed}");
        printed.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let url = printed
        .lines()
        .find_map(|l| l.strip_prefix("its last step: "))
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
        let (_explorer, url) = serve(sc.name);
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
