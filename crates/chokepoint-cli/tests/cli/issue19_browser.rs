//! Issue 19, browser tests: `node --test tests/browser/` (Debian's Chromium driven by
//! playwright-core, pinned in tests/browser/package-lock.json) run from the test suite, so that
//! the README's test command and `.ci/run` run them too. They need Chromium and the npm packages,
//! which `.ci/run` installs (apt-get, `npm ci`) before it sets `CHOKEPOINT_REQUIRE_BROWSER=1`;
//! without that variable a machine lacking them skips with a message instead of failing, as the
//! BoARIO peer tests do.

use std::path::Path;
use std::process::Command;

#[test]
fn issue_19_reports_and_dashboard_in_a_real_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let browser_dir = root.join("tests/browser");
    let required = std::env::var_os("CHOKEPOINT_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    let missing: Vec<&str> = [
        ("/usr/bin/chromium", Path::new("/usr/bin/chromium").exists()),
        (
            "tests/browser/node_modules (npm ci)",
            browser_dir.join("node_modules/playwright-core").exists(),
        ),
        (
            "node",
            Command::new("node").arg("--version").output().is_ok(),
        ),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(what, _)| what)
    .collect();
    if !missing.is_empty() {
        assert!(
            !required,
            "CHOKEPOINT_REQUIRE_BROWSER=1 but missing: {}",
            missing.join(", ")
        );
        eprintln!(
            "skipped: the browser tests need {} (.ci/run installs them)",
            missing.join(", ")
        );
        return;
    }
    let out = Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .arg(&browser_dir)
        .env("CHOKEPOINT_BIN", env!("CARGO_BIN_EXE_chokepoint"))
        .current_dir(&root)
        .output()
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser tests failed:\n{text}");
    // Every test file ran and none was skipped or left to do.
    assert!(text.contains("# fail 0"), "{text}");
    assert!(
        text.contains("# skipped 0") && text.contains("# todo 0"),
        "{text}"
    );
    let passed = text
        .lines()
        .find_map(|l| l.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse::<u32>().ok());
    assert!(passed.is_some_and(|n| n >= 5), "{text}");
}
