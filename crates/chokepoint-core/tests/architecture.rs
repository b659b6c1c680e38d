//! Architecture invariants of the workspace's two libraries, checked on their source text
//! (issue 15): the top-level modules of `chokepoint-core` and of `chokepoint-ario` import each
//! other without circles; no function outside tests is longer than 150 lines in the engine
//! (`chokepoint-core/src/engine/`) or in the ARIO model (`chokepoint-ario/src/model/`); no
//! event kind is matched outside `chokepoint-core/src/event/`; neither library does I/O or
//! reads the environment or the clock, and `chokepoint-ario` depends on no clap, anyhow or
//! libc.
//!
//! The reading is line-based (comments and string literals are blanked first), which is exact
//! for rustfmt-formatted code; each check is also tested on a small counter-example, so that a
//! check that can no longer fail is noticed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without comments, string and char literals (blanked to keep line
/// numbers), and without its `#[cfg(test)]` items; `tests.rs` files are all test code.
fn code(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block_comment = 0usize;
    let mut in_string = false;
    for line in text.lines() {
        let mut kept = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_block_comment > 0 {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    in_block_comment -= 1;
                } else if c == '/' && chars.peek() == Some(&'*') {
                    chars.next();
                    in_block_comment += 1;
                }
                continue;
            }
            if in_string {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_string = false;
                    kept.push('"');
                }
                continue;
            }
            match c {
                '/' if chars.peek() == Some(&'/') => break,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    in_block_comment = 1;
                }
                '"' => {
                    in_string = true;
                    kept.push('"');
                }
                '\'' => {
                    // A char literal ('x', '\n', '{') is blanked; a lifetime is kept.
                    let rest: String = chars.clone().take(3).collect();
                    let len = if rest.starts_with('\\') {
                        rest.find('\'').map(|i| i + 1)
                    } else if rest.chars().nth(1) == Some('\'') {
                        Some(2)
                    } else {
                        None
                    };
                    match len {
                        Some(n) => {
                            for _ in 0..n {
                                chars.next();
                            }
                            kept.push_str("' '");
                        }
                        None => kept.push('\''),
                    }
                }
                _ => kept.push(c),
            }
        }
        out.push(kept);
    }
    // Drop `#[cfg(test)]` items: from the attribute to the end of the item it marks.
    let mut i = 0;
    while i < out.len() {
        if out[i].trim() == "#[cfg(test)]" {
            let end = item_end(&out, i).unwrap_or(out.len() - 1);
            for l in &mut out[i..=end] {
                l.clear();
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The last line of the item that starts on line `start`: where its braces close, or its `;`
/// when it has no body; `None` if the file ends first.
fn item_end(lines: &[String], start: usize) -> Option<usize> {
    let (mut depth, mut opened) = (0i64, false);
    for (j, line) in lines.iter().enumerate().skip(start) {
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if (opened && depth == 0) || (!opened && line.trim_end().ends_with(';')) {
            return Some(j);
        }
    }
    None
}

/// Functions longer than `max` lines (signature to closing brace) in `lines`: (name, first
/// line, length).
fn long_functions(lines: &[String], max: usize) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let Some(pos) = t.find("fn ") else { continue };
        let head = &t[..pos];
        let is_fn = head.split_whitespace().all(|w| {
            ["pub", "const", "unsafe", "async", "extern"].contains(&w) || w.starts_with("pub(")
        });
        if !is_fn {
            continue;
        }
        let name: String = t[pos + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(end) = item_end(lines, i) else {
            continue;
        };
        let len = end - i + 1;
        if lines[end].contains('}') && len > max {
            out.push((name, i + 1, len));
        }
    }
    out
}

/// The top-level module a source file belongs to (`engine` for `engine/records.rs`), or `None`
/// for the crate root.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let stem = first.trim_end_matches(".rs").to_string();
    (stem != "lib" && stem != "main").then_some(stem)
}

/// Top-level module → the top-level modules its code names through `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in sources(src) {
        let Some(m) = module_of(src, &f) else {
            continue;
        };
        let deps = graph.entry(m.clone()).or_default();
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        for line in code(&fs::read_to_string(&f).unwrap()) {
            let mut rest = line.as_str();
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                let dep: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !dep.is_empty() && dep != m {
                    deps.insert(dep);
                }
            }
        }
    }
    graph
}

/// One import circle of `graph`, if it has any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        n: &str,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, d, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(graph, n, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_libraries_have_no_import_circles() {
    for krate in ["chokepoint-core", "chokepoint-ario"] {
        let graph = module_graph(&crates_dir().join(krate).join("src"));
        assert!(graph.len() > 5, "{krate}: {graph:?}");
        if let Some(c) = find_cycle(&graph) {
            panic!("{krate}: import circle {}", c.join(" → "));
        }
    }
    // The check finds a circle where there is one.
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&g).map(|c| c.len()), Some(4));
}

#[test]
fn no_function_over_150_lines_in_the_engine_or_the_ario_model() {
    let mut checked = 0;
    for dir in ["chokepoint-core/src/engine", "chokepoint-ario/src/model"] {
        let dir = crates_dir().join(dir);
        let files = if dir.is_dir() {
            sources(&dir)
        } else {
            vec![dir.with_extension("rs")]
        };
        for f in files {
            let long = long_functions(&code(&fs::read_to_string(&f).unwrap()), 150);
            assert!(long.is_empty(), "{}: {long:?}", f.display());
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked} files");
    // The check sees a long function, and not one inside a test module.
    let body = |n: usize| {
        (0..n)
            .map(|i| format!("    let x{i} = '{{';\n"))
            .collect::<String>()
    };
    let long = format!("pub(super) fn long() {{\n{}}}\n", body(150));
    assert_eq!(long_functions(&code(&long), 150), [("long".into(), 1, 152)]);
    let tested = format!("#[cfg(test)]\nmod tests {{\n{long}}}\n");
    assert!(long_functions(&code(&tested), 150).is_empty());
}

#[test]
fn no_event_kind_is_matched_outside_the_event_modules() {
    let src = crates_dir().join("chokepoint-core/src");
    for f in sources(&src) {
        if f.starts_with(src.join("event")) || f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        for (i, line) in code(&fs::read_to_string(&f).unwrap()).iter().enumerate() {
            let hit = line
                .match_indices("EventKind::")
                .any(|(k, _)| line[k + 11..].starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(!hit, "{}:{}: {line}", f.display(), i + 1);
        }
    }
}

#[test]
fn the_libraries_do_no_io_and_ario_needs_no_cli_crates() {
    const IO: [&str; 10] = [
        "std::fs",
        "fs::",
        "File::",
        "std::env",
        "std::process",
        "std::time",
        "Instant",
        "SystemTime",
        "println!",
        "eprintln!",
    ];
    for krate in ["chokepoint-core", "chokepoint-ario"] {
        for f in sources(&crates_dir().join(krate).join("src")) {
            for (i, line) in code(&fs::read_to_string(&f).unwrap()).iter().enumerate() {
                if let Some(what) = IO.iter().find(|w| line.contains(*w)) {
                    panic!("{}:{}: `{what}` in a library: {line}", f.display(), i + 1);
                }
            }
        }
    }
    let manifest = fs::read_to_string(crates_dir().join("chokepoint-ario/Cargo.toml")).unwrap();
    let deps: Vec<&str> = manifest
        .lines()
        .skip_while(|l| !l.starts_with("[dependencies]") && !l.contains("dependencies]"))
        .take_while(|l| !l.starts_with("[dev-dependencies]"))
        .filter_map(|l| l.split(['=', ' ', '.']).next())
        .collect();
    for banned in ["clap", "anyhow", "libc"] {
        assert!(
            !deps.contains(&banned),
            "chokepoint-ario depends on {banned}"
        );
    }
}
