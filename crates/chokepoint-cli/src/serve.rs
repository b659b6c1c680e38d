//! `chokepoint serve`: a local dashboard and JSON API (axum on a tokio runtime), bound to
//! 127.0.0.1 by default.
//!
//! A [`Job`] is one requested run: its scenario text (from the library or uploaded, with the
//! [`Override`]s applied to the TOML before validation; the page's fields for the key
//! [`Parameter`]s become overrides) is validated in the request, written to
//! `RUNS/ID/scenario.toml` and queued; a fixed number of workers take jobs from a bounded
//! queue and run this same binary (`chokepoint run ... --out RUNS/ID/out`), so a run is
//! exactly what the command line would write, under the same limits. A full queue answers 503
//! with `Retry-After`: a job is never dropped silently. [`Server`] holds the jobs and the
//! queue; the pages are plain HTML forms (no script) and the run page embeds the same charts
//! as `chokepoint report`. A worker reads the run's `progress` lines (crate::progress) into the
//! job's [`Progress`], which the status and the run page show.

use crate::Failure;
use crate::parameters::{Override, Parameter, apply_overrides, parameters};
use crate::report::{self, STYLE, page};
use crate::svg::esc;
use anyhow::{Context as _, anyhow};
use axum::extract::{DefaultBodyLimit, Form, Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chokepoint_core::library::SCENARIOS;
use chokepoint_core::scenario::Diagnostics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::mpsc;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Folder the runs are written under (RUNS/ID/out)
    #[arg(long, value_name = "DIR", default_value = "runs/serve")]
    pub runs: PathBuf,
    /// Runs that execute at the same time
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
    /// Runs that may wait for a worker; past it a run request answers 503 with Retry-After
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub queue: u32,
    /// Largest request body, in bytes (an uploaded scenario with its overrides)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: usize,
    /// Most Monte Carlo paths a run may ask for
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub max_paths: u64,
    /// The runs' tabular outputs as `csv` or `parquet` (the charts and the download work on
    /// either; parquet needs a build with `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = crate::tabular::parse_format)]
    pub format: crate::tabular::Format,
}

/// Where a job is.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "state", content = "error")]
enum JobState {
    Queued,
    Running,
    Done,
    Failed(String),
}

struct Job {
    id: usize,
    scenario: String,
    paths: u64,
    seed: Option<u64>,
    state: JobState,
    queued: Instant,
    started: Option<Instant>,
    finished: Option<Instant>,
    progress: Option<Progress>,
}

/// How far a running job is: paths of a Monte Carlo run, days of a single run.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct Progress {
    done: u64,
    total: u64,
    unit: String,
}

struct Server {
    runs: PathBuf,
    exe: PathBuf,
    max_paths: u64,
    format: crate::tabular::Format,
    /// By id; an id is taken before validation, so a refused request leaves a gap.
    jobs: Mutex<BTreeMap<usize, Job>>,
    next: AtomicUsize,
    queue: mpsc::Sender<usize>,
}

/// A run request (`POST /api/runs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RunRequest {
    /// `builtin:NAME` from the library, or absent with `text`.
    scenario: Option<String>,
    /// An uploaded scenario's TOML text.
    text: Option<String>,
    #[serde(default = "one")]
    paths: u64,
    seed: Option<u64>,
    #[serde(default)]
    overrides: Vec<Override>,
}

fn one() -> u64 {
    1
}

/// Why a request was refused, as the API answers it.
struct Refusal {
    status: StatusCode,
    message: String,
    /// A scenario's diagnostics, each with its file:line:column.
    diagnostics: Option<String>,
    /// The problems at a key parameter's value, by its key (shown beside its field).
    fields: BTreeMap<String, Vec<String>>,
}

impl Refusal {
    fn bad(message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            diagnostics: None,
            fields: BTreeMap::new(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.message,
            "diagnostics": self.diagnostics,
            "fields": self.fields,
        });
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            return (self.status, [(header::RETRY_AFTER, "2")], Json(body)).into_response();
        }
        (self.status, Json(body)).into_response()
    }
}

pub fn serve_cmd(args: ServeArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    std::fs::create_dir_all(&args.runs)
        .with_context(|| format!("cannot create `{}`", args.runs.display()))?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .map_err(|e| {
            Failure::input(
                anyhow!(e).context(format!("cannot listen on {}", args.bind)),
                Some("give a free address with --bind, e.g. 127.0.0.1:8081".into()),
            )
        })?;
    let (tx, rx) = mpsc::channel(args.queue as usize);
    let server = Arc::new(Server {
        runs: args.runs.clone(),
        exe: std::env::current_exe().context("cannot find this program's file")?,
        max_paths: args.max_paths,
        format: args.format,
        jobs: Mutex::new(BTreeMap::new()),
        next: AtomicUsize::new(0),
        queue: tx,
    });
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    for _ in 0..args.workers {
        tokio::spawn(worker(server.clone(), rx.clone()));
    }
    let app = Router::new()
        .route("/", get(dashboard))
        .route("/parameters", post(form_parameters_page))
        .route("/runs", post(form_run))
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/report", get(run_report))
        .route("/api/openapi.json", get(openapi))
        .route("/api/scenarios", get(scenarios))
        .route("/api/scenarios/{name}/parameters", get(api_parameters))
        .route("/api/parameters", post(api_parameters_of_text))
        .route("/api/runs", post(api_run).get(api_list))
        .route("/api/runs/{id}", get(api_status))
        .route("/api/runs/{id}/download", get(download))
        .layer(DefaultBodyLimit::max(args.max_body))
        .with_state(server);
    let addr = listener.local_addr().context("no local address")?;
    println!("chokepoint serve: http://{addr}/");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server stopped")?;
    Ok(())
}

/// Takes queued jobs one at a time and runs each as `chokepoint run`.
async fn worker(server: Arc<Server>, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<usize>>>) {
    loop {
        let Some(id) = rx.lock().await.recv().await else {
            return;
        };
        let (paths, seed) = server.update(id, |j| {
            j.state = JobState::Running;
            j.started = Some(Instant::now());
            (j.paths, j.seed)
        });
        let dir = server.runs.join(id.to_string());
        let mut cmd = tokio::process::Command::new(&server.exe);
        cmd.arg("run")
            .arg(dir.join("scenario.toml"))
            .arg("--out")
            .arg(dir.join("out"))
            .arg("-q")
            .arg("--progress-lines")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        // Only when asked: a CSV run's manifest records the command line as before.
        if server.format != crate::tabular::Format::Csv {
            cmd.args(["--format", server.format.as_str()]);
        }
        if paths > 1 {
            cmd.args(["--paths", &paths.to_string(), "--threads", "1"]);
        }
        if let Some(s) = seed {
            cmd.args(["--seed", &s.to_string()]);
        }
        let state = match cmd.spawn() {
            Ok(child) => watch(&server, id, child).await,
            Err(e) => JobState::Failed(format!("cannot start the run: {e}")),
        };
        server.update(id, |j| {
            j.state = state;
            j.finished = Some(Instant::now());
        });
    }
}

/// Follows a run to its end: its `progress` lines move the job's [`Progress`]; every other
/// line of its stderr is what a failed job reports.
async fn watch(server: &Server, id: usize, mut child: tokio::process::Child) -> JobState {
    let mut errors = String::new();
    if let Some(stderr) = child.stderr.take() {
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match crate::progress::parse(&line) {
                Some((done, total, unit)) => server.update(id, |j| {
                    // Workers may print out of order; the count only moves forward.
                    if j.progress.as_ref().is_none_or(|p| p.done <= done) {
                        j.progress = Some(Progress { done, total, unit });
                    }
                }),
                None => {
                    errors.push_str(&line);
                    errors.push('\n');
                }
            }
        }
    }
    match child.wait().await {
        Ok(st) if st.success() => JobState::Done,
        Ok(_) => JobState::Failed(errors.trim().to_string()),
        Err(e) => JobState::Failed(format!("the run was lost: {e}")),
    }
}

impl Server {
    fn update<T>(&self, id: usize, f: impl FnOnce(&mut Job) -> T) -> T {
        let mut jobs = self.jobs.lock().expect("no worker panics holding the lock");
        f(jobs.get_mut(&id).expect("a queued job is listed"))
    }

    /// Validates a request and queues it; returns the job's id.
    fn submit(&self, req: RunRequest) -> Result<usize, Refusal> {
        if req.paths == 0 || req.paths > self.max_paths {
            return Err(Refusal::bad(format!(
                "paths must be between 1 and {} (this server's --max-paths)",
                self.max_paths
            )));
        }
        let (name, text) = match (&req.scenario, &req.text) {
            (Some(spec), None) => {
                let name = spec.strip_prefix("builtin:").unwrap_or(spec);
                let Some((_, _, text)) = SCENARIOS.iter().find(|(n, _, _)| *n == name) else {
                    return Err(Refusal::bad(format!("unknown library scenario `{spec}`")));
                };
                (format!("builtin:{name}"), text.to_string())
            }
            (None, Some(text)) => ("uploaded".to_string(), text.clone()),
            _ => return Err(Refusal::bad("give either `scenario` or `text`")),
        };
        let text = apply_overrides(&text, &req.overrides).map_err(|e| {
            let mut r = Refusal::bad(e.to_string());
            if !e.key.is_empty() {
                r.fields.insert(e.key, vec![e.message]);
            }
            r
        })?;
        // Validation (a few ms for a small scenario) runs outside the lock, so concurrent
        // requests validate at the same time; each has its own id and folder.
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = self.runs.join(id.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("scenario.toml");
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, &text))
            .map_err(|e| Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: format!("cannot write the scenario: {e}"),
                diagnostics: None,
                fields: BTreeMap::new(),
            })?;
        let loaded = crate::inputs::load(&file.to_string_lossy())
            .map_err(|_| Refusal::bad("cannot read the scenario back"))?;
        if let Err(diags) = loaded.parse(None).result {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(Refusal {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: format!("the scenario is not valid ({} problems)", diags.errors()),
                diagnostics: Some(diags.to_string()),
                fields: field_problems(&text, &loaded.display, &diags),
            });
        }
        // Listed before it is queued, so a worker always finds it.
        let mut jobs = self.jobs.lock().expect("no panics holding the lock");
        jobs.insert(
            id,
            Job {
                id,
                scenario: name,
                paths: req.paths,
                seed: req.seed,
                state: JobState::Queued,
                queued: Instant::now(),
                started: None,
                finished: None,
                progress: None,
            },
        );
        if self.queue.try_send(id).is_err() {
            jobs.remove(&id);
            let _ = std::fs::remove_dir_all(&dir);
            return Err(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "the run queue is full: try again shortly".into(),
                diagnostics: None,
                fields: BTreeMap::new(),
            });
        }
        Ok(id)
    }

    fn status(&self, id: usize) -> Option<serde_json::Value> {
        let jobs = self.jobs.lock().expect("no panics holding the lock");
        let j = jobs.get(&id)?;
        let secs = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(b.duration_since(a).as_secs_f64()),
            (Some(a), None) => Some(a.elapsed().as_secs_f64()),
            _ => None,
        };
        let (state, error) = match &j.state {
            JobState::Failed(e) => ("failed", Some(e.clone())),
            JobState::Queued => ("queued", None),
            JobState::Running => ("running", None),
            JobState::Done => ("done", None),
        };
        Some(serde_json::json!({
            "id": j.id,
            "scenario": j.scenario,
            "paths": j.paths,
            "seed": j.seed,
            "state": state,
            "error": error,
            "waited_s": secs(Some(j.queued), j.started),
            "running_s": secs(j.started, j.finished),
            "progress": j.progress,
            "report": format!("/runs/{}/report", j.id),
            "download": format!("/api/runs/{}/download", j.id),
        }))
    }
}

/// The problems of a scenario that lie in a key parameter's value, by the parameter's key, each
/// as `line L:C: message` (with its hint). Where several parameters share a line (a
/// destination's approval and lead time in one inline table), a problem goes to the last one
/// that starts at or before its column.
fn field_problems(text: &str, file: &str, diags: &Diagnostics) -> BTreeMap<String, Vec<String>> {
    let params = parameters(text, &|_| None).unwrap_or_default();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in diags.0.iter().filter(|d| d.file == file) {
        let on_line = params
            .iter()
            .filter(|p| (p.line..=p.end_line).contains(&d.line));
        let at = on_line
            .clone()
            .rfind(|p| p.line < d.line || p.column <= d.column)
            .or_else(|| on_line.clone().next());
        if let Some(p) = at {
            let hint = d
                .hint
                .as_ref()
                .map_or(String::new(), |h| format!(" (hint: {h})"));
            out.entry(p.key.clone())
                .or_default()
                .push(format!("line {}:{}: {}{hint}", d.line, d.column, d.message));
        }
    }
    out
}

/// The key parameters of a scenario's text, with the units of its products when its world can
/// be read (`dir`: where an uploaded scenario's relative base is looked for).
fn scenario_parameters(
    name: &str,
    text: &str,
    dir: &std::path::Path,
) -> Result<Vec<Parameter>, String> {
    let loaded = crate::inputs::Loaded {
        spec: name.to_string(),
        display: "scenario.toml".into(),
        stem: "scenario".into(),
        text: text.to_string(),
        dir: Some(dir.to_path_buf()),
    };
    let world = loaded.parse(None).result.ok().map(|s| s.world);
    let unit_of = |code: &str| {
        world
            .as_ref()
            .and_then(|w| w.products.iter().find(|p| p.code == code))
            .map(|p| p.unit.clone())
    };
    parameters(text, &unit_of)
}

/// A library scenario's text by `NAME` or `builtin:NAME`.
fn library_text(spec: &str) -> Option<(String, &'static str)> {
    let name = spec.strip_prefix("builtin:").unwrap_or(spec);
    SCENARIOS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, _, text)| (format!("builtin:{n}"), *text))
}

type Shared = State<Arc<Server>>;

async fn api_run(State(s): Shared, Json(req): Json<RunRequest>) -> Response {
    let server = s.clone();
    let submitted = tokio::task::spawn_blocking(move || server.submit(req))
        .await
        .unwrap_or_else(|_| Err(Refusal::bad("the request could not be handled")));
    match submitted {
        Ok(id) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/runs/{id}"))],
            Json(s.status(id)),
        )
            .into_response(),
        Err(r) => r.into_response(),
    }
}

async fn api_list(State(s): Shared) -> Json<Vec<serde_json::Value>> {
    let ids: Vec<usize> = s
        .jobs
        .lock()
        .expect("no panics holding the lock")
        .keys()
        .copied()
        .collect();
    Json(ids.into_iter().filter_map(|id| s.status(id)).collect())
}

async fn api_status(State(s): Shared, UrlPath(id): UrlPath<usize>) -> Response {
    match s.status(id) {
        Some(v) => Json(v).into_response(),
        None => Refusal {
            status: StatusCode::NOT_FOUND,
            message: format!("no run {id}"),
            diagnostics: None,
            fields: BTreeMap::new(),
        }
        .into_response(),
    }
}

async fn scenarios() -> Json<Vec<serde_json::Value>> {
    Json(
        SCENARIOS
            .iter()
            .map(|(name, file, _)| serde_json::json!({ "name": format!("builtin:{name}"), "file": file }))
            .collect(),
    )
}

/// The folder of a finished run, or why there is none.
fn finished(s: &Server, id: usize) -> Result<PathBuf, Refusal> {
    match s
        .status(id)
        .as_ref()
        .and_then(|v| v["state"].as_str().map(String::from))
    {
        Some(state) if state == "done" => Ok(s.runs.join(id.to_string()).join("out")),
        Some(state) => Err(Refusal {
            status: StatusCode::CONFLICT,
            message: format!("run {id} is {state}"),
            diagnostics: None,
            fields: BTreeMap::new(),
        }),
        None => Err(Refusal {
            status: StatusCode::NOT_FOUND,
            message: format!("no run {id}"),
            diagnostics: None,
            fields: BTreeMap::new(),
        }),
    }
}

/// The run folder as a tar archive (`run-ID/...`).
async fn download(State(s): Shared, UrlPath(id): UrlPath<usize>) -> Response {
    let dir = match finished(&s, id) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let archive = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        b.mode(tar::HeaderMode::Deterministic);
        b.append_dir_all(format!("run-{id}"), &dir)?;
        b.into_inner()
    })
    .await;
    match archive {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "application/x-tar".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"run-{id}.tar\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot pack the run folder",
        )
            .into_response(),
    }
}

async fn run_report(State(s): Shared, UrlPath(id): UrlPath<usize>) -> Response {
    let dir = match finished(&s, id) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    match tokio::task::spawn_blocking(move || report::build(&dir, report::Linked::default(), 4))
        .await
    {
        Ok(Ok(html)) => Html(html).into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "cannot draw the report").into_response(),
    }
}

/// The dashboard's form: a library scenario or an uploaded text, the paths, a seed, a field
/// per key parameter of the scenario shown (`param.KEY`, with `fields-for` naming the scenario
/// they were generated from) and further overrides as `key = value` lines.
#[derive(Debug, Default, Deserialize)]
struct RunForm {
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    paths: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    overrides: String,
    #[serde(default, rename = "fields-for")]
    fields_for: String,
    /// `param.KEY` → the value typed (the other fields of the form land here too).
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

impl RunForm {
    /// The scenario's text, or why there is none.
    fn scenario_text(&self) -> Result<(String, String), Refusal> {
        if self.scenario == "upload" {
            return Ok(("uploaded".into(), self.text.clone()));
        }
        library_text(&self.scenario)
            .map(|(n, t)| (n, t.to_string()))
            .ok_or_else(|| Refusal::bad(format!("unknown library scenario `{}`", self.scenario)))
    }

    /// The typed value of parameter `key`, when the form has its field.
    fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(&format!("param.{key}")).map(String::as_str)
    }
}

/// The form as a run request: a field whose value differs from the parameter's value in the
/// scenario is an override (so an untouched field keeps the file's number and its source).
fn form_request(f: &RunForm, params: &[Parameter]) -> Result<RunRequest, Refusal> {
    let paths = match f.paths.trim() {
        "" => 1,
        p => p
            .parse()
            .map_err(|_| Refusal::bad(format!("paths: `{p}` is not a whole number")))?,
    };
    let seed = match f.seed.trim() {
        "" => None,
        v => Some(
            v.parse()
                .map_err(|_| Refusal::bad(format!("seed: `{v}` is not a whole number")))?,
        ),
    };
    let mut overrides = Vec::new();
    let typed = f.fields.keys().any(|k| k.starts_with("param."));
    if typed && f.fields_for != f.scenario {
        return Err(Refusal::bad(format!(
            "the parameter fields are those of `{}`, not of `{}`: show the chosen scenario's parameters first",
            f.fields_for, f.scenario
        )));
    }
    for p in params {
        if let Some(v) = f.field(&p.key).map(str::trim)
            && v != p.value
        {
            overrides.push(Override {
                key: p.key.clone(),
                value: v.to_string(),
            });
        }
    }
    for line in f.overrides.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| Refusal::bad(format!("override `{line}`: write key = value")))?;
        overrides.push(Override {
            key: key.trim().to_string(),
            value: value.trim().to_string(),
        });
    }
    let upload = f.scenario == "upload";
    Ok(RunRequest {
        scenario: (!upload).then(|| f.scenario.clone()),
        text: upload.then(|| f.text.clone()),
        paths,
        seed,
        overrides,
    })
}

/// The key parameters of the form's scenario (none, with a note, when it cannot be read).
async fn form_parameters(s: &Arc<Server>, f: &RunForm) -> Result<Vec<Parameter>, String> {
    if f.scenario.is_empty() {
        return Ok(Vec::new());
    }
    let (name, text) = f.scenario_text().map_err(|r| r.message)?;
    let dir = s.runs.clone();
    tokio::task::spawn_blocking(move || scenario_parameters(&name, &text, &dir))
        .await
        .unwrap_or_else(|_| Err("the parameters could not be read".into()))
}

async fn form_run(State(s): Shared, Form(f): Form<RunForm>) -> Response {
    let params = form_parameters(&s, &f).await;
    let request = form_request(&f, params.as_deref().unwrap_or_default());
    let server = s.clone();
    let submitted = match request {
        Ok(r) => tokio::task::spawn_blocking(move || server.submit(r))
            .await
            .unwrap_or_else(|_| Err(Refusal::bad("the request could not be handled"))),
        Err(e) => Err(e),
    };
    match submitted {
        Ok(id) => Redirect::to(&format!("/runs/{id}")).into_response(),
        Err(r) => {
            let status = r.status;
            (status, Html(dashboard_page(Some(&r), &f, &params))).into_response()
        }
    }
}

/// The dashboard with the fields of the chosen (or uploaded) scenario's key parameters.
async fn form_parameters_page(State(s): Shared, Form(mut f): Form<RunForm>) -> Html<String> {
    // The fields shown are the scenario's own values, not what an earlier scenario's had.
    f.fields.retain(|k, _| !k.starts_with("param."));
    let params = form_parameters(&s, &f).await;
    Html(dashboard_page(None, &f, &params))
}

/// `GET /?scenario=builtin:NAME` shows that scenario's parameters at once.
#[derive(Debug, Deserialize)]
struct Chosen {
    scenario: Option<String>,
}

async fn dashboard(State(s): Shared, Query(q): Query<Chosen>) -> Html<String> {
    let f = RunForm {
        scenario: q.scenario.unwrap_or_default(),
        paths: "1".into(),
        ..RunForm::default()
    };
    let params = form_parameters(&s, &f).await;
    Html(dashboard_page(None, &f, &params))
}

/// An element id from a parameter key (`event.0.approval` → `param-event-0-approval`).
fn field_id(key: &str) -> String {
    let mut id = String::from("param-");
    id.extend(
        key.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
    );
    id
}

fn number_text(x: f64) -> String {
    if x >= 1e6 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// One table row per key parameter: its field (the typed value, else the scenario's), unit,
/// valid range, source and the problems found at its line.
fn parameter_rows(params: &[Parameter], f: &RunForm, refusal: Option<&Refusal>) -> String {
    let mut rows = String::new();
    for p in params {
        let id = field_id(&p.key);
        let value = f.field(&p.key).unwrap_or(&p.value);
        let form = match &p.distribution {
            Some(d) => format!(
                "<span class=\"note\">{d} distribution: edit it whole, or write a number to fix it</span>"
            ),
            None => String::new(),
        };
        let range = format!(
            "[{}, {}]{}",
            number_text(p.min),
            number_text(p.max),
            if p.integer { " whole" } else { "" }
        );
        let source = match (&p.source, &p.confidence) {
            (Some(s), Some(c)) => format!("{s} ({c})"),
            (Some(s), None) => s.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => String::new(),
        };
        let problems = refusal
            .and_then(|r| r.fields.get(&p.key))
            .map_or(String::new(), |ps| {
                ps.iter()
                    .map(|m| format!("<span class=\"field-error\">{}</span>", esc(m)))
                    .collect()
            });
        let invalid = if problems.is_empty() {
            ""
        } else {
            " aria-invalid=\"true\""
        };
        let _ = std::fmt::Write::write_fmt(
            &mut rows,
            format_args!(
                "<tr data-key=\"{key}\"><td><label for=\"{id}\">{label}</label> <span class=\"note\">line {line}</span></td>\
<td><input name=\"param.{key}\" id=\"{id}\" data-key=\"{key}\" value=\"{value}\" size=\"{size}\"{invalid} title=\"{rule}\">{form}\
<div class=\"field-errors\" id=\"{id}-errors\">{problems}</div></td><td>{unit}</td><td title=\"{rule}\">{range}</td><td>{source}</td></tr>",
                key = esc(&p.key),
                label = esc(&p.label),
                line = p.line,
                value = esc(value),
                size = value.len().clamp(6, 40),
                rule = esc(p.rule),
                unit = esc(&p.unit),
                source = esc(&source),
            ),
        );
    }
    rows
}

fn dashboard_page(
    refusal: Option<&Refusal>,
    f: &RunForm,
    params: &Result<Vec<Parameter>, String>,
) -> String {
    let mut options = String::from("<option value=\"upload\">upload (paste below)</option>");
    for (name, _, _) in SCENARIOS {
        let v = format!("builtin:{name}");
        let sel = if f.scenario == v { " selected" } else { "" };
        options.push_str(&format!("<option value=\"{v}\"{sel}>{v}</option>"));
    }
    let errors = refusal.map_or(String::new(), |r| {
        format!(
            "<div id=\"errors\"><p><strong>{}</strong></p>{}</div>",
            esc(&r.message),
            r.diagnostics.as_deref().map_or(String::new(), |d| format!(
                "<pre class=\"errors\">{}</pre>",
                esc(d)
            ))
        )
    });
    let fields = match params {
        Ok(ps) if !ps.is_empty() => format!(
            "<fieldset id=\"parameters\"><legend>Key parameters of {shown}</legend>\
<p class=\"note\">A field left as shown keeps the scenario's value and its source; a changed one replaces it \
(validated like the file: a problem shows beside its field with its line). A distribution is edited whole.</p>\
<input type=\"hidden\" name=\"fields-for\" value=\"{name}\">\
<table class=\"params\"><tr><th>parameter</th><th>value</th><th>unit</th><th>valid</th><th>source</th></tr>{rows}</table></fieldset>",
            name = esc(&f.scenario),
            rows = parameter_rows(ps, f, refusal),
            shown = if f.scenario == "upload" {
                "the uploaded scenario".to_string()
            } else {
                esc(&f.scenario)
            },
        ),
        Ok(_) if f.scenario.is_empty() => String::new(),
        Ok(_) => "<p class=\"note\" id=\"parameters\">This scenario has no approval odds, lead times, stockpiles or cohort cover to edit here.</p>".into(),
        Err(e) => format!("<p class=\"note\" id=\"parameters\">No parameter fields: {}</p>", esc(e)),
    };
    let body = format!(
        "<h1>chokepoint dashboard</h1>{errors}\
<form method=\"post\" action=\"/runs\">\
<p><label>Scenario <select name=\"scenario\" id=\"scenario\">{options}</select></label> \
<button type=\"submit\" formaction=\"/parameters\" id=\"show-parameters\">Show its parameters</button></p>\
<p><label>Uploaded scenario (TOML)<br><textarea name=\"text\" id=\"text\" rows=\"12\" cols=\"100\">{text}</textarea></label></p>\
<p><label>Paths <input name=\"paths\" id=\"paths\" value=\"{paths}\" size=\"6\"></label> \
<label>Seed <input name=\"seed\" id=\"seed\" value=\"{seed}\" size=\"8\" placeholder=\"scenario's\"></label></p>\
{fields}\
<p><label>Other parameters to change, one <code>key = value</code> a line (a dotted path into the scenario's TOML: \
<code>event.0.approval = 0.3</code>, <code>event.0.destination.USA.approval = 0.1</code>, \
<code>event.0.lead-time-days = {{ triangular = [20, 40, 63] }}</code>, <code>stockpile.0.quantity = 500</code>, \
<code>cohort.0.cover-days = 20</code>)<br>\
<textarea name=\"overrides\" id=\"overrides\" rows=\"4\" cols=\"100\">{overrides}</textarea></label></p>\
<p><button type=\"submit\" id=\"run\">Run</button></p></form>\
<p class=\"note\">API: <a href=\"/api/openapi.json\">/api/openapi.json</a>; runs so far: <a href=\"/api/runs\">/api/runs</a>.</p>",
        text = esc(&f.text),
        paths = esc(&f.paths),
        seed = esc(&f.seed),
        overrides = esc(&f.overrides),
    );
    page("chokepoint dashboard", &body)
}

/// `GET /api/scenarios/{name}/parameters`: a library scenario's key parameters.
async fn api_parameters(State(s): Shared, UrlPath(name): UrlPath<String>) -> Response {
    let Some((name, text)) = library_text(&name) else {
        return Refusal {
            status: StatusCode::NOT_FOUND,
            message: format!("no library scenario `{name}`"),
            diagnostics: None,
            fields: BTreeMap::new(),
        }
        .into_response();
    };
    parameters_response(&s, name, text.to_string()).await
}

/// `POST /api/parameters` with `{ "text": TOML }`: an uploaded scenario's key parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParametersRequest {
    text: String,
}

async fn api_parameters_of_text(State(s): Shared, Json(req): Json<ParametersRequest>) -> Response {
    parameters_response(&s, "uploaded".into(), req.text).await
}

async fn parameters_response(s: &Arc<Server>, name: String, text: String) -> Response {
    let dir = s.runs.clone();
    let scenario = name.clone();
    let found = tokio::task::spawn_blocking(move || scenario_parameters(&name, &text, &dir))
        .await
        .unwrap_or_else(|_| Err("the parameters could not be read".into()));
    match found {
        Ok(ps) => {
            Json(serde_json::json!({ "scenario": scenario, "parameters": ps })).into_response()
        }
        Err(e) => Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: e,
            diagnostics: None,
            fields: BTreeMap::new(),
        }
        .into_response(),
    }
}

/// A run's page: its state (refreshing itself while it waits or runs), then its report's
/// charts and the download.
async fn run_page(State(s): Shared, UrlPath(id): UrlPath<usize>) -> Response {
    let Some(st) = s.status(id) else {
        return (
            StatusCode::NOT_FOUND,
            Html(page("no such run", "<p>No such run.</p>")),
        )
            .into_response();
    };
    let state = st["state"].as_str().unwrap_or("?").to_string();
    let head = format!(
        "<p><a href=\"/\">dashboard</a></p><h1>Run {id}: {}</h1><p id=\"state\" data-state=\"{state}\">{state}{}</p>{}",
        esc(st["scenario"].as_str().unwrap_or("")),
        st["running_s"]
            .as_f64()
            .map_or(String::new(), |t| format!(", {t:.1} s")),
        progress_bar(&state, &st["progress"])
    );
    let body = match state.as_str() {
        "done" => {
            let dir = s.runs.join(id.to_string()).join("out");
            let report = tokio::task::spawn_blocking(move || {
                report::build(&dir, report::Linked::default(), 4)
            })
            .await;
            let charts = match report {
                Ok(Ok(html)) => inner_body(&html),
                _ => "<p>The report cannot be drawn.</p>".into(),
            };
            format!(
                "{head}<p><a id=\"download\" href=\"/api/runs/{id}/download\">download the run folder (tar)</a> · \
<a href=\"/runs/{id}/report\">report on its own</a></p>{charts}"
            )
        }
        "failed" => format!(
            "{head}<pre class=\"errors\">{}</pre>",
            esc(st["error"].as_str().unwrap_or(""))
        ),
        _ => head,
    };
    let refresh = if matches!(state.as_str(), "queued" | "running") {
        "<meta http-equiv=\"refresh\" content=\"1\">"
    } else {
        ""
    };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{refresh}<title>run {id}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    ))
    .into_response()
}

/// The run's progress as a bar: empty (indeterminate) while it waits for a worker or for its
/// first count, then paths or days done of the total.
fn progress_bar(state: &str, progress: &serde_json::Value) -> String {
    let (done, total) = (progress["done"].as_u64(), progress["total"].as_u64());
    match (done, total) {
        (Some(done), Some(total)) => format!(
            "<p><progress id=\"progress\" max=\"{total}\" value=\"{done}\"></progress> <span id=\"progress-text\">{done} of {total} {}</span></p>",
            esc(progress["unit"].as_str().unwrap_or(""))
        ),
        _ if matches!(state, "queued" | "running") => {
            "<p><progress id=\"progress\"></progress> <span id=\"progress-text\">starting</span></p>".into()
        }
        _ => String::new(),
    }
}

/// What lies between a page's `<body>` tags.
fn inner_body(html: &str) -> String {
    let from = html.find("<body>").map_or(0, |i| i + 6);
    let to = html.rfind("</body>").unwrap_or(html.len());
    html[from..to].to_string()
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// The API as OpenAPI 3.0 (hand-written: a handful of routes).
pub fn openapi_document() -> serde_json::Value {
    let error = serde_json::json!({
        "type": "object",
        "properties": {
            "error": { "type": "string" },
            "diagnostics": { "type": "string", "nullable": true,
                "description": "every problem of the scenario, each as FILE:LINE:COLUMN: message" },
            "fields": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } },
                "description": "the problems at a key parameter's value (or an override that does not apply), by its key, each as `line L:C: message`" }
        },
        "required": ["error"]
    });
    let status = serde_json::json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer" },
            "scenario": { "type": "string" },
            "paths": { "type": "integer" },
            "seed": { "type": "integer", "nullable": true },
            "state": { "type": "string", "enum": ["queued", "running", "done", "failed"] },
            "error": { "type": "string", "nullable": true },
            "waited_s": { "type": "number", "nullable": true },
            "running_s": { "type": "number", "nullable": true },
            "progress": { "type": "object", "nullable": true,
                "description": "how far the run is: paths of a Monte Carlo run, days of a single run (null until its first count)",
                "properties": { "done": { "type": "integer" }, "total": { "type": "integer" }, "unit": { "type": "string", "enum": ["paths", "days"] } },
                "required": ["done", "total", "unit"] },
            "report": { "type": "string" },
            "download": { "type": "string" }
        },
        "required": ["id", "scenario", "paths", "state", "report", "download"]
    });
    let id = serde_json::json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 } }]);
    let parameter = serde_json::json!({
        "type": "object",
        "description": "a key parameter of a scenario: approval odds (per destination, per end use), lead times, stockpile sizes, cohort cover",
        "properties": {
            "key": { "type": "string", "description": "the dotted key an override names it by, e.g. event.0.destination.USA.approval" },
            "label": { "type": "string" },
            "kind": { "type": "string", "enum": ["approval", "lead-time", "lead-time-cap", "stockpile", "cover"] },
            "unit": { "type": "string" },
            "value": { "type": "string", "description": "the value as TOML: a number, or a distribution's inline table (edited whole)" },
            "form": { "type": "string", "enum": ["number", "distribution"] },
            "distribution": { "type": "string", "nullable": true },
            "min": { "type": "number" },
            "max": { "type": "number" },
            "integer": { "type": "boolean" },
            "rule": { "type": "string" },
            "source": { "type": "string", "nullable": true },
            "confidence": { "type": "string", "nullable": true },
            "line": { "type": "integer", "description": "the line of its value in the scenario file" },
            "column": { "type": "integer" },
            "end_line": { "type": "integer" }
        },
        "required": ["key", "label", "kind", "unit", "value", "form", "min", "max", "integer", "rule", "line", "column", "end_line"]
    });
    let parameters = serde_json::json!({ "description": "the scenario's key parameters", "content": { "application/json": { "schema": {
        "type": "object", "properties": { "scenario": { "type": "string" }, "parameters": { "type": "array", "items": { "$ref": "#/components/schemas/Parameter" } } },
        "required": ["scenario", "parameters"] } } } });
    let err = |d: &str| serde_json::json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    serde_json::json!({
        "openapi": "3.0.3",
        "info": { "title": "chokepoint serve", "version": env!("CARGO_PKG_VERSION"),
            "description": "Run chokepoint scenarios on this machine and read their results (docs/dashboard.md)" },
        "paths": {
            "/api/scenarios": { "get": { "summary": "The scenario library", "operationId": "listScenarios",
                "responses": { "200": { "description": "library scenarios", "content": { "application/json": { "schema": {
                    "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" }, "file": { "type": "string" } }, "required": ["name", "file"] } } } } } } } },
            "/api/scenarios/{name}/parameters": { "get": { "summary": "A library scenario's key parameters, as the dashboard's fields", "operationId": "scenarioParameters",
                "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "description": "NAME or builtin:NAME" }],
                "responses": { "200": parameters.clone(), "404": err("no such library scenario") } } },
            "/api/parameters": { "post": { "summary": "An uploaded scenario's key parameters", "operationId": "uploadedParameters",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false,
                    "properties": { "text": { "type": "string" } }, "required": ["text"] } } } },
                "responses": { "200": parameters, "422": err("the text is not TOML") } } },
            "/api/runs": {
                "get": { "summary": "Every run so far", "operationId": "listRuns",
                    "responses": { "200": { "description": "runs", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Status" } } } } } } },
                "post": { "summary": "Validate a scenario and queue a run of it", "operationId": "startRun",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RunRequest" } } } },
                    "responses": {
                        "202": { "description": "queued", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Status" } } } },
                        "400": err("a bad request (paths out of range, an override that does not apply)"),
                        "413": { "description": "the body is larger than --max-body" },
                        "422": err("the scenario is not valid: every problem with its line and column"),
                        "503": { "description": "the queue is full; try again after Retry-After seconds",
                            "headers": { "Retry-After": { "schema": { "type": "integer" } } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                    } } },
            "/api/runs/{id}": { "get": { "summary": "A run's state", "operationId": "runStatus", "parameters": id,
                "responses": { "200": { "description": "its state", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Status" } } } }, "404": err("no such run") } } },
            "/api/runs/{id}/download": { "get": { "summary": "A finished run's folder as a tar archive", "operationId": "downloadRun", "parameters": id,
                "responses": { "200": { "description": "the folder", "content": { "application/x-tar": { "schema": { "type": "string", "format": "binary" } } } },
                    "404": err("no such run"), "409": err("the run has not finished") } } },
            "/runs/{id}/report": { "get": { "summary": "A finished run's report (HTML, as `chokepoint report`)", "operationId": "runReport", "parameters": id,
                "responses": { "200": { "description": "the report", "content": { "text/html": { "schema": { "type": "string" } } } },
                    "404": err("no such run"), "409": err("the run has not finished") } } }
        },
        "components": { "schemas": {
            "Error": error,
            "Status": status,
            "Parameter": parameter,
            "RunRequest": { "type": "object", "additionalProperties": false, "properties": {
                "scenario": { "type": "string", "description": "builtin:NAME from the library (or give text)" },
                "text": { "type": "string", "description": "an uploaded scenario's TOML" },
                "paths": { "type": "integer", "minimum": 1, "default": 1 },
                "seed": { "type": "integer", "minimum": 0 },
                "overrides": { "type": "array", "items": { "type": "object", "additionalProperties": false,
                    "properties": { "key": { "type": "string" }, "value": { "type": "string" } }, "required": ["key", "value"] } }
            } }
        } }
    })
}
