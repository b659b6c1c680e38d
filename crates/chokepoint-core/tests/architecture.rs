//! Architecture invariants of the workspace's two libraries, checked on their source text
//! (issue 15): no module of `chokepoint-core` or of `chokepoint-ario` refers, directly or
//! through others, back to itself; no function outside tests is longer than 150 lines in the
//! engine (`chokepoint-core/src/engine/`) or anywhere in `chokepoint-ario`; no event kind is
//! matched outside `chokepoint-core/src/event/`; neither library does I/O or reads the
//! environment or the clock, and `chokepoint-ario` depends on no clap, anyhow or libc.
//!
//! The source is first lexed just enough to blank comments, strings and character literals
//! (their newlines kept), so that braces and paths are code: a function runs from its `fn` line
//! to its matching closing brace, and a module's references are its `crate::`, `super::`,
//! `self::` and child-module paths, resolved to the deepest module they name (a path to an
//! item of a module, `super::Item`, is a reference to that module). Each check is also run on
//! a counter-example, so that a check that can no longer fail is noticed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_FN_LINES: usize = 150;

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn src_of(krate: &str) -> PathBuf {
    crates_dir().join(krate).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A source file's code: comments and literals blanked, test modules removed; `tests.rs`
/// files (a `#[cfg(test)] mod tests;` of their parent) are all test code.
fn code_of(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let mut code = blank_literals(&fs::read_to_string(path).unwrap());
    for (a, b) in test_modules(&code).into_iter().rev() {
        code.replace_range(a..=b, "");
    }
    code
}

/// `text` with comments, string and character literals replaced by spaces (newlines kept).
fn blank_literals(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let prev_ident = i > 0 && ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            loop {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r' && !prev_ident && matches!(c.get(i + 1), Some('#') | Some('"')) {
            // raw string r#"..."#: ends at a quote followed by as many #
            let mut hashes = 0;
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while !(c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#'))) {
                j += 1;
            }
            for &ch in &c[i..j + 1 + hashes] {
                out.push(blank(ch));
            }
            i = j + 1 + hashes;
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while c[i] != '"' {
                let step = if c[i] == '\\' { 2 } else { 1 };
                for &ch in &c[i..i + step] {
                    out.push(blank(ch));
                }
                i += step;
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' && (c.get(i + 1) == Some(&'\\') || c.get(i + 2) == Some(&'\'')) {
            // a character literal, not a lifetime
            let mut j = i + 1;
            if c[j] == '\\' {
                j += 2;
            }
            while c[j] != '\'' {
                j += 1;
            }
            for _ in i..=j {
                out.push(' ');
            }
            i = j + 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Byte offset of the brace that closes the one opening at `open`.
fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (k, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces from byte {open}");
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Byte ranges of `#[cfg(test)] mod name { ... }` blocks.
fn test_modules(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("#[cfg(test)]") {
        let at = from + k + "#[cfg(test)]".len();
        let rest = code[at..].trim_start();
        let start = code.len() - rest.len();
        if rest.starts_with("mod ")
            && let Some(open) = rest.find('{').filter(|o| !rest[..*o].contains(';'))
        {
            out.push((start, matching_brace(code, start + open)));
        }
        from = at;
    }
    out
}

/// Every function with a body outside test modules: (name, first line, lines).
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let tests = test_modules(code);
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut k = 0;
    while let Some(found) = code[k..].find("fn ") {
        let at = k + found;
        k = at + 3;
        let word_start =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !word_start || name.is_empty() || tests.iter().any(|(a, b)| (*a..=*b).contains(&at)) {
            continue;
        }
        // the body opens at the first `{` outside parentheses; a `;` first means no body
        let mut depth = 0i32;
        let mut open = None;
        for (j, b) in bytes.iter().enumerate().skip(at) {
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    open = Some(j);
                    break;
                }
                _ => {}
            }
        }
        if let Some(open) = open {
            let first = line_of(code, at);
            let last = line_of(code, matching_brace(code, open));
            out.push((name, first, last - first + 1));
        }
    }
    out
}

/// The module a source file of `src` defines: `lib.rs` is the root, `a/mod.rs` and `a.rs` are
/// `a`.
fn module_of(src: &Path, path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("lib" | "mod")) {
        parts.pop();
    }
    parts
}

/// The paths a piece of code refers to, each as its segments from `crate`, `super` or `self`
/// (use trees expanded), or from one of `children` (modules declared in the file).
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let toks = tokens(code);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let root = toks[i].as_str();
        let preceded = i > 0 && toks[i - 1] == "::";
        let starts = matches!(root, "crate" | "super" | "self") || children.contains(root);
        if preceded || !starts || toks.get(i + 1).map(String::as_str) != Some("::") {
            continue;
        }
        use_tree(&toks, i, vec![], &mut out);
    }
    out
}

/// Identifiers and the punctuation a path is made of.
fn tokens(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let c: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_alphanumeric() || c[i] == '_' {
            let s: String = c[i..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            i += s.chars().count();
            out.push(s);
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else if !c[i].is_whitespace() {
            out.push(c[i].to_string());
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Expands the path (or use tree) starting at token `i` into `out`; returns the token after it.
fn use_tree(
    toks: &[String],
    mut i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match toks.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    i = use_tree(toks, i, prefix.clone(), out);
                    match toks.get(i).map(String::as_str) {
                        Some(",") => i += 1,
                        _ => break,
                    }
                    if toks.get(i).map(String::as_str) == Some("}") {
                        break;
                    }
                }
                return i + 1;
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                prefix.push(t.to_string());
                i += 1;
                if toks.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                } else {
                    out.push(prefix);
                    return i;
                }
            }
            _ => {
                out.push(prefix);
                return i;
            }
        }
    }
}

/// The module a path from `module` names: its deepest prefix that is a module of the crate.
fn target(module: &[String], path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut abs: Vec<String> = Vec::new();
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
        }
        Some("super") => {
            abs = module.to_vec();
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                segs.next();
                abs.pop();
            }
        }
        Some("self") => {
            segs.next();
            abs = module.to_vec();
        }
        _ => abs = module.to_vec(),
    }
    for s in segs {
        let mut next = abs.clone();
        next.push(s.clone());
        if !modules.contains(&next) {
            break;
        }
        abs = next;
    }
    abs
}

/// `module → the modules it refers to` for every source file of `src`, test code left out.
fn module_graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = rust_files(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|p| module_of(src, p)).collect();
    let mut graph = BTreeMap::new();
    for path in &files {
        let module = module_of(src, path);
        let code = code_of(path);
        let children: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(&module))
            .map(|m| m.last().unwrap().clone())
            .collect();
        let edges: BTreeSet<Vec<String>> = paths(&code, &children)
            .iter()
            .map(|p| target(&module, p, &modules))
            .filter(|t| *t != module)
            .collect();
        graph
            .entry(module)
            .or_insert_with(BTreeSet::new)
            .extend(edges);
    }
    graph
}

/// A cycle of the graph, if any (depth-first search).
fn find_cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        m: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        done: &mut BTreeSet<Vec<String>>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(k) = stack.iter().position(|s| s == m) {
            let mut cycle = stack[k..].to_vec();
            cycle.push(m.clone());
            return Some(cycle);
        }
        if !done.insert(m.clone()) {
            return None;
        }
        stack.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = visit(m, graph, &mut done, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn module(path: &str) -> Vec<String> {
    path.split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// No module of either library refers back to itself through others.
#[test]
fn no_module_import_cycles() {
    for krate in ["chokepoint-core", "chokepoint-ario"] {
        let graph = module_graph(&src_of(krate));
        assert!(graph.len() > 10, "{krate}: {graph:?}");
        if let Some(c) = find_cycle(&graph) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            panic!("{krate}: import cycle {}", names.join(" -> "));
        }
    }
    // The scan sees use trees, super:: paths to siblings and items, and child modules.
    let core = module_graph(&src_of("chokepoint-core"));
    let edge = |a: &str, b: &str| core[&module(a)].contains(&module(b));
    assert!(edge("engine::arrivals", "engine::state") && edge("engine", "engine::state"));
    assert!(edge("event::tariff", "event::rules") && edge("scenario", "event"));
    assert!(edge("montecarlo", "engine") && !edge("model", "event"));
    let ario = module_graph(&src_of("chokepoint-ario"));
    let edge = |a: &str, b: &str| ario[&module(a)].contains(&module(b));
    assert!(edge("mineral", "error") && edge("model::step", "model::state"));
    assert!(edge("model::passes", "model::kernels") && !edge("error", "mineral"));
    // And the search finds a cycle when there is one.
    let mut with_cycle = core.clone();
    with_cycle
        .get_mut(&module("model"))
        .unwrap()
        .insert(module("engine"));
    let cycle = find_cycle(&with_cycle).expect("model -> engine -> model");
    assert!(cycle.contains(&module("model")) && cycle.contains(&module("engine")));
}

/// No function outside tests is longer than [`MAX_FN_LINES`] lines in the engine or in the
/// ARIO crate.
#[test]
fn no_function_over_150_lines() {
    let mut all = Vec::new();
    let dirs = [
        crates_dir().join("chokepoint-core/src/engine"),
        src_of("chokepoint-ario"),
    ];
    for path in dirs.iter().flat_map(|d| rust_files(d)) {
        for (name, line, len) in functions(&code_of(&path)) {
            all.push((len, format!("{}:{line} {name}", path.display())));
        }
    }
    all.sort();
    let names: BTreeSet<&str> = all
        .iter()
        .map(|(_, f)| f.rsplit(' ').next().unwrap())
        .collect();
    for known in [
        "step",
        "produce_and_ship",
        "pass_fused_impl",
        "read",
        "new",
        "dot4",
    ] {
        assert!(names.contains(known), "the scan missed fn {known}");
    }
    assert!(all.len() > 150, "only {} functions found", all.len());
    let long: Vec<_> = all.iter().filter(|(len, _)| *len > MAX_FN_LINES).collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines: {long:?}"
    );
}

/// The scanner itself: a long function is measured from its `fn` line to its closing brace,
/// braces in strings, characters and comments do not count, test modules are left out.
#[test]
fn the_function_scan_measures_what_it_should() {
    let body = "    let s = \"}}\"; let c = '{'; // }\n".repeat(160);
    let text = format!(
        "fn long(a: [u8; 2]) -> u8 {{\n{body}    0\n}}\n/* fn x() {{ */\ntrait T {{ fn decl(&self); }}\n#[cfg(test)]\nmod tests {{\n    fn in_test() {{}}\n}}\nfn short<'a>(x: &'a str) -> &'a str {{ x }}\n"
    );
    let f = functions(&blank_literals(&text));
    assert_eq!(
        f,
        vec![("long".to_string(), 1, 163), ("short".to_string(), 170, 1)]
    );
}

/// What an event kind does is its module's business: nothing outside `event/` names a variant
/// of `EventKind`.
#[test]
fn no_event_kind_is_matched_outside_the_event_modules() {
    let src = src_of("chokepoint-core");
    let mut checked = 0;
    for f in rust_files(&src) {
        if f.starts_with(src.join("event")) {
            continue;
        }
        let code = code_of(&f);
        for (i, line) in code.lines().enumerate() {
            let hit = line
                .match_indices("EventKind::")
                .any(|(k, _)| line[k + 11..].starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(!hit, "{}:{}: {line}", f.display(), i + 1);
        }
        checked += 1;
    }
    assert!(checked > 20);
    // The check would see one.
    let code = blank_literals("fn f(e: &Event) { if let EventKind::Tariff(t) = &e.kind {} }");
    assert!(code.contains("EventKind::Tariff"));
}

/// Neither library touches files, the environment, processes, the clock or the terminal, and
/// `chokepoint-ario` depends on no command-line crate.
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
    let found = |code: &str| IO.iter().find(|w| code.contains(*w)).copied();
    for krate in ["chokepoint-core", "chokepoint-ario"] {
        for f in rust_files(&src_of(krate)) {
            let code = code_of(&f);
            if let Some(what) = found(&code) {
                panic!("{}: `{what}` in a library", f.display());
            }
        }
    }
    assert_eq!(
        found(&blank_literals("let t = std::time::Instant::now();")),
        Some("std::time")
    );
    assert_eq!(
        found(&blank_literals("// std::fs::read\nlet s = \"println!\";")),
        None
    );
    let manifest = fs::read_to_string(crates_dir().join("chokepoint-ario/Cargo.toml")).unwrap();
    let deps: Vec<&str> = manifest
        .lines()
        .skip_while(|l| !l.ends_with("dependencies]") || l.starts_with("[dev-"))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['=', ' ', '.']).next())
        .filter(|k| !k.is_empty())
        .collect();
    assert!(deps.contains(&"serde"), "{deps:?}");
    for banned in ["clap", "anyhow", "libc"] {
        assert!(
            !deps.contains(&banned),
            "chokepoint-ario depends on {banned}"
        );
    }
}
