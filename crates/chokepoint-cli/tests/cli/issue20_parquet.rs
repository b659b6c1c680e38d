//! Issue 20, Parquet outputs: with `--format parquet` every tabular file of a folder is its
//! Parquet twin (`NAME.parquet` in place of `NAME.csv`), holding the same columns in the same
//! order, typed, with the same value in every cell; listed in the manifest with its digest;
//! the same bytes for any thread and shard count. Checked here with the parquet crate's arrow
//! reader for every command that writes tables, and from Python with DuckDB
//! (`tests/parquet/check.py`, in the venv `.ci/run` creates; `CHOKEPOINT_REQUIRE_PARQUET_READER=1`
//! makes a missing reader a failure instead of a skip). A build without the `parquet` feature
//! refuses `--format parquet` as a usage error.

use super::{chokepoint, temp_dir};

#[cfg(not(feature = "parquet"))]
#[test]
fn issue_20_parquet_without_the_feature_is_a_usage_error() {
    let dir = temp_dir("issue20-parquet-off", &["tiny.toml"]);
    for args in [
        &["run", "tiny.toml", "--format", "parquet", "--out", "r"][..],
        &["risk", "--out", "k", "--format", "parquet"][..],
    ] {
        let (code, _, err) = chokepoint(&dir, args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("hint: build with --features parquet"), "{err}");
    }
    assert!(!dir.join("r").exists() && !dir.join("k").exists());
}

#[cfg(feature = "parquet")]
mod with_parquet {
    use super::super::{mrio_for_the_mapping, read_files, sha256_hex};
    use super::{chokepoint, temp_dir};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
    use arrow_array::{Array, RecordBatch};
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// A Parquet file's column names, types and nullability, and its rows.
    fn read_parquet(path: &Path) -> (Vec<(String, DataType, bool)>, Vec<RecordBatch>) {
        let f = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let fields = b
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect();
        let batches = b.build().unwrap().map(Result::unwrap).collect();
        (fields, batches)
    }

    fn epoch_days(s: &str) -> i32 {
        let d: jiff::civil::Date = s.parse().unwrap_or_else(|e| panic!("`{s}`: {e}"));
        (d - jiff::civil::Date::constant(1970, 1, 1)).get_days()
    }

    /// Whether the Parquet cell holds the value the CSV cell spells; an empty CSV cell is a null.
    fn same_cell(col: &dyn Array, row: usize, csv: &str) -> bool {
        if col.is_null(row) || csv.is_empty() {
            return col.is_null(row) && csv.is_empty();
        }
        match col.data_type() {
            DataType::Int64 => {
                csv.parse::<i64>().ok() == Some(col.as_primitive::<Int64Type>().value(row))
            }
            DataType::Float64 => {
                let v = col.as_primitive::<Float64Type>().value(row);
                csv.parse::<f64>()
                    .is_ok_and(|x| x.to_bits() == v.to_bits() || (x.is_nan() && v.is_nan()))
            }
            DataType::Boolean => csv == col.as_boolean().value(row).to_string(),
            DataType::Date32 => epoch_days(csv) == col.as_primitive::<Date32Type>().value(row),
            DataType::Dictionary(..) => {
                let d = col.as_dictionary::<Int32Type>();
                let k = d.keys().value(row) as usize;
                d.values().as_string::<i32>().value(k) == csv
            }
            t => panic!("unexpected column type {t}"),
        }
    }

    /// Checks that `pq` is the Parquet twin of the folder `csv` (see the module documentation)
    /// and returns the number of cells compared.
    fn assert_twins(csv: &Path, pq: &Path) -> usize {
        let csv_files = read_files(csv);
        let pq_files = read_files(pq);
        let mut cells = 0;
        let mut tables = 0;
        for (name, bytes) in &csv_files {
            let Some(stem) = name.strip_suffix(".csv") else {
                // Everything but the tables and the manifest (summary.json, labels.json,
                // partial.bin, run_info.json's timing aside) is the same in either format.
                if !["manifest.json", "run_info.json"].contains(&name.as_str()) {
                    assert_eq!(Some(bytes), pq_files.get(name), "{name}");
                }
                continue;
            };
            tables += 1;
            assert!(!pq_files.contains_key(name), "{name} beside its twin");
            let twin = pq.join(format!("{stem}.parquet"));
            let (fields, batches) = read_parquet(&twin);
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
            let names: Vec<String> = fields.iter().map(|f| f.0.clone()).collect();
            assert_eq!(names, header, "{name}: the same columns in the same order");
            for (col, t, _) in &fields {
                let ok = match t {
                    DataType::Dictionary(k, v) => **k == DataType::Int32 && **v == DataType::Utf8,
                    DataType::Int64 | DataType::Float64 | DataType::Boolean | DataType::Date32 => {
                        true
                    }
                    _ => false,
                };
                assert!(ok, "{name} {col}: {t}");
                let dated = [
                    "date",
                    "filed",
                    "decided",
                    "shipped",
                    "first_stockout",
                    "price_peak_date",
                ];
                if dated.contains(&col.as_str()) {
                    assert_eq!(*t, DataType::Date32, "{name} {col}");
                }
            }
            let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
            let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
            assert_eq!(n, rows.len(), "{name}: rows");
            let mut i = 0;
            for b in &batches {
                for row in 0..b.num_rows() {
                    for (j, col) in b.columns().iter().enumerate() {
                        let want = &rows[i][j];
                        assert!(
                            same_cell(col.as_ref(), row, want),
                            "{name} row {} column {}: CSV `{want}`, Parquet {:?}",
                            i + 1,
                            header[j],
                            arrow_array::Array::slice(col.as_ref(), row, 1)
                        );
                        // A required column has no null.
                        assert!(fields[j].2 || !col.is_null(row), "{name} {}", header[j]);
                        cells += 1;
                    }
                    i += 1;
                }
            }
        }
        assert!(tables > 0, "{}: no tables", csv.display());
        assert!(
            !pq_files.keys().any(|n| n.ends_with(".csv")),
            "no CSV in a Parquet folder"
        );
        // The manifest lists each twin with its size and digest (ario's run_info.json lists
        // no files, in either format).
        if let Some(m) = pq_files.get("manifest.json") {
            let m: serde_json::Value = serde_json::from_slice(m).unwrap();
            let listed = m["outputs"].as_array().unwrap();
            for (name, bytes) in pq_files.iter().filter(|(n, _)| n.ends_with(".parquet")) {
                let entry = listed
                    .iter()
                    .find(|o| o["name"] == name.as_str())
                    .unwrap_or_else(|| panic!("{name} not in the manifest"));
                assert_eq!(entry["bytes"], bytes.len() as u64);
                assert_eq!(entry["sha256"], sha256_hex(bytes));
            }
        }
        cells
    }

    /// The digest of every file of a folder but its manifest (which records `--out`).
    fn digests(dir: &Path) -> Vec<(String, String)> {
        read_files(dir)
            .into_iter()
            .filter(|(n, _)| n != "manifest.json")
            .map(|(n, b)| (n, sha256_hex(&b)))
            .collect()
    }

    fn ok(dir: &Path, args: &[&str]) -> String {
        let (code, out, err) = chokepoint(dir, args);
        assert_eq!(code, 0, "{args:?}\n{out}\n{err}");
        out
    }

    /// Runs `args` once as given (CSV) into `NAME-csv` and once with `--format parquet` into
    /// `NAME-parquet`, and returns both folders.
    fn both(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, PathBuf) {
        let (c, p) = (format!("{name}-csv"), format!("{name}-parquet"));
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--out", &c]);
        ok(dir, &a);
        a.truncate(args.len());
        a.extend(["--out", &p, "--format", "parquet"]);
        ok(dir, &a);
        (dir.join(c), dir.join(p))
    }

    /// A scenario of the shipped world with costs and traced origins: every file a single
    /// run can write (timeseries, licences, summary, origins, costs).
    fn costed_with_origins(dir: &Path) {
        let text = fs::read_to_string(dir.join("costed.toml")).unwrap();
        let traced = text.replacen("seed = 1\n", "seed = 1\ntrace-origins = [\"CHN\"]\n", 1);
        assert_ne!(text, traced);
        fs::write(dir.join("traced.toml"), traced).unwrap();
    }

    #[test]
    fn issue_20_parquet_twins_of_a_single_run_hold_the_csv_values() {
        let dir = temp_dir("issue20-parquet-run", &["costed.toml"]);
        costed_with_origins(&dir);
        let (c, p) = both(&dir, "run", &["run", "traced.toml", "-q"]);
        for f in [
            "origins.parquet",
            "costs.parquet",
            "licences.parquet",
            "summary.parquet",
        ] {
            assert!(p.join(f).is_file(), "{f}");
        }
        assert!(assert_twins(&c, &p) > 100_000);
        // The typed schema as docs/outputs.md lists it.
        let (fields, _) = read_parquet(&p.join("timeseries.parquet"));
        let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        assert_eq!(
            fields,
            [
                ("date".to_string(), DataType::Date32, false),
                ("region".to_string(), dict.clone(), false),
                ("partner".to_string(), dict.clone(), true),
                ("product".to_string(), dict.clone(), false),
                ("variable".to_string(), dict.clone(), false),
                ("value".to_string(), DataType::Float64, true),
                ("unit".to_string(), dict, true),
            ]
        );
        let (fields, _) = read_parquet(&p.join("licences.parquet"));
        assert_eq!(fields[0], ("id".to_string(), DataType::Int64, false));
        // The same run again: the same bytes (nothing in the file depends on the time).
        ok(
            &dir,
            &[
                "run",
                "traced.toml",
                "-q",
                "--format",
                "parquet",
                "--out",
                "again",
            ],
        );
        assert_eq!(digests(&p), digests(&dir.join("again")));
        // ario reads a Parquet run's time series like a CSV one's: the same ario.csv.
        let map = mrio_for_the_mapping(&dir);
        let map = map.to_str().unwrap();
        for (run, out) in [
            ("run-csv", "ario-csv"),
            ("run-parquet", "ario-from-parquet"),
        ] {
            ok(
                &dir,
                &[
                    "ario",
                    "--mriot",
                    "mrio",
                    "--steps",
                    "60",
                    "--variables",
                    "production_realised",
                    "--from-run",
                    run,
                    "--mapping",
                    map,
                    "--out",
                    out,
                ],
            );
        }
        assert_eq!(
            fs::read(dir.join("ario-csv/ario.csv")).unwrap(),
            fs::read(dir.join("ario-from-parquet/ario.csv")).unwrap()
        );
    }

    /// Monte Carlo: the twins hold the CSV's values; the Parquet bytes are the same for 1 and
    /// 2 threads and for 3 shards merged (from Parquet or from CSV shards) as for one process.
    #[test]
    fn issue_20_parquet_monte_carlo_is_the_same_for_any_thread_and_shard_count() {
        let dir = temp_dir("issue20-parquet-mc", &["tiny-mc.toml"]);
        let mc = [
            "run",
            "tiny-mc.toml",
            "--paths",
            "24",
            "--seed",
            "5",
            "-q",
            "--threads",
            "1",
        ];
        let (c, p) = both(&dir, "mc", &mc);
        assert!(assert_twins(&c, &p) > 1000);
        let data = |d: &Path| {
            let files = digests(d);
            assert!(
                files.iter().all(|(n, _)| n.ends_with(".parquet")),
                "{files:?}"
            );
            files
        };
        let mut t2 = mc.to_vec();
        t2[mc.len() - 1] = "2";
        t2.extend(["--format", "parquet", "--out", "t2"]);
        ok(&dir, &t2);
        assert_eq!(data(&p), data(&dir.join("t2")));
        let mut parquet_shards = Vec::new();
        let mut csv_shards = Vec::new();
        for i in 0..3 {
            let shard = format!("{i}/3");
            let common = [
                "run",
                "tiny-mc.toml",
                "--paths",
                "24",
                "--seed",
                "5",
                "-q",
                "--shard",
                &shard,
            ];
            let (sc, sp) = both(&dir, &format!("shard{i}"), &common);
            assert_twins(&sc, &sp);
            parquet_shards.push(sp.to_string_lossy().into_owned());
            csv_shards.push(sc.to_string_lossy().into_owned());
        }
        for (shards, out) in [(&parquet_shards, "merged-p"), (&csv_shards, "merged-c")] {
            let mut m: Vec<&str> = vec!["merge"];
            // Shards in another order than they ran.
            m.extend(shards.iter().rev().map(String::as_str));
            m.extend(["--out", out, "--format", "parquet"]);
            ok(&dir, &m);
            assert_eq!(data(&p), data(&dir.join(out)), "{out}");
        }
        // The merged CSV folder of Parquet shards is the single run's CSV.
        let mut m: Vec<&str> = vec!["merge"];
        m.extend(parquet_shards.iter().map(String::as_str));
        m.extend(["--out", "merged-csv"]);
        ok(&dir, &m);
        assert_eq!(digests(&c), digests(&dir.join("merged-csv")));
    }

    /// `compare`, `stockpile`, `risk --out` (issue 21) and `ario --out` write Parquet twins too.
    #[test]
    fn issue_20_every_command_that_writes_tables_writes_parquet_twins() {
        let dir = temp_dir(
            "issue20-parquet-commands",
            &["tiny.toml", "tiny-mc.toml", "costed.toml"],
        );
        let (c, p) = both(
            &dir,
            "compare",
            &["compare", "tiny.toml", "tiny-mc.toml", "--paths", "6", "-q"],
        );
        assert_twins(&c, &p);
        let (c, p) = both(&dir, "risk", &["risk", "--exposure", "--paths", "2", "-q"]);
        for f in [
            "concentration",
            "supply_risk",
            "eu_2023",
            "sources",
            "exposure",
            "exposure_by_scenario",
        ] {
            assert!(p.join(format!("{f}.parquet")).is_file(), "{f}");
        }
        assert_twins(&c, &p);
        let stockpile = [
            "stockpile",
            "costed.toml",
            "--region",
            "USA",
            "--product",
            "dy-oxide",
            "--paths",
            "3",
            "--check-paths",
            "2",
            "--target",
            "0.75",
            "--frontier",
            "0.5,1",
            "--joint",
            "--threads",
            "2",
        ];
        let (c, p) = both(&dir, "stockpile", &stockpile);
        assert_twins(&c, &p);
        let (_, run) = both(&dir, "run", &["run", "tiny.toml", "-q"]);
        let _ = run;
        mrio_for_the_mapping(&dir);
        let (c, p) = both(
            &dir,
            "ario",
            &[
                "ario",
                "--mriot",
                "mrio",
                "--steps",
                "20",
                "--register-stocks",
                "--variables",
                "production_realised,final_demand",
            ],
        );
        assert!(p.join("inputs_stocks.parquet").is_file());
        assert_twins(&c, &p);
    }

    /// `chokepoint report` draws a Parquet folder as it draws the CSV one: the same page but
    /// for the folder's name, for a single run, a Monte Carlo run and a linked risk folder.
    #[test]
    fn issue_20_report_reads_a_parquet_folder() {
        let dir = temp_dir("issue20-parquet-report", &["tiny.toml", "tiny-mc.toml"]);
        both(&dir, "k", &["risk", "-q"]);
        for (name, args) in [
            ("one", &["run", "tiny.toml", "-q"][..]),
            ("mc", &["run", "tiny-mc.toml", "--paths", "8", "-q"][..]),
        ] {
            both(&dir, name, args);
            let mut pages = Vec::new();
            for f in ["csv", "parquet"] {
                let run = format!("{name}-{f}");
                let out = format!("{name}-{f}.html");
                ok(
                    &dir,
                    &["report", &run, "--risk", &format!("k-{f}"), "--out", &out],
                );
                let html = fs::read_to_string(dir.join(&out)).unwrap();
                pages.push(html.replace(&run, "RUN").replace(&format!("k-{f}"), "RISK"));
            }
            assert!(pages[0].contains("<svg"), "{name}");
            assert!(pages[0].contains("Criticality and exposure"), "{name}");
            assert_eq!(pages[0], pages[1], "{name}");
        }
    }

    fn reader_python() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("CHOKEPOINT_PARQUET_PYTHON") {
            return Some(PathBuf::from(p));
        }
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci-venv/bin/python");
        let has_duckdb = Command::new(&venv)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success());
        has_duckdb.then_some(venv)
    }

    /// DuckDB (Python) reads the Parquet outputs of a single run and of a Monte Carlo run and
    /// finds the CSV's values in every cell; the same check fails when one CSV value differs.
    #[test]
    fn issue_20_duckdb_reads_the_csv_values_from_parquet() {
        let required =
            std::env::var_os("CHOKEPOINT_REQUIRE_PARQUET_READER").is_some_and(|v| v == "1");
        let Some(python) = reader_python() else {
            assert!(
                !required,
                "CHOKEPOINT_REQUIRE_PARQUET_READER=1 but no Python with duckdb (.ci-venv, or CHOKEPOINT_PARQUET_PYTHON)"
            );
            eprintln!("skipped: the DuckDB check needs .ci-venv with duckdb (.ci/run creates it)");
            return;
        };
        let dir = temp_dir("issue20-parquet-duckdb", &["tiny.toml", "tiny-mc.toml"]);
        let (c1, p1) = both(&dir, "one", &["run", "tiny.toml", "-q"]);
        let (c2, p2) = both(&dir, "mc", &["run", "tiny-mc.toml", "--paths", "12", "-q"]);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/parquet/check.py");
        let check = |pairs: &[&Path]| {
            Command::new(&python)
                .arg(&script)
                .args(pairs)
                .output()
                .expect("python runs")
        };
        let out = check(&[&c1, &p1, &c2, &p2]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("parquet-check: ok: duckdb"), "{text}");
        // One value changed in the CSV (a licence's quantity): the check must see it.
        let tampered = dir.join("tampered");
        fs::create_dir_all(&tampered).unwrap();
        for (name, bytes) in read_files(&c1) {
            fs::write(tampered.join(name), bytes).unwrap();
        }
        let summary = fs::read_to_string(tampered.join("summary.csv")).unwrap();
        let mut lines: Vec<String> = summary.lines().map(String::from).collect();
        let row = lines
            .iter()
            .position(|l| l.contains(",USA,") || l.starts_with("USA,"))
            .unwrap();
        let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
        cells[3] = format!("{}1", cells[3]);
        lines[row] = cells.join(",");
        fs::write(tampered.join("summary.csv"), lines.join("\n") + "\n").unwrap();
        let out = check(&[&tampered, &p1]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "a changed value went unnoticed");
        assert!(
            err.contains("summary.parquet: row") && err.contains("column need_units"),
            "{err}"
        );
    }
}

/// `emit --format parquet` passes the format to every shard and to the merge it suggests; a
/// CSV job says nothing of formats, as before.
#[test]
fn issue_20_emit_passes_the_format_to_shards_and_merge() {
    let dir = temp_dir("issue20-parquet-emit", &[]);
    for target in ["slurm", "k8s"] {
        let (code, csv, err) = chokepoint(&dir, &["emit", target]);
        assert_eq!(code, 0, "{err}");
        assert!(!csv.contains("--format"), "{csv}");
        let (code, pq, err) = chokepoint(&dir, &["emit", target, "--format", "parquet"]);
        if cfg!(feature = "parquet") {
            assert_eq!(code, 0, "{err}");
            assert!(pq.contains("--quiet --format parquet"), "{pq}");
            assert!(
                pq.contains("--out /runs/mc/merged --format parquet"),
                "{pq}"
            );
            assert_eq!(pq.replace(" --format parquet", ""), csv);
        } else {
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("hint: build with --features parquet"), "{err}");
        }
    }
}
