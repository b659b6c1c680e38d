//! Issue 19: `chokepoint serve`'s JSON API on loopback: a run goes from queued to done and its
//! folder downloads; a bad scenario answers 422 with every problem at its line and column; a
//! body over the limit 413; a full queue 503 with Retry-After and the accepted runs all
//! finish; the OpenAPI document lists every route. (The pages are tested in Chromium by
//! tests/browser/dashboard.test.mjs.)

use super::{crate_dir, temp_dir};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["serve", "--bind", "127.0.0.1:0", "--runs", "runs"])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("chokepoint serve: http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    Server { child, addr }
}

/// One HTTP/1.1 request; returns (status, headers in lower case, body).
pub(crate) fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // A body over the limit may be refused before it is all sent.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&out[..split]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, out[split + 4..].to_vec())
}

pub(crate) fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn library_request(seed: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "scenario": "builtin:april-2025", "seed": seed }))
        .unwrap()
}

fn run_request(text: &str, seed: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "text": text, "seed": seed })).unwrap()
}

pub(crate) fn wait_done(addr: &str, id: u64) -> serde_json::Value {
    let t = Instant::now();
    loop {
        let (code, _, body) = http(addr, "GET", &format!("/api/runs/{id}"), b"");
        assert_eq!(code, 200);
        let st = json(&body);
        if st["state"] != "queued" && st["state"] != "running" {
            return st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "run {id} never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn issue_19_serve_runs_a_scenario_and_refuses_bad_requests() {
    let dir = temp_dir("issue19-serve", &[]);
    let server = start(&dir, &["--max-body", "200000"]);
    let addr = server.addr.as_str();
    let tiny = std::fs::read_to_string(crate_dir().join("tests/fixtures/tiny.toml")).unwrap();

    let (code, _, body) = http(addr, "GET", "/api/scenarios", b"");
    assert_eq!(code, 200);
    assert!(
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "builtin:april-2025")
    );

    let body = serde_json::json!({
        "text": tiny,
        "paths": 4,
        "overrides": [{ "key": "event.0.destination.USA.approval", "value": "0.5" }],
    });
    let (code, head, body) = http(
        addr,
        "POST",
        "/api/runs",
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(code, 202, "{}", String::from_utf8_lossy(&body));
    assert!(head.contains("location: /api/runs/"), "{head}");
    let id = json(&body)["id"].as_u64().unwrap();
    let st = wait_done(addr, id);
    assert_eq!(st["state"], "done", "{st}");
    let scenario = std::fs::read_to_string(dir.join(format!("runs/{id}/scenario.toml"))).unwrap();
    assert!(scenario.contains("approval = 0.5"), "{scenario}");
    let (code, head, tar) = http(addr, "GET", &format!("/api/runs/{id}/download"), b"");
    assert_eq!(code, 200);
    assert!(head.contains("content-type: application/x-tar"), "{head}");
    let listing = String::from_utf8_lossy(&tar);
    for f in ["bands.csv", "stockout.csv", "manifest.json"] {
        assert!(
            listing.contains(&format!("run-{id}/{f}")),
            "{f} not in the archive"
        );
    }
    let (code, _, html) = http(addr, "GET", &format!("/runs/{id}/report"), b"");
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&html).contains("<svg class=\"chart\""));

    // A bad scenario: every problem with its file:line:column.
    let bad = std::fs::read_to_string(crate_dir().join("tests/fixtures/bad.toml")).unwrap();
    let (code, _, body) = http(addr, "POST", "/api/runs", &run_request(&bad, 1));
    assert_eq!(code, 422);
    let diags = json(&body)["diagnostics"].as_str().unwrap().to_string();
    assert!(
        diags.contains("scenario.toml:8:1: unknown key `colour`"),
        "{diags}"
    );
    assert!(
        diags.contains("scenario.toml:37:10: unknown region `GER`"),
        "{diags}"
    );
    // Unknown request keys, too many paths, an override that does not apply.
    let (code, _, _) = http(
        addr,
        "POST",
        "/api/runs",
        br#"{"scenario": "builtin:april-2025", "colour": 1}"#,
    );
    assert_eq!(code, 422);
    let (code, _, body) = http(
        addr,
        "POST",
        "/api/runs",
        br#"{"scenario": "builtin:april-2025", "paths": 1000000}"#,
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    let req = serde_json::json!({ "text": tiny, "overrides": [{ "key": "event.7.approval", "value": "0.5" }] });
    let (code, _, body) = http(
        addr,
        "POST",
        "/api/runs",
        &serde_json::to_vec(&req).unwrap(),
    );
    assert_eq!(code, 400);
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("index 7 past the 1 tables")
    );
    // Over the body limit.
    let big = run_request(&format!("{tiny}\n#{}", "x".repeat(300_000)), 1);
    let (code, _, _) = http(addr, "POST", "/api/runs", &big);
    assert_eq!(code, 413);

    // The OpenAPI document names every API route.
    let (code, _, body) = http(addr, "GET", "/api/openapi.json", b"");
    assert_eq!(code, 200);
    let doc = json(&body);
    assert_eq!(doc["openapi"], "3.0.3");
    for p in [
        "/api/scenarios",
        "/api/runs",
        "/api/runs/{id}",
        "/api/runs/{id}/download",
        "/runs/{id}/report",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing");
    }
}

/// One worker and a queue of one: of twelve requests at once, those that find the queue full
/// are answered 503 with Retry-After (never dropped silently), and every accepted run ends.
#[test]
fn issue_19_serve_answers_503_when_the_queue_is_full_and_finishes_every_accepted_run() {
    let dir = temp_dir("issue19-serve-queue", &[]);
    let server = start(&dir, &["--workers", "1", "--queue", "1"]);
    let addr = server.addr.clone();
    // The default scenario: a run takes seconds, so twelve requests at once outrun the worker.
    let answers: Vec<(u16, String, Vec<u8>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|k| {
                let addr = &addr;
                s.spawn(move || http(addr, "POST", "/api/runs", &library_request(k)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let full: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    let accepted: Vec<u64> = answers
        .iter()
        .filter(|a| a.0 == 202)
        .map(|a| json(&a.2)["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        full.len() + accepted.len(),
        12,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(
        !full.is_empty(),
        "12 requests at once never filled a queue of one"
    );
    for (_, head, body) in &full {
        assert!(head.contains("retry-after: "), "{head}");
        assert!(
            json(body)["error"]
                .as_str()
                .unwrap()
                .contains("queue is full")
        );
    }
    for id in accepted {
        assert_eq!(wait_done(&addr, id)["state"], "done");
    }
}
