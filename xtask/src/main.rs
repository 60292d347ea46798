//! Project automation. `cargo xtask <command>`:
//!
//! - `test`: installs what is missing (the wasm32 target, PostgreSQL...), then runs fmt --check,
//!   clippy with warnings denied, every native test (the ledger's and the service's on SQLite,
//!   then on a throwaway PostgreSQL), and the wasm32 build of the engine.
//! - `bench`: runs the criterion benchmarks with the `bench` profile and writes their figures
//!   into BENCHMARKS.md.
//! - `build-web`: builds the calculator into `dist/` without Trunk (cargo, wasm-bindgen,
//!   wasm-opt) and checks its gzipped size against the budget.
//! - `serve [--postgres]`: builds the calculator and starts `ratecard serve` on 127.0.0.1:8080
//!   with a demo ledger (SQLite, or a throwaway PostgreSQL) and a fresh bearer token.
//!
//! Tools the tests need are installed when missing into `$RATECARD_TOOLS` (by default
//! `~/.cache/ratecard-tools`, outside the clone, so a machine reuses them): wasm-bindgen-cli
//! 0.2.130 with cargo, binaryen 132 and playwright-core with npm, and Debian's chromium,
//! chromium-driver and postgresql with apt-get.

mod pg;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(args.get(1).map(String::as_str)),
        Some("serve") => match args.get(1).map(String::as_str) {
            None => web::serve(false),
            Some("--postgres") => web::serve(true),
            Some(other) => Err(format!("serve: unknown option {other} (try --postgres)")),
        },
        Some("build-web") => web::build_web().map(|_| ()),
        Some("readme") => readme_examples().map(|_| ()),
        Some("console") => web::build_web()
            .and_then(|d| web::console_tests(&d, &target_dir().join("release/ratecard")))
            .map(|_| ()),
        Some("test-postgres") => postgres_tests().map(|_| ()),
        Some("focus") => focus_validation().map(|_| ()),
        _ => {
            eprintln!("usage: cargo xtask <test|bench|build-web|serve|readme|test-postgres|focus>");
            eprintln!("  test   fmt, clippy, native tests, wasm32 build of the engine");
            eprintln!(
                "  bench [pipeline|calculator|size-floor|service|close|close-10m|explore]  benchmarks; figures written to BENCHMARKS.md"
            );
            eprintln!(
                "  build-web  the calculator into dist/ (no Trunk needed), with its size budget"
            );
            eprintln!(
                "  serve [--postgres]  the calculator and the API on 127.0.0.1:8080 (the ledger in SQLite, or a throwaway PostgreSQL)"
            );
            eprintln!("  readme  the README's marked examples, run and compared (part of test)");
            eprintln!(
                "  test-postgres  the ledger's and the service's tests on a throwaway PostgreSQL (part of test)"
            );
            eprintln!(
                "  focus  the FinOps Foundation's focus-validator on the cases' FOCUS rows (part of test)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Where cargo builds: `CARGO_TARGET_DIR`, or `target/` in the repository.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Runs one step, printing its name and how long it took.
pub(crate) fn step(name: &str, mut cmd: Command) -> Result<(), String> {
    println!("==> {name}");
    let t = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    if !status.success() {
        return Err(format!("{name}: failed ({status})"));
    }
    println!("    {name}: ok in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn ensure_wasm_target() -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(o)
            if String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WASM_TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            let mut c = Command::new("rustup");
            c.args(["target", "add", WASM_TARGET]);
            step("install the wasm32 target", c)
        }
        Err(e) => Err(format!(
            "rustup is needed to add the {WASM_TARGET} target: {e}"
        )),
    }
}

/// Installs with apt-get the Debian package of each program (`program`, `package`) missing.
fn ensure_programs(programs: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = programs
        .iter()
        .filter(|(program, _)| Command::new(program).arg("--version").output().is_err())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let mut c = Command::new("sh");
    c.args([
        "-c",
        &format!(
            "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q {list}"
        ),
    ]);
    step(&format!("install {list} with apt-get"), c)
}

fn test() -> Result<(), String> {
    let t = Instant::now();
    ensure_wasm_target()?;
    // The PDF tests read every PDF back with poppler's pdftotext, pdfdetach and pdfinfo.
    ensure_programs(&[("pdftotext", "poppler-utils")])?;
    let mut c = cargo();
    c.args(["fmt", "--all", "--check"]);
    step("format check", c)?;
    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    step("clippy", c)?;
    let mut c = cargo();
    c.args(["test", "--workspace"]);
    let (passed, failed) = counted_step("native tests (unit, conformance, property)", c)?;
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "-p",
        "ratecard",
        "--example",
        "invoice_flow",
    ]);
    step(
        "README example: events, invoice, late event, credit note",
        c,
    )?;
    let (pp, pf) = postgres_tests()?;
    let (rp, rf) = readme_examples()?;
    let (ep, ef) = en16931()?;
    let (fp, ff) = focus_validation()?;
    let (hp, hf) = hostile()?;
    let mut c = cargo();
    c.args(["build", "-p", "ratecard", "--target", WASM_TARGET]);
    step("engine build for wasm32", c)?;
    web::ensure_tools()?;
    let mut c = cargo();
    c.args([
        "test",
        "-p",
        "ratecard-conformance",
        "--target",
        WASM_TARGET,
        "--test",
        "wasm",
    ]);
    web::with_tools_path(&mut c);
    let (wp, wf) = counted_step(
        "conformance cases on wasm32 (Node), byte-identical to native",
        c,
    )?;
    let (jp, jf) = web::js_api_tests()?;
    let dist = web::build_web()?;
    let (bp, bf) = web::browser_tests(&dist)?;
    let (cp, cf) = web::console_tests(&dist, &target_dir().join("release/ratecard"))?;
    let (passed, failed) = (
        passed + wp + jp + bp + ep + fp + hp + rp + pp + cp,
        failed + wf + jf + bf + ef + ff + hf + rf + pf + cf,
    );
    println!(
        "==> all checks passed in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    println!("tests: {passed} passed, {failed} failed");
    Ok(())
}

/// The ledger's and the service's tests again on PostgreSQL, and two `ratecard serve`
/// processes on one PostgreSQL ledger, against a throwaway server.
fn postgres_tests() -> Result<(usize, usize), String> {
    let pg = pg::Throwaway::start("test")?;
    println!("    PostgreSQL running in {}", pg.dir().display());
    let mut c = cargo();
    c.args([
        "test",
        "-p",
        "ratecard-server",
        "--lib",
        "--test",
        "api",
        "--test",
        "nodes",
        "--",
        "--include-ignored",
    ])
    .env("RATECARD_TEST_POSTGRES", pg.base());
    counted_step(
        "ledger and API tests on PostgreSQL, and two processes on one ledger",
        c,
    )
}

/// The README's shell examples marked `<!-- runs in cargo xtask test -->`, run as written in
/// one bash session from the repository's root, against a demo server of their own: its
/// address and ledger directory replace the ones `cargo xtask serve` uses (127.0.0.1:8080,
/// target/demo/). Each command's output is compared with the lines the README shows under it.
fn readme_examples() -> Result<(usize, usize), String> {
    use std::io::BufRead;
    let r = root();
    let readme = std::fs::read_to_string(r.join("README.md")).map_err(|e| e.to_string())?;
    // (command, expected output) in order, over every marked block.
    let mut commands: Vec<(String, String)> = Vec::new();
    let mut lines = readme.lines();
    while let Some(l) = lines.next() {
        if l.trim() != "<!-- runs in cargo xtask test -->" {
            continue;
        }
        if lines.next().map(str::trim) != Some("```bash") {
            return Err("README: a marked example is not followed by a ```bash block".into());
        }
        for l in lines.by_ref() {
            if l.trim() == "```" {
                break;
            }
            match l.strip_prefix("$ ") {
                Some(cmd) => commands.push((cmd.to_string(), String::new())),
                None => {
                    let (_, out) = commands
                        .last_mut()
                        .ok_or("README: output before a command")?;
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    if commands.is_empty() {
        return Err("README: no example marked to run".into());
    }
    // The examples use curl, jq and poppler's PDF tools, as a reader would.
    ensure_programs(&[
        ("curl", "curl"),
        ("jq", "jq"),
        ("pdftotext", "poppler-utils"),
    ])?;
    let mut c = cargo();
    c.args(["build", "-q", "-p", "ratecard-server", "--bin", "ratecard"]);
    step("server build for the README examples", c)?;
    let target = crate::target_dir();
    let dir = r.join("target/readme-demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let token = "readme-example-token";
    std::fs::write(dir.join("token"), format!("{token}\n")).map_err(|e| e.to_string())?;
    println!("==> README examples ({} commands)", commands.len());
    let mut server = Command::new(target.join("debug/ratecard"))
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--dist",
            "/nonexistent",
            "--db",
        ])
        .arg(dir.join("ratecard-demo.sqlite"))
        .env("RATECARD_TOKEN", token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("README examples: the server: {e}"))?;
    let out = server.stdout.take().ok_or("no server output")?;
    let mut out = std::io::BufReader::new(out).lines();
    let addr = loop {
        match out.next() {
            Some(Ok(l)) => {
                if let Some(a) = l.strip_prefix("ratecard is listening on http://") {
                    break a.trim_end_matches('/').to_string();
                }
            }
            _ => {
                let _ = server.kill();
                return Err("README examples: the server ended before listening".into());
            }
        }
    };
    std::thread::spawn(move || for _ in out {});
    let mut script = String::from("set -o pipefail\n");
    for (i, (cmd, _)) in commands.iter().enumerate() {
        let cmd = cmd
            .replace("127.0.0.1:8080", &addr)
            .replace("target/demo/", "target/readme-demo/");
        script.push_str(&format!("printf '\\n@@@{i}\\n'\n{cmd}\n"));
    }
    let run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&r)
        .env("CARGO_TERM_QUIET", "true")
        .output();
    let _ = server.kill();
    let _ = server.wait();
    let run = run.map_err(|e| format!("bash: {e}"))?;
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    let mut shown: Vec<String> = vec![String::new(); commands.len()];
    let mut at: Option<usize> = None;
    for l in stdout.lines() {
        if let Some(i) = l.strip_prefix("@@@").and_then(|n| n.parse::<usize>().ok()) {
            at = Some(i);
            continue;
        }
        if let Some(s) = at.and_then(|i| shown.get_mut(i)) {
            s.push_str(l);
            s.push('\n');
        }
    }
    let tidy = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = t.lines().map(|l| l.trim_end().to_string()).collect();
        while v.last().is_some_and(String::is_empty) {
            v.pop();
        }
        v
    };
    let (mut passed, mut failed) = (0, 0);
    for ((cmd, expected), got) in commands.iter().zip(&shown) {
        if tidy(expected) == tidy(got) {
            passed += 1;
        } else {
            failed += 1;
            println!("    FAIL $ {cmd}\n      README:\n{expected}      got:\n{got}");
        }
    }
    if failed > 0 {
        println!("{}", String::from_utf8_lossy(&run.stderr));
        return Err(format!(
            "README examples: {failed} of {} outputs differ",
            commands.len()
        ));
    }
    println!("    README examples: {passed} commands, outputs as written");
    Ok((passed, 0))
}

/// The hostile-client suite against a release build of the server: the sqlite3 shell (for the
/// tampering tests) is installed with apt-get when missing.
fn hostile() -> Result<(usize, usize), String> {
    ensure_programs(&[("sqlite3", "sqlite3")])?;
    let mut c = cargo();
    c.args([
        "build",
        "--release",
        "-p",
        "ratecard-server",
        "--bin",
        "ratecard",
    ]);
    step("server release build (opt-level 3, unwinding)", c)?;
    let target = crate::target_dir();
    let mut c = cargo();
    c.args([
        "test",
        "-p",
        "ratecard-server",
        "--test",
        "hostile",
        "--",
        "--ignored",
        "--test-threads",
        "2",
    ])
    .env("RATECARD_RELEASE_BIN", target.join("release/ratecard"));
    counted_step("hostile clients against the release server", c)
}

/// The official EN 16931 rules (CEN's XSLT, run by Saxon from Python's `saxonche`) over the UBL
/// of every invoice and credit note the conformance cases produce, one of each VAT treatment,
/// and CEN's own two samples. Any fatal rule broken fails the run.
fn en16931() -> Result<(usize, usize), String> {
    let r = root();
    let rules = r.join("../shared/validation/en16931");
    if !rules.join("EN16931-UBL-validation.xslt").exists() {
        return Err(format!(
            "{}: the EN 16931 rules are missing (../shared/validation beside the clone)",
            rules.display()
        ));
    }
    let py = web::tools_dir().join("python");
    if !py.join("saxonche").exists() && !py.join("saxonche.libs").exists() {
        let mut c = Command::new("python3");
        c.args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--target",
        ])
        .arg(&py)
        .arg("saxonche");
        step("install saxonche (Saxon for Python) with pip", c)?;
    }
    let out = r.join("target/ubl-corpus");
    let cii_out = r.join("target/cii-corpus");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&cii_out);
    let mut c = corpus_example("ubl_corpus");
    c.arg(&out).arg(&cii_out);
    step("UBL and CII of the cases' invoices and credit notes", c)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .chain(std::fs::read_dir(rules.join("examples")).map_err(|e| e.to_string())?)
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let (up, uf) = validate(
        &py,
        &rules.join("EN16931-UBL-validation.xslt"),
        "UBL",
        &files,
    )?;
    let mut cii: Vec<PathBuf> = std::fs::read_dir(&cii_out)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    cii.sort();
    let (cp, cf) = validate(&py, &rules.join("EN16931-CII-validation.xslt"), "CII", &cii)?;
    Ok((up + cp, uf + cf))
}

/// The FinOps Foundation's validator, pinned: its FOCUS 1.2 rules are bundled, so it runs
/// offline. It pins NumPy below 2, so pyarrow is pinned to a release built for it.
const FOCUS_VALIDATOR: &str = "focus-validator==2.2.1";
const FOCUS_VALIDATOR_PYARROW: &str = "pyarrow<18";

/// Rules of the validator's FOCUS 1.2 model that fail every conforming dataset, with why. Any
/// other rule failed fails the run.
const FOCUS_VALIDATOR_DEFECTS: &[(&str, &str)] = &[(
    "InvoiceId-C-004-C",
    "\"InvoiceId MUST be null when the charge is not associated with an invoice\": the model \
     1.2.0.1 carries no condition, so it asks every InvoiceId to be null, while its \
     InvoiceId-C-005-C asks the same ones not to be (every row of ours is on an issued invoice \
     or credit note)",
)];

/// Fewer rules passed, or fewer rows validated, means the validator or the corpus broke: on
/// this corpus 136 rules pass, over 127 rows.
const FOCUS_MIN_PASSED: usize = 100;
const FOCUS_MIN_ROWS: usize = 100;

/// A Python 3.12: the validator's floor, and the newest its pinned NumPy (below 2) has wheels
/// for. `python3.12` on the PATH, `python3` when it is 3.12, or one pyenv installed.
fn python_312() -> Result<PathBuf, String> {
    let is_312 = |p: &Path| {
        Command::new(p)
            .args([
                "-c",
                "import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut candidates: Vec<PathBuf> = ["python3.12", "python3"]
        .iter()
        .map(PathBuf::from)
        .collect();
    let home = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()));
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".pyenv"))
        .join("versions");
    if let Ok(dir) = std::fs::read_dir(&pyenv) {
        let mut found: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("3.12"))
            })
            .map(|p| p.join("bin/python3"))
            .collect();
        found.sort();
        candidates.extend(found);
    }
    candidates.into_iter().find(|p| is_312(p)).ok_or_else(|| {
        format!(
            "focus-validator needs Python 3.12: none found (python3.12 on the PATH, or under {})",
            pyenv.display()
        )
    })
}

/// The FinOps Foundation's `focus-validator` on the FOCUS rows of every final invoice and
/// credit note the conformance cases produce (usage, tax, credit and correction rows). Any rule
/// failed fails the run, but the validator's own defects ([`FOCUS_VALIDATOR_DEFECTS`]).
fn focus_validation() -> Result<(usize, usize), String> {
    // Named after both pins, so that changing either makes a new environment.
    let venv = web::tools_dir().join("focus-validator-2.2.1-pyarrow17");
    let exe = venv.join("bin/focus-validator");
    if !exe.exists() {
        let python = python_312()?;
        let mut c = Command::new(&python);
        c.args(["-m", "venv"]).arg(&venv);
        step(
            &format!(
                "Python environment for focus-validator ({})",
                python.display()
            ),
            c,
        )?;
        let mut c = Command::new(venv.join("bin/pip"));
        c.args([
            "install",
            "-q",
            "--disable-pip-version-check",
            FOCUS_VALIDATOR,
            FOCUS_VALIDATOR_PYARROW,
        ]);
        step("install focus-validator with pip", c)?;
    }
    let csv = target_dir().join("focus-corpus.csv");
    let mut c = corpus_example("focus_corpus");
    c.arg(&csv);
    step("FOCUS rows of the cases' invoices and credit notes", c)?;
    // The validator reads its list of currencies relative to the working directory: its
    // package's parent.
    let site = std::fs::read_dir(venv.join("lib"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path().join("site-packages")))
        .find(|p| p.join("focus_validator").exists())
        .ok_or("focus-validator is not installed in its environment")?;
    println!(
        "==> FOCUS 1.2 validation (focus-validator) of {}",
        csv.display()
    );
    let t = Instant::now();
    let output = Command::new(&exe)
        .current_dir(&site)
        .arg("--data-file")
        .arg(&csv)
        .args([
            "--validate-version",
            "1.2.0.1",
            "--block-download",
            "--output-type",
            "console",
        ])
        .output()
        .map_err(|e| format!("focus-validator: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rule = |l: &str, status: &str| -> Option<String> {
        let i = l.find(&format!(": {status}"))?;
        l[..i].rsplit(' ').next().map(str::to_string)
    };
    let passed = text.lines().filter(|l| rule(l, "PASS").is_some()).count();
    let failed: Vec<String> = text.lines().filter_map(|l| rule(l, "FAIL")).collect();
    // Its own count: `Total: 578 | Pass: 136 | Fail: 1 | Skipped: 441`.
    let summary: Option<(usize, usize)> = text.lines().find_map(|l| {
        let count = |key: &str| -> Option<usize> {
            let rest = &l[l.find(key)? + key.len()..];
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        };
        Some((count("Pass: ")?, count("Fail: ")?))
    });
    let rows = std::fs::read_to_string(&csv)
        .map_err(|e| format!("{}: {e}", csv.display()))?
        .lines()
        .count()
        .saturating_sub(1);
    let ran = output.status.success()
        && summary == Some((passed, failed.len()))
        && passed >= FOCUS_MIN_PASSED
        && rows >= FOCUS_MIN_ROWS;
    if !ran {
        print!("{text}");
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(format!(
            "FOCUS validation did not run through: {} ({}), its summary {summary:?} against {passed} rules passed and {} failed read (at least {FOCUS_MIN_PASSED} must pass), {rows} rows (at least {FOCUS_MIN_ROWS})",
            output.status,
            csv.display(),
            failed.len()
        ));
    }
    let known = |id: &str| FOCUS_VALIDATOR_DEFECTS.iter().any(|(d, _)| *d == id);
    let (defects, errors): (Vec<&String>, Vec<&String>) = failed.iter().partition(|id| known(id));
    if !errors.is_empty() {
        print!("{text}");
        return Err(format!(
            "FOCUS validation: {} rule(s) failed: {}",
            errors.len(),
            errors
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for id in defects {
        let why = FOCUS_VALIDATOR_DEFECTS
            .iter()
            .find(|(d, _)| d == id)
            .map_or("", |(_, w)| w);
        println!("    {id} failed, a defect of the validator's model: {why}");
    }
    println!(
        "    FOCUS validation: {passed} rules passed, none failed but the validator's own defects, in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok((1, 0))
}

/// Runs the CEN rules of one syntax over documents; fails on any fatal rule broken.
fn validate(
    py: &Path,
    stylesheet: &Path,
    syntax: &str,
    files: &[PathBuf],
) -> Result<(usize, usize), String> {
    let r = root();
    println!(
        "==> EN 16931 validation (CEN rules) of {} {syntax} documents",
        files.len()
    );
    let t = Instant::now();
    let output = Command::new("python3")
        .env("PYTHONPATH", py)
        .arg(r.join("xtask/scripts/en16931.py"))
        .arg(stylesheet)
        .args(files)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let (passed, failed) = text
        .lines()
        .find_map(|l| l.strip_prefix("en16931: "))
        .and_then(|l| {
            let mut n = l
                .split(", ")
                .map(|p| p.split(' ').next().and_then(|x| x.parse().ok()));
            Some((n.next()??, n.next()??))
        })
        .ok_or("the EN 16931 validation printed no count")?;
    if !output.status.success() || failed > 0 || passed == 0 {
        return Err(format!(
            "EN 16931 validation ({syntax}): {failed} document(s) break a fatal rule"
        ));
    }
    println!(
        "    EN 16931 validation of {syntax}: ok in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok((passed, failed))
}

/// All benchmarks, or one section: `pipeline`, `calculator`, `size-floor`, `service`, `close`, `close-10m` or `explore`.
fn bench(only: Option<&str>) -> Result<(), String> {
    match only {
        None => {
            pipeline_bench()?;
            web::bench()?;
            web::size_floor()?;
            service_bench()?;
            close_bench(false)?;
            explore_bench()
        }
        Some("pipeline") => pipeline_bench(),
        Some("calculator") => web::bench(),
        Some("size-floor") => web::size_floor(),
        Some("service") => service_bench(),
        Some("close") => close_bench(false),
        Some("close-10m") => close_bench(true),
        Some("explore") => explore_bench(),
        Some(other) => Err(format!(
            "no benchmark `{other}`: pipeline, calculator, size-floor, service, close, close-10m or explore"
        )),
    }
}

/// `cargo run` of one of the conformance crate's examples that write a corpus of documents
/// from the cases (its arguments follow).
fn corpus_example(name: &str) -> Command {
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "-p",
        "ratecard-conformance",
        "--example",
        name,
        "--",
    ]);
    c
}

/// Runs one of the server's benchmarks (`benches/NAME.rs`) with a throwaway PostgreSQL beside
/// SQLite, fsync on (writes are measured durable, as in production), and reads the JSON line
/// it prints last.
fn server_bench(name: &str, what: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let pg = pg::Throwaway::start_with(name, true)?;
    println!(
        "==> {name} benchmark ({what}; SQLite, and PostgreSQL in {})",
        pg.dir().display()
    );
    let out = cargo()
        .args(["bench", "-p", "ratecard-server", "--bench", name, "--"])
        .args(args)
        .env("RATECARD_BENCH_POSTGRES", pg.base())
        .output()
        .map_err(|e| e.to_string())?;
    drop(pg);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| {
            format!(
                "{name} bench printed no result: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    serde_json::from_str(line).map_err(|e| e.to_string())
}

/// The service on loopback: ingestion, a 100,000-event draft, estimate latency under load.
fn service_bench() -> Result<(), String> {
    let v = server_bench("service", "loopback", &[])?;
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let table = format!(
        "| figure | measured | goal |\n|---|---|---|\n\
         | the most expensive estimate the limits allow ({}; answer of {} bytes), median of 5 | {:.1} ms | under 250 ms |\n\
         | the memory that estimate takes (the server's peak resident size, before and after, client included) | {:.1} MiB | under 64 MiB |\n\
         | ingestion, 100 batches of 1,000 events (NDJSON over HTTP into SQLite, one client) | {:.0} events/s | at least 50,000 |\n\
         | the same into PostgreSQL (a local server, Unix socket, fsync on) | {:.0} events/s | |\n\
         | ingestion side by side: 200 batches of 1,000 events of 4 accounts, 4 clients at once (median of 3), SQLite | {:.0} events/s | |\n\
         | the same into PostgreSQL | {:.0} events/s | at least 100,000 |\n\
         | draft invoice of an account with 100,000 events (median of 5), SQLite | {:.1} ms | under 200 ms |\n\
         | the same, PostgreSQL | {:.1} ms | |\n\
         | estimate endpoint, 100 concurrent clients x 40 requests: p50 | {:.2} ms | |\n\
         | the same: p99 | {:.2} ms | |\n\
         | the same: throughput | {:.0} requests/s | |\n\n\
         Machine: {}. Server and clients share the machine's 2 cores.\n",
        v["worst_estimate"].as_str().unwrap_or(""),
        v["worst_estimate_response_bytes"].as_u64().unwrap_or(0),
        f("worst_estimate_ms"),
        f("worst_estimate_peak_mib"),
        f("ingest_events_per_s"),
        f("pg_ingest_events_per_s"),
        f("ingest_side_by_side_events_per_s"),
        f("pg_ingest_side_by_side_events_per_s"),
        f("draft_100k_median_ms"),
        f("pg_draft_100k_median_ms"),
        f("estimate_p50_ms"),
        f("estimate_p99_ms"),
        f("estimate_per_s"),
        machine()
    );
    println!("\n{table}");
    write_section("service", &table)
}

/// The monthly close of 1,000,000 events (1,000 accounts), with 1 and 2 workers, on SQLite and
/// on a throwaway PostgreSQL with fsync on; `at_scale`: 10,000 accounts, 10,000,000 events
/// (`close-10m`, about 25 minutes on 2 cores; not part of `cargo xtask bench`), without the
/// 1,000,000-event draft.
fn close_bench(at_scale: bool) -> Result<(), String> {
    let v = if at_scale {
        server_bench(
            "close",
            "10,000 accounts x 1,000 events, with `-- scale`",
            &["scale"],
        )?
    } else {
        server_bench("close", "1,000 accounts x 1,000 events", &[])?
    };
    let events = v["events"].as_f64().unwrap_or(0.0);
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let rate = |k: &str| if f(k) > 0.0 { events / f(k) } else { 0.0 };
    let store = |name: &str, key: &str| {
        let (w1, w2) = (format!("{key}_w1_s"), format!("{key}_w2_s"));
        format!(
            "| {name} | {:.2} s ({:.0} events/s) | {:.2} s ({:.0} events/s) | {:.2} |\n",
            f(&w1),
            rate(&w1),
            f(&w2),
            rate(&w2),
            rate(&w2) / rate(&w1).max(1.0),
        )
    };
    let draft = if at_scale {
        String::new()
    } else {
        format!(
            "The draft invoice of one account holding 1,000,000 events (median of 3; goal: \
             under 2 s): SQLite {:.2} s, PostgreSQL {:.2} s.\n\n",
            f("sqlite_draft_1m_s"),
            f("pg_draft_1m_s"),
        )
    };
    let table = format!(
        "| store | 1 worker | 2 workers | 2 workers / 1 worker |\n|---|---|---|---|\n{}{}\n{draft}\
         The cost explorer over the closed period, the first time (every account, by service; \
         the close kept each account's rollup): SQLite {:.3} s, PostgreSQL {:.3} s.\n\n\
         Machine: {}.\n",
        store("SQLite", "sqlite"),
        store("PostgreSQL (local, Unix socket, fsync on)", "pg"),
        f("sqlite_explore_after_close_s"),
        f("pg_explore_after_close_s"),
        machine()
    );
    println!("\n{table}");
    write_section(if at_scale { "close-10m" } else { "close" }, &table)
}

/// The cost explorer over 10,000 accounts and 10,000,000 events (about 8 minutes), on SQLite
/// and on a throwaway PostgreSQL: by service (the rollups) the first time and after, and by
/// resource (the kept ratings).
fn explore_bench() -> Result<(), String> {
    let v = server_bench(
        "close",
        "the explorer over 10,000 accounts x 1,000 events, with `-- explore`",
        &["explore"],
    )?;
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let row = |name: &str, key: &str| {
        format!(
            "| {name} | {:.3} s | {:.3} s | {:.3} s |\n",
            f(&format!("{key}_explore_cold_s")),
            f(&format!("{key}_explore_warm_s")),
            f(&format!("{key}_explore_resource_s")),
        )
    };
    let table = format!(
        "The cost explorer over one period of {:.0} events (10,000 accounts of 1,000; goal: \
         under 0.5 s for 10,000,000 events):\n\n\
         | store | by service, the first time | by service, after (median of 3) | by resource |\n\
         |---|---|---|---|\n{}{}\n\
         Machine: {}.\n",
        f("events"),
        row("SQLite", "sqlite"),
        row("PostgreSQL (local, Unix socket, fsync on)", "pg"),
        machine()
    );
    println!("\n{table}");
    write_section("explore", &table)
}

/// The median of a criterion benchmark, in nanoseconds.
pub(crate) fn criterion_median(group: &str, id: &str) -> Result<f64, String> {
    let path = root()
        .join("target/criterion")
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", path.display()))
}

fn pipeline_bench() -> Result<(), String> {
    let mut c = cargo();
    c.args(["bench", "-p", "ratecard", "--bench", "pipeline"]);
    step("pipeline benchmark (1,000,000 events)", c)?;
    let median = |id: &str| criterion_median("pipeline", id);
    let events = 1_000_000f64;
    let parse = median("parse_only")?;
    let full = median("parse_meter_rate")?;
    let meter_rate = median("meter_rate")?;
    let rules = median("parse_meter_rate_rules")?;
    let meter_rate_rules = median("meter_rate_rules")?;
    let per_s = |ns: f64| events / (ns / 1e9);
    let machine = machine();
    let table = format!(
        "| step | median time for 1,000,000 events | throughput |\n|---|---|---|\n\
         | parse only (serde_json into `UsageEvent`) | {:.0} ms | {:.2} M events/s |\n\
         | meter + rate (events already parsed) | {:.0} ms | {:.2} M events/s |\n\
         | parse + meter + rate (end to end) | {:.0} ms | {:.2} M events/s |\n\
         | meter + rate, with a savings plan and a share-of-spend support plan per account | {:.0} ms | {:.2} M events/s |\n\
         | end to end, with a savings plan and a share-of-spend support plan per account | {:.0} ms | {:.2} M events/s |\n\n\
         End to end is **{:.0} %** of parse-only throughput. Machine: {machine}; one thread; the \
         allocator is mimalloc, as in the `ratecard` server.\n",
        parse / 1e6,
        per_s(parse) / 1e6,
        meter_rate / 1e6,
        per_s(meter_rate) / 1e6,
        full / 1e6,
        per_s(full) / 1e6,
        meter_rate_rules / 1e6,
        per_s(meter_rate_rules) / 1e6,
        rules / 1e6,
        per_s(rules) / 1e6,
        100.0 * parse / full,
    );
    println!("\n{table}");
    write_section("pipeline", &table)
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {rustc}")
}

/// Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`.
pub(crate) fn write_section(name: &str, body: &str) -> Result<(), String> {
    let path = root().join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (start, end) = (
        format!("<!-- bench:{name}:start -->"),
        format!("<!-- bench:{name}:end -->"),
    );
    let (Some(a), Some(b)) = (text.find(&start), text.find(&end)) else {
        return Err(format!("BENCHMARKS.md has no {start} ... {end} markers"));
    };
    let new = format!("{}{start}\n{body}{}", &text[..a], &text[b..]);
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("BENCHMARKS.md updated ({name})");
    Ok(())
}

/// Runs a `cargo test` step, echoing its output, and sums its `test result:` lines, so that the
/// run ends with one total rather than the last crate's count.
pub(crate) fn counted_step(name: &str, mut cmd: Command) -> Result<(usize, usize), String> {
    use std::io::{BufRead, BufReader};
    println!("==> {name}");
    let t = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    let (mut passed, mut failed) = (0, 0);
    let count = |rest: &str, word: &str| -> usize {
        rest.split(';')
            .find_map(|part| {
                let part = part
                    .trim()
                    .trim_start_matches("ok. ")
                    .trim_start_matches("FAILED. ");
                part.strip_suffix(word).and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    };
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                passed += count(rest, " passed");
                failed += count(rest, " failed");
            }
        }
    }
    let status = child.wait().map_err(|e| format!("{name}: {e}"))?;
    if !status.success() {
        println!("tests: {passed} passed, {failed} failed");
        return Err(format!("{name}: failed ({status})"));
    }
    if passed == 0 {
        return Err(format!("{name}: no test ran"));
    }
    println!("    {name}: ok in {:.1} s", t.elapsed().as_secs_f64());
    Ok((passed, failed))
}
