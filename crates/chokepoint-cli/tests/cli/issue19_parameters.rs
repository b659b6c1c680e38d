//! Issue 19: the dashboard's key parameters as form fields and a run's progress.
//! `GET /api/scenarios/{name}/parameters` and `POST /api/parameters` list each parameter with
//! its value, unit, range and line; a changed field is an override that reaches the run (and
//! an untouched one leaves the file as it was); a bad value comes back beside its field with
//! the scenario's line; the status reports paths (Monte Carlo) or days (single run) done, from
//! the `progress` lines of `run --progress-lines`, which change no byte of the run folder.

use super::issue19_serve::{http, json, start, wait_done};
use super::{chokepoint, crate_dir, read_files, temp_dir};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

fn tiny() -> String {
    std::fs::read_to_string(crate_dir().join("tests/fixtures/tiny.toml")).unwrap()
}

/// A form's fields, URL-encoded.
fn encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts a form; returns (status, headers in lower case, body).
fn post_form(addr: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let body = encode(fields);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_lowercase(),
        body.into(),
    )
}

/// The table row of parameter `key` in a dashboard page.
fn row<'a>(page: &'a str, key: &str) -> &'a str {
    let at = page
        .find(&format!("<tr data-key=\"{key}\">"))
        .unwrap_or_else(|| panic!("no field for {key}"));
    let end = page[at..].find("</tr>").unwrap();
    &page[at..at + end]
}

/// The tiny fixture with a stockpile whose size is a number table in the product's unit.
fn with_stockpile() -> String {
    format!(
        "{}\n[[stockpile]]\nregion = \"USA\"\nproduct = \"ndfeb-magnet\"\nquantity = {{ value = 50, unit = \"t product\", confidence = \"assumption\" }}\n",
        tiny()
    )
}

#[test]
fn issue_19_parameters_of_a_scenario_with_units_ranges_and_lines() {
    let dir = temp_dir("issue19-parameters", &[]);
    let server = start(&dir, &[]);
    let addr = server.addr.as_str();
    let cohorts = std::fs::read_to_string(crate_dir().join("tests/fixtures/cohorts.toml")).unwrap();
    let jit = "small buyers hold weeks, not months\" }\n";
    let just_in_time = cohorts.replace(
        jit,
        &format!("{jit}products-cover-days = {{ triangular = [1, 3, 7] }}\n"),
    );
    assert_ne!(just_in_time, cohorts);
    // (scenario, key, kind, unit, value, form, [min, max], line)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        f64,
        usize,
    );
    let cases: Vec<(String, Vec<Row>)> = vec![
        (
            "builtin:april-2025".into(),
            vec![
                (
                    "event.4.approval",
                    "approval",
                    "1",
                    "{ beta = [2, 8] }",
                    "distribution",
                    1.0,
                    179,
                ),
                (
                    "event.4.lead-time-days",
                    "lead-time",
                    "days",
                    "{ triangular = [20, 50, 63] }",
                    "distribution",
                    36500.0,
                    180,
                ),
                (
                    "event.4.lead-time-cap",
                    "lead-time-cap",
                    "days",
                    "63",
                    "number",
                    36500.0,
                    181,
                ),
                (
                    "event.4.destination.USA.approval",
                    "approval",
                    "1",
                    "0",
                    "number",
                    1.0,
                    183,
                ),
            ],
        ),
        (
            tiny(),
            vec![
                (
                    "event.0.approval",
                    "approval",
                    "1",
                    "0.6",
                    "number",
                    1.0,
                    116,
                ),
                (
                    "event.0.lead-time-days",
                    "lead-time",
                    "days",
                    "{ uniform = [10, 30] }",
                    "distribution",
                    36500.0,
                    117,
                ),
                (
                    "event.0.destination.USA.approval",
                    "approval",
                    "1",
                    "0",
                    "number",
                    1.0,
                    119,
                ),
            ],
        ),
        (
            with_stockpile(),
            vec![(
                "stockpile.0.quantity",
                "stockpile",
                "t product",
                "50",
                "number",
                1e12,
                124,
            )],
        ),
        (
            cohorts,
            vec![
                (
                    "cohort.0.cover-days",
                    "cover",
                    "days",
                    "80",
                    "number",
                    36500.0,
                    117,
                ),
                (
                    "cohort.1.cover-days",
                    "cover",
                    "days",
                    "10",
                    "number",
                    36500.0,
                    124,
                ),
            ],
        ),
        (
            just_in_time,
            vec![(
                "cohort.1.products-cover-days",
                "cover",
                "days",
                "{ triangular = [1, 3, 7] }",
                "distribution",
                36500.0,
                125,
            )],
        ),
    ];
    for (scenario, rows) in cases {
        let (code, _, body) = if let Some(name) = scenario.strip_prefix("builtin:") {
            http(
                addr,
                "GET",
                &format!("/api/scenarios/{name}/parameters"),
                b"",
            )
        } else {
            let req = serde_json::json!({ "text": scenario });
            http(
                addr,
                "POST",
                "/api/parameters",
                &serde_json::to_vec(&req).unwrap(),
            )
        };
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let list = json(&body)["parameters"].as_array().unwrap().clone();
        for (key, kind, unit, value, form, max, line) in rows {
            let p = list
                .iter()
                .find(|p| p["key"] == key)
                .unwrap_or_else(|| panic!("{key} missing from {list:?}"));
            assert_eq!(p["kind"], kind, "{p}");
            assert_eq!(p["unit"], unit, "{p}");
            assert_eq!(p["value"], value, "{p}");
            assert_eq!(p["form"], form, "{p}");
            assert_eq!(
                (p["min"].as_f64(), p["max"].as_f64()),
                (Some(0.0), Some(max)),
                "{p}"
            );
            assert_eq!(p["line"], line, "{p}");
        }
    }
    // The library scenario's page shows them as fields, a distribution as one.
    let (code, _, page) = http(addr, "GET", "/?scenario=builtin:april-2025", b"");
    assert_eq!(code, 200);
    let page = String::from_utf8_lossy(&page).into_owned();
    let approval = row(&page, "event.4.approval");
    assert!(
        approval.contains("value=\"{ beta = [2, 8] }\""),
        "{approval}"
    );
    assert!(approval.contains("beta distribution"), "{approval}");
    assert!(
        approval.contains("chokepoint-assumption (assumption)"),
        "{approval}"
    );
    let (code, _, _) = http(addr, "GET", "/api/scenarios/no-such/parameters", b"");
    assert_eq!(code, 404);
    let (code, _, body) = http(addr, "GET", "/api/openapi.json", b"");
    assert_eq!(code, 200);
    let doc = json(&body);
    for p in ["/api/scenarios/{name}/parameters", "/api/parameters"] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing");
    }
    assert!(doc["components"]["schemas"]["Status"]["properties"]["progress"].is_object());
}

/// The form as the page sends it: every field with the value shown, except `changed`.
fn fields_of<'a>(
    list: &'a [serde_json::Value],
    changed: &[(&'a str, &'a str)],
) -> Vec<(String, String)> {
    list.iter()
        .map(|p| {
            let key = p["key"].as_str().unwrap();
            let v = changed.iter().find(|c| c.0 == key).map_or_else(
                || p["value"].as_str().unwrap().to_string(),
                |c| c.1.to_string(),
            );
            (format!("param.{key}"), v)
        })
        .collect()
}

fn submit(
    addr: &str,
    text: &str,
    paths: &str,
    fields: &[(String, String)],
) -> (u16, String, String) {
    let mut form: Vec<(&str, &str)> = vec![
        ("scenario", "upload"),
        ("text", text),
        ("paths", paths),
        ("fields-for", "upload"),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    post_form(addr, "/runs", &form)
}

fn uploaded_parameters(addr: &str, text: &str) -> Vec<serde_json::Value> {
    let req = serde_json::json!({ "text": text });
    let (_, _, body) = http(
        addr,
        "POST",
        "/api/parameters",
        &serde_json::to_vec(&req).unwrap(),
    );
    json(&body)["parameters"].as_array().unwrap().clone()
}

fn run_id(head: &str) -> u64 {
    let at = head
        .find("location: /runs/")
        .expect("a redirect to the run")
        + 16;
    head[at..].lines().next().unwrap().trim().parse().unwrap()
}

#[test]
fn issue_19_a_changed_field_is_an_override_and_reaches_the_run() {
    let dir = temp_dir("issue19-fields", &[]);
    let server = start(&dir, &[]);
    let addr = server.addr.as_str();
    let tiny = tiny();
    let list = uploaded_parameters(addr, &tiny);

    // Every field as shown: no override, the file is the upload, byte for byte.
    let (code, head, body) = submit(addr, &tiny, "1", &fields_of(&list, &[]));
    assert_eq!(code, 303, "{body}");
    let same = run_id(&head);
    assert_eq!(wait_done(addr, same)["state"], "done");
    let file =
        |id: u64| std::fs::read_to_string(dir.join(format!("runs/{id}/scenario.toml"))).unwrap();
    assert_eq!(file(same), tiny);

    // The United States' approval odds from 0 to 1: one line changes, in place.
    let changed = fields_of(&list, &[("event.0.destination.USA.approval", "1")]);
    let (code, head, body) = submit(addr, &tiny, "1", &changed);
    assert_eq!(code, 303, "{body}");
    let id = run_id(&head);
    assert_eq!(wait_done(addr, id)["state"], "done");
    let edited = file(id);
    let differ: Vec<(usize, (&str, &str))> = tiny
        .lines()
        .zip(edited.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .collect();
    assert_eq!(tiny.lines().count(), edited.lines().count());
    assert_eq!(
        differ,
        vec![(
            118,
            (
                "destination.USA = { approval = 0.0 }",
                "destination.USA = { approval = 1 }"
            )
        )]
    );
    // The run read that file (its manifest's digest) and its result moved: licences to the
    // United States are approved now, none were before.
    let out = |id: u64| dir.join(format!("runs/{id}/out"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out(id).join("manifest.json")).unwrap()).unwrap();
    let digest = super::sha256_hex(edited.as_bytes());
    assert!(manifest.to_string().contains(&digest), "{manifest}");
    let approved_to_usa = |id: u64| {
        std::fs::read_to_string(out(id).join("licences.csv"))
            .unwrap()
            .lines()
            .filter(|l| l.contains(",USA,") && l.contains(",approved,"))
            .count()
    };
    assert_eq!(approved_to_usa(same), 0);
    assert!(approved_to_usa(id) > 0);
}

#[test]
fn issue_19_a_bad_field_value_shows_its_error_beside_the_field() {
    let dir = temp_dir("issue19-field-errors", &[]);
    let server = start(&dir, &[]);
    let addr = server.addr.as_str();
    let tiny = tiny();
    let list = uploaded_parameters(addr, &tiny);

    // Out of range: the validator's problem, at the field's line, beside that field only.
    let (code, _, page) = submit(
        addr,
        &tiny,
        "1",
        &fields_of(&list, &[("event.0.approval", "1.5")]),
    );
    assert_eq!(code, 422, "{page}");
    let bad = row(&page, "event.0.approval");
    assert!(
        bad.contains("<span class=\"field-error\">line 116:12: `approval` must be between 0 and 1, found 1.5</span>"),
        "{bad}"
    );
    assert!(
        bad.contains("value=\"1.5\""),
        "the field keeps what was typed: {bad}"
    );
    for other in ["event.0.lead-time-days", "event.0.destination.USA.approval"] {
        assert!(
            !row(&page, other).contains("<span class=\"field-error\">"),
            "{other}"
        );
    }
    assert!(
        page.contains("scenario.toml:116:12:"),
        "the list of problems too"
    );

    // Not a TOML value: refused before validation, beside its field.
    let (code, _, page) = submit(
        addr,
        &tiny,
        "1",
        &fields_of(&list, &[("event.0.lead-time-days", "{ uniform = [10, ")]),
    );
    assert_eq!(code, 400, "{page}");
    assert!(row(&page, "event.0.lead-time-days").contains("is not a TOML value"));

    // A destination's approval in an inline table shared with nothing else still finds its row.
    let (code, _, page) = submit(
        addr,
        &tiny,
        "1",
        &fields_of(&list, &[("event.0.destination.USA.approval", "-1")]),
    );
    assert_eq!(code, 422, "{page}");
    assert!(row(&page, "event.0.destination.USA.approval").contains("line 119:"));

    // The API says the same by key.
    let req = serde_json::json!({ "text": tiny, "overrides": [{ "key": "event.0.approval", "value": "1.5" }] });
    let (code, _, body) = http(
        addr,
        "POST",
        "/api/runs",
        &serde_json::to_vec(&req).unwrap(),
    );
    assert_eq!(code, 422);
    let fields = &json(&body)["fields"];
    assert_eq!(
        fields["event.0.approval"][0],
        "line 116:12: `approval` must be between 0 and 1, found 1.5"
    );

    // Fields generated for another scenario are not applied to this one.
    let key = format!("param.{}", list[0]["key"].as_str().unwrap());
    let value = list[0]["value"].as_str().unwrap();
    let (code, _, page) = post_form(
        addr,
        "/runs",
        &[
            ("scenario", "upload"),
            ("text", tiny.as_str()),
            ("fields-for", "builtin:april-2025"),
            (key.as_str(), value),
        ],
    );
    assert_eq!(code, 400, "{page}");
    assert!(page.contains("show the chosen scenario"), "{page}");
}

#[test]
fn issue_19_status_reports_progress_of_paths_and_days() {
    let dir = temp_dir("issue19-progress", &["tiny.toml"]);
    // The lines themselves: every total the same, the last one complete, at most one a percent.
    let lines = |stderr: &str| -> Vec<(u64, u64, String)> {
        stderr
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("progress ")?;
                let (count, unit) = rest.split_once(' ')?;
                let (d, t) = count.split_once('/')?;
                Some((d.parse().ok()?, t.parse().ok()?, unit.to_string()))
            })
            .collect()
    };
    for (args, total, unit) in [
        (vec!["--paths", "8", "--threads", "2"], 8, "paths"),
        (vec![], 60, "days"),
    ] {
        let mut with = vec!["run", "tiny.toml", "-q", "--out", "out", "--progress-lines"];
        with.extend(&args);
        let (code, _, stderr) = chokepoint(&dir, &with);
        assert_eq!(code, 0, "{stderr}");
        let seen = lines(&stderr);
        assert!(!seen.is_empty() && seen.len() <= 101, "{stderr}");
        assert!(
            seen.iter().all(|(_, t, u)| *t == total && u == unit),
            "{stderr}"
        );
        assert_eq!(seen.iter().map(|s| s.0).max(), Some(total), "{stderr}");
        let with_lines = read_files(&dir.join("out"));
        // The flag changes no byte of the folder (the manifest leaves it out).
        let mut without = vec!["run", "tiny.toml", "-q", "--out", "out"];
        without.extend(&args);
        let (code, _, stderr) = chokepoint(&dir, &without);
        assert_eq!(code, 0, "{stderr}");
        assert!(lines(&stderr).is_empty());
        let without_lines = read_files(&dir.join("out"));
        let differ: Vec<&String> = with_lines
            .keys()
            .filter(|k| with_lines.get(*k) != without_lines.get(*k))
            .collect();
        assert!(
            differ.is_empty() && with_lines.len() == without_lines.len(),
            "{differ:?}"
        );
    }

    // The server's status and run page, from those lines.
    let server = start(&dir, &[]);
    let addr = server.addr.as_str();
    for (paths, done, unit) in [(8, 8, "paths"), (1, 60, "days")] {
        let req = serde_json::json!({ "text": tiny(), "paths": paths });
        let (code, _, body) = http(
            addr,
            "POST",
            "/api/runs",
            &serde_json::to_vec(&req).unwrap(),
        );
        assert_eq!(code, 202, "{}", String::from_utf8_lossy(&body));
        let id = json(&body)["id"].as_u64().unwrap();
        let st = wait_done(addr, id);
        assert_eq!(st["state"], "done", "{st}");
        assert_eq!(
            st["progress"],
            serde_json::json!({ "done": done, "total": done, "unit": unit })
        );
        let (_, _, page) = http(addr, "GET", &format!("/runs/{id}"), b"");
        let page = String::from_utf8_lossy(&page);
        assert!(
            page.contains(&format!(
                "<progress id=\"progress\" max=\"{done}\" value=\"{done}\"></progress>"
            )),
            "{page}"
        );
    }
}
