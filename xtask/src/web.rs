//! The calculator's build, its tools, its browser tests and `serve`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, root, step};

const WASM_BINDGEN: &str = "0.2.130";
const BINARYEN: &str = "132.0.0";
const PLAYWRIGHT: &str = "1.65.1";
const TYPESCRIPT: &str = "5";
/// The gzipped transfer of a release build (wasm + JS + CSS + page) may not exceed this.
/// BENCHMARKS.md tells what it measures and where it went. It was 300,000 bytes; the line ids,
/// groups, quote fields, print document, import and the per-row views of the trusted-calculator
/// work cost about 24 KB, the share-of-spend charge model (support plans) 4 KB, and savings
/// plans (their rating, the ways to pay side by side, the commitment fields) 33 KB, the VAT
/// territories with savings plans' coverage per group 3.5 KB, sustained use with the estimate of
/// in-advance plans 3 KB, and spot runs with storage tiers 2.3 KB: 374,000. Serverless
/// functions, storage per second with provisioned dimensions, prices fixed at order and cross
/// rates for the VAT total in EUR cost 10.3 KB in the engine, and the function and dimension
/// fields with their errors 11 KB (21.3 KB in all, 394,260 bytes): 395,000. The quote's PDF
/// from the service (the form that posts the quote's requests, and the document request's
/// writer it needs) cost 2.7 KB (397,653 bytes): 397,700. The canonical writer that writes an
/// object's members in place (a million-event draft's inputs digest 0.76 s -> 0.3 s) cost
/// 0.7 KB (398,347 bytes): 398,400. One shared sort instead of a copy per element type and
/// comparison (`ratecard::sort`) gave back 13.3 KB (385,008 bytes); each document line's
/// record of what credits took (for FOCUS's Credit rows) cost 0.5 KB (385,497 bytes): 385,600.
/// The parts of the setup that many closures read, followed by signals instead of memos
/// (typing at 200 lines 50 ms -> 20 ms) cost 3.3 KB (388,763 bytes), and the selects whose
/// options follow them setting their value again 39 bytes (388,802): 388,900. Measured since
/// on the gzipped copies the server sends (zopfli instead of `gzip -9`): 372,966. The fixes of
/// an outside review cost 5.3 KB (378,249 bytes): JSON that is no setup refused, saved estimates
/// kept aside when unreadable and a failed save said, a link pasted into an open tab read, the
/// printed lines' labels, the parties' countries checked, lines of one key told apart, ids an
/// account's own, more messages in French: 378,300. The goal is 250,000, under the floor of the
/// engine and a minimal Leptos page together, 256,483 bytes (`cargo xtask bench size-floor`).
/// The printed quote's lines that add up on paper (the discount as printed, the unit price
/// with its currency and the numbers in the page's language) and the plan comparison on demand
/// under a savings plan cost 1.5 KB (379,772 bytes): 379,800. A country the page does not offer
/// said at its field, a CSV number that does not read the file's way refused, and the printed
/// quote's descriptions, units and rates in French cost 1.6 KB (381,368 bytes), and a field
/// the calculator does not know refused in a file or a link 213 bytes (381,581): 381,600.
pub const BUDGET_GZIP_BYTES: u64 = 381_600;

pub fn tools_dir() -> PathBuf {
    std::env::var_os("RATECARD_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/ratecard-tools")
        })
}

/// Puts the tools first on a command's PATH (cargo-installed binaries, then npm's).
pub fn with_tools_path(c: &mut Command) {
    let t = tools_dir();
    let path = format!(
        "{}:{}:{}",
        t.join("bin").display(),
        t.join("npm/node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    c.env("PATH", path);
}

fn version_of(bin: &str) -> String {
    let mut c = Command::new(bin);
    c.arg("--version");
    with_tools_path(&mut c);
    c.output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Installs what is missing, and only that.
pub fn ensure_tools() -> Result<(), String> {
    let t = tools_dir();
    if !version_of("wasm-bindgen").ends_with(WASM_BINDGEN) {
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        // Without --locked: the CLI's lockfile names a crate the registry may lack.
        c.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN,
            "--root",
        ])
        .arg(&t);
        step("install wasm-bindgen-cli (about 4 minutes, once)", c)?;
    }
    let npm_ok = ["playwright-core", "typescript"]
        .iter()
        .all(|m| t.join("npm/node_modules").join(m).exists());
    if !version_of("wasm-opt").contains("version_132") || !npm_ok {
        std::fs::create_dir_all(t.join("npm")).map_err(|e| e.to_string())?;
        let mut c = Command::new("npm");
        c.args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(t.join("npm"))
            .arg(format!("binaryen@{BINARYEN}"))
            .arg(format!("playwright-core@{PLAYWRIGHT}"))
            .arg(format!("typescript@{TYPESCRIPT}"));
        step(
            "install binaryen (wasm-opt), playwright-core and typescript with npm",
            c,
        )?;
    }
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        let mut c = Command::new("sh");
        c.args(["-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver"]);
        step("install chromium and chromium-driver with apt-get", c)?;
    }
    Ok(())
}

/// Builds the calculator into `dist/`: the release wasm, wasm-bindgen's JS, wasm-opt -Oz, the
/// page and its stylesheet: the app `trunk build --release` makes, without Trunk (whose file
/// names carry a hash, and whose wasm-opt run differs by a few hundred bytes).
pub fn build_web() -> Result<PathBuf, String> {
    ensure_tools()?;
    let r = root();
    let dist = r.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;
    let mut c = cargo();
    c.args([
        "build",
        "-p",
        "ratecard-web",
        "--profile",
        "wasm-release",
        "--target",
        crate::WASM_TARGET,
    ]);
    step("calculator release build (wasm32)", c)?;
    let target = crate::target_dir();
    bind_for_the_web(
        &target.join("wasm32-unknown-unknown/wasm-release/ratecard-web.wasm"),
        &dist,
        "web",
        "wasm-bindgen",
    )?;
    let wasm = dist.join("web_bg.wasm");
    let (page, rust_link, opt_params) = page_recipe()?;
    wasm_opt(&wasm, &opt_params, "wasm-opt -Oz (binaryen 132)")?;
    let page = page
        .replace(r#"<link data-trunk rel="css" href="web/style.css" />"#, r#"<link rel="stylesheet" href="style.css" />"#)
        .replace(
            &rust_link,
            r#"<script type="module">import init from './web.js'; await init({ module_or_path: './web_bg.wasm' });</script>"#,
        );
    std::fs::write(dist.join("index.html"), page).map_err(|e| e.to_string())?;
    std::fs::copy(r.join("web/style.css"), dist.join("style.css")).map_err(|e| e.to_string())?;
    gzip_copies(&dist)?;
    build_console(&dist, &opt_params)?;
    let (raw, gz) = transfer_size(&dist)?;
    println!("    calculator: {raw} bytes raw, {gz} bytes gzipped (budget {BUDGET_GZIP_BYTES})");
    if gz > BUDGET_GZIP_BYTES {
        return Err(format!(
            "the calculator's gzipped transfer is {gz} bytes, over the {BUDGET_GZIP_BYTES} budget"
        ));
    }
    Ok(dist)
}

/// The page, its Rust link (Trunk's build recipe) and the wasm-opt parameters that link gives,
/// which apply to every wasm built here.
fn page_recipe() -> Result<(String, String, Vec<String>), String> {
    let page = std::fs::read_to_string(root().join("index.html")).map_err(|e| e.to_string())?;
    let rust_link = page
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(r#"<link data-trunk rel="rust""#))
        .ok_or("index.html has no <link data-trunk rel=\"rust\"> line")?
        .to_string();
    let opt_params = rust_link
        .split_once(r#"data-wasm-opt-params=""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(p, _)| p.split_whitespace().map(String::from).collect::<Vec<_>>())
        .unwrap_or_default();
    Ok((page, rust_link, opt_params))
}

/// Binds `wasm` for a page (`--target web`, no TypeScript) into `out` as `name.js` and
/// `name_bg.wasm`.
fn bind_for_the_web(wasm: &Path, out: &Path, name: &str, what: &str) -> Result<(), String> {
    let mut c = Command::new("wasm-bindgen");
    c.args([
        "--target",
        "web",
        "--no-typescript",
        "--out-name",
        name,
        "--out-dir",
    ])
    .arg(out)
    .arg(wasm);
    with_tools_path(&mut c);
    step(what, c)
}

/// Optimises a bound wasm file in place for size, with the page's extra parameters.
fn wasm_opt(wasm: &Path, opt_params: &[String], name: &str) -> Result<(), String> {
    let mut c = Command::new("wasm-opt");
    c.args([
        "-Oz",
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ])
    .args(opt_params)
    .arg(wasm)
    .arg("-o")
    .arg(wasm);
    with_tools_path(&mut c);
    step(name, c)
}

/// The console (`dist/console/`): its own crate and wasm, built apart from the calculator (so
/// cargo does not unify their features: the calculator stays byte for byte what it was), bound
/// and optimised the same way, loaded only at `/console/`.
fn build_console(dist: &Path, opt_params: &[String]) -> Result<(), String> {
    let r = root();
    let out = dist.join("console");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let mut c = cargo();
    c.args([
        "build",
        "-p",
        "ratecard-console",
        "--profile",
        "wasm-release",
        "--target",
        crate::WASM_TARGET,
    ]);
    step("console release build (wasm32)", c)?;
    bind_for_the_web(
        &crate::target_dir().join("wasm32-unknown-unknown/wasm-release/ratecard-console.wasm"),
        &out,
        "console",
        "wasm-bindgen (console)",
    )?;
    let wasm = out.join("console_bg.wasm");
    wasm_opt(&wasm, opt_params, "wasm-opt -Oz (console)")?;
    std::fs::copy(r.join("console/index.html"), out.join("index.html"))
        .map_err(|e| e.to_string())?;
    std::fs::copy(r.join("console/console.css"), out.join("console.css"))
        .map_err(|e| e.to_string())?;
    gzip_copies(&out)?;
    let (raw, gz) = console_size(dist)?;
    println!(
        "    console: {raw} bytes raw, {gz} bytes gzipped (its first load, with the shared style.css)"
    );
    Ok(())
}

/// Raw and gzipped bytes of the console's first load: its wasm, JS, CSS and page, and the
/// calculator's style.css it shares.
pub fn console_size(dist: &Path) -> Result<(u64, u64), String> {
    sizes(
        dist,
        &[
            "console/console_bg.wasm",
            "console/console.js",
            "console/console.css",
            "console/index.html",
            "style.css",
        ],
    )
}

/// Raw and gzipped bytes of what a browser downloads: the wasm, the JS glue, the CSS, the page.
pub fn transfer_size(dist: &Path) -> Result<(u64, u64), String> {
    sizes(dist, &["web_bg.wasm", "web.js", "style.css", "index.html"])
}

/// Raw bytes of `files` and bytes of their gzipped copies, which the server sends to a browser
/// that accepts gzip (every browser does).
fn sizes(dist: &Path, files: &[&str]) -> Result<(u64, u64), String> {
    let (mut raw, mut gz) = (0, 0);
    for f in files {
        let len = |p: PathBuf| {
            std::fs::metadata(&p)
                .map(|m| m.len())
                .map_err(|e| format!("{}: {e}", p.display()))
        };
        raw += len(dist.join(f))?;
        gz += len(dist.join(format!("{f}.gz")))?;
    }
    Ok((raw, gz))
}

/// Writes `name.gz` beside every file in `dir` (not in its folders), compressed with zopfli (a
/// gzip stream).
fn gzip_copies(dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() || path.extension().is_some_and(|e| e == "gz") {
            continue;
        }
        let out = zopfli_gzip(&path)?;
        let mut name = path.clone().into_os_string();
        name.push(".gz");
        std::fs::write(&name, out).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// `path` compressed with zopfli, as a gzip stream.
fn zopfli_gzip(path: &Path) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::with_capacity(data.len() / 2);
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        &data[..],
        &mut out,
    )
    .map_err(|e| format!("zopfli {}: {e}", path.display()))?;
    Ok(out)
}

/// What the size goal is up against (BENCHMARKS.md, "size floor"): three pages built the way
/// the calculator is (release wasm, wasm-bindgen, wasm-opt, zopfli), from `web/examples/`: the
/// engine's part of the calculator alone, a minimal Leptos page alone, and that page deriving
/// a paragraph with the engine. Their wasm and JS, gzipped; the calculator's own transfer
/// beside them.
pub fn size_floor() -> Result<(), String> {
    ensure_tools()?;
    let (_, _, opt_params) = page_recipe()?;
    let out = crate::target_dir().join("size-floor");
    let mut rows = Vec::new();
    for (example, what) in [
        (
            "floor_engine",
            "the engine alone: price lists parsed, an estimate request read from JSON, rated, its document built with VAT and exchange rates, written as JSON",
        ),
        (
            "floor_leptos",
            "a minimal Leptos page alone: two fields, a keyed list, a derived paragraph",
        ),
        (
            "floor_both",
            "that page deriving its paragraph with the engine",
        ),
    ] {
        let mut c = cargo();
        c.args([
            "build",
            "-p",
            "ratecard-web",
            "--example",
            example,
            "--profile",
            "wasm-release",
            "--target",
            crate::WASM_TARGET,
        ]);
        step(&format!("{example} (wasm32)"), c)?;
        let dir = out.join(example);
        let _ = std::fs::remove_dir_all(&dir);
        bind_for_the_web(
            &crate::target_dir().join(format!(
                "wasm32-unknown-unknown/wasm-release/examples/{example}.wasm"
            )),
            &dir,
            example,
            &format!("wasm-bindgen ({example})"),
        )?;
        let wasm = dir.join(format!("{example}_bg.wasm"));
        wasm_opt(&wasm, &opt_params, &format!("wasm-opt -Oz ({example})"))?;
        let js = dir.join(format!("{example}.js"));
        let gz = zopfli_gzip(&wasm)?.len() + zopfli_gzip(&js)?.len();
        rows.push(format!("| {what} | {gz} bytes |\n"));
    }
    let dist = build_web()?;
    let (_, gz) = transfer_size(&dist)?;
    let table = format!(
        "| page (wasm + JS, zopfli) | gzipped |\n|---|---|\n{}| the calculator (wasm + JS + CSS + page) | {gz} bytes |\n\n\
         The goal is 250,000 bytes. Machine: {}.\n",
        rows.concat(),
        crate::machine(),
    );
    println!("\n{table}");
    crate::write_section("size-floor", &table)
}

/// The console's browser scenarios in headless Chromium, against `bin serve --demo` serving
/// `dist` (screenshots at 1366 and 390 px in target/browser/).
pub fn console_tests(dist: &Path, bin: &Path) -> Result<(usize, usize), String> {
    let out = root().join("target/browser");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let mut c = Command::new("node");
    c.arg(root().join("web/tests/console.mjs"))
        .env("RATECARD_DIST", dist)
        .env("RATECARD_OUT", &out)
        .env("RATECARD_BIN", bin)
        .env("RATECARD_NPM", tools_dir().join("npm"));
    with_tools_path(&mut c);
    crate::counted_step("console in headless Chromium, against a demo server", c)
}

/// Runs the browser scenarios in headless Chromium, then checks what the page showed against
/// the native engine.
pub fn browser_tests(dist: &Path) -> Result<(usize, usize), String> {
    let out = root().join("target/browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let mut c = Command::new("node");
    c.arg(root().join("web/tests/browser.mjs"))
        .env("RATECARD_DIST", dist)
        .env("RATECARD_OUT", &out)
        .env("RATECARD_NPM", tools_dir().join("npm"));
    with_tools_path(&mut c);
    step("browser tests (headless Chromium)", c)?;
    // What the page showed, against the engine computed natively.
    println!("==> browser results against the native engine");
    let observed: serde_json::Value = read_json(&out.join("observed.json"))?;
    let export: serde_json::Value = read_json(&out.join("export.json"))?;
    let setup: ratecard_web::state::Setup = serde_json::from_value(export["setup"].clone())
        .map_err(|e| format!("exported setup: {e}"))?;
    let native = setup.compute();
    let doc = native
        .document
        .as_ref()
        .ok_or("the exported setup gives no document natively")?;
    let shown = observed["scenario_total"]["gross"].as_str().unwrap_or("");
    let expected = ratecard_web::i18n::money(doc.totals.gross, &setup.currency, setup.lang);
    let (mut failed, mut ran) = (0, 0);
    let mut check = |name: &str, ok: bool, detail: String| {
        ran += 1;
        println!(
            "    {} {name}{}",
            if ok { "ok  " } else { "FAIL" },
            if ok {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
        if !ok {
            failed += 1;
        }
    };
    check(
        "page total equals the native engine's",
        shown == expected,
        format!("page {shown:?}, native {expected:?}"),
    );
    let native_estimate = serde_json::to_value(&native.estimate).map_err(|e| e.to_string())?;
    let same = ratecard::canonical::to_string(&export["estimate"]).ok()
        == ratecard::canonical::to_string(&native_estimate).ok();
    check(
        "exported estimate JSON equals the native engine's, byte for byte",
        same,
        "the canonical JSON differs".into(),
    );
    let request: ratecard::EstimateRequest = serde_json::from_value(export["request"].clone())
        .map_err(|e| format!("exported request: {e}"))?;
    let book = ratecard_web::state::book(export["catalog"].as_str().unwrap_or(""))
        .map_err(|e| e.to_string())?;
    let again = ratecard::estimate(&book, &request).map_err(|e| e.to_string())?;
    check(
        "the exported request re-estimated natively gives the exported result",
        ratecard::canonical::to_string(&again).ok()
            == ratecard::canonical::to_string(&export["estimate"]).ok(),
        "re-estimating the exported request gives another result".into(),
    );
    let mut c = cargo();
    c.args(["run", "--quiet", "-p", "ratecard-server", "--", "estimate"])
        .arg(out.join("export.json"));
    let o = c.output().map_err(|e| format!("ratecard estimate: {e}"))?;
    let cli = String::from_utf8_lossy(&o.stdout).trim_end().to_string();
    check(
        "`ratecard estimate` accepts the exported JSON and prints the browser's result",
        o.status.success()
            && ratecard::canonical::to_string(&export["estimate"])
                .ok()
                .as_deref()
                == Some(cli.as_str()),
        format!(
            "exit {:?}: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        ),
    );
    if failed > 0 {
        return Err(format!(
            "{failed} browser result(s) differ from the native engine"
        ));
    }
    let browser: serde_json::Value = read_json(&out.join("summary.json"))?;
    let passed = browser["passed"].as_u64().unwrap_or(0) as usize + ran;
    Ok((passed, 0))
}

fn read_json(p: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

/// Builds the calculator and starts `ratecard serve` on 127.0.0.1:8080 with a demo ledger
/// (sample customers, a month of events, one final invoice) and a fresh bearer token. With
/// `postgres`, the ledger is in a throwaway PostgreSQL server, stopped and removed on Ctrl-C.
pub fn serve(postgres: bool) -> Result<(), String> {
    println!(
        "ratecard: building the calculator and the server (the first build takes a few minutes)"
    );
    let dist = build_web()?;
    let r = root();
    let mut c = cargo();
    c.args(["build", "-p", "ratecard-server", "--bin", "ratecard"]);
    step("server build", c)?;
    let target = crate::target_dir();
    let db_dir = r.join("target/demo");
    // Demo data only: each run starts from a fresh demo ledger (and its audit key).
    let _ = std::fs::remove_dir_all(&db_dir);
    std::fs::create_dir_all(&db_dir).map_err(|e| e.to_string())?;
    let token = match std::env::var("RATECARD_TOKEN") {
        Ok(t) if !t.is_empty() => t,
        _ => random_token()?,
    };
    // The token in a file only its owner reads, for scripts (`export RATECARD_TOKEN=$(cat
    // target/demo/token)`), as the README's worked example does.
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options
            .open(db_dir.join("token"))
            .map_err(|e| format!("target/demo/token: {e}"))?;
        writeln!(f, "{token}").map_err(|e| e.to_string())?;
    }
    let addr = std::env::var("RATECARD_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    // Ctrl-C reaches the server (it drains and exits); this process waits for it, so that the
    // throwaway PostgreSQL is stopped after it.
    let _ = ctrlc::set_handler(|| {});
    let (pg, db) = if postgres {
        let pg = crate::pg::Throwaway::start("serve")?;
        let key = db_dir.join("audit-key");
        std::fs::write(&key, format!("{}\n", random_token()?)).map_err(|e| e.to_string())?;
        let db = format!("{} dbname=postgres", pg.base());
        println!(
            "==> PostgreSQL in {} (removed when the server stops)",
            pg.dir().display()
        );
        (Some((pg, key)), db)
    } else {
        (
            None,
            db_dir.join("ratecard-demo.sqlite").display().to_string(),
        )
    };
    // A read-only token of the demo's first account, for the console.
    let mut c = Command::new(target.join("debug/ratecard"));
    c.args([
        "token",
        "create",
        "--account",
        "acme",
        "--name",
        "demo console",
        "--db",
        &db,
    ]);
    if let Some((_, key)) = &pg {
        c.env("RATECARD_AUDIT_KEY_FILE", key);
    }
    let acme_token = c
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("==> ratecard serve --demo on {addr}");
    let mut cmd = Command::new(target.join("debug/ratecard"));
    cmd.args(["serve", "--demo", "--addr", &addr, "--db", &db])
        .arg("--dist")
        .arg(&dist)
        .env("RATECARD_TOKEN", &token);
    if let Some((_, key)) = &pg {
        cmd.env("RATECARD_AUDIT_KEY_FILE", key);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("ratecard serve: could not start: {e}"))?;
    // The address and token are printed once the server answers, never before.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!(
                "ratecard serve stopped before answering ({status})"
            ));
        }
        // The health check answers, and the process is still ours: another server left on
        // the same address would answer while this one fails to bind.
        if health(&addr) {
            std::thread::sleep(std::time::Duration::from_millis(300));
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!(
                    "ratecard serve stopped ({status}); is another server on {addr}?"
                ));
            }
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!(
                "ratecard serve did not answer on {addr} within 60 s"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    println!(
        "\nratecard is ready:\n  calculator  http://{addr}/\n  console     http://{addr}/console/   (sign in with the token; acme's read-only token: {acme_token})\n  API         http://{addr}/api/v1/health\n  token       {token}   (export RATECARD_TOKEN=$(cat target/demo/token))\nCtrl-C stops it.\n"
    );
    let status = child.wait().map_err(|e| e.to_string())?;
    drop(pg);
    if status.success() {
        Ok(())
    } else {
        Err(format!("ratecard serve: {status}"))
    }
}

/// Whether the service at `addr` answers its health check.
fn health(addr: &str) -> bool {
    use std::io::Write;
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let req = format!("GET /api/v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// 128 random bits as hex, from the operating system.
fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no random token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The engine's JavaScript API: built with `--features wasm` for Node, its functions tested
/// against the native outputs, and its TypeScript declarations type-checked.
pub fn js_api_tests() -> Result<(usize, usize), String> {
    let r = root();
    let out = build_js_api()?;
    println!("==> JS API against the native outputs");
    let o = Command::new("node")
        .arg(r.join("engine/js/test.mjs"))
        .arg(&out)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let report = String::from_utf8_lossy(&o.stdout).to_string();
    print!("{report}");
    let tally = report
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("js-api: "))
        .unwrap_or("");
    let count = |word: &str| {
        tally
            .split(", ")
            .find_map(|p| p.strip_suffix(word))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let (js_passed, js_failed) = (count(" passed"), count(" failed"));
    if !o.status.success() || js_failed > 0 || js_passed == 0 {
        return Err(format!(
            "JS API: {js_passed} passed, {js_failed} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    std::fs::copy(r.join("engine/js/types-test.ts"), out.join("types-test.ts"))
        .map_err(|e| e.to_string())?;
    let mut c = Command::new("tsc");
    c.args([
        "--strict",
        "--noEmit",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2020",
    ])
    .arg(out.join("types-test.ts"));
    with_tools_path(&mut c);
    step("TypeScript declarations type-check (tsc --strict)", c)?;
    // The Node script's checks, and the type-check.
    Ok((js_passed + 1, 0))
}

/// Builds the engine's JS API for Node into `target/js-api`.
pub fn build_js_api() -> Result<PathBuf, String> {
    let r = root();
    let out = r.join("target/js-api");
    let _ = std::fs::remove_dir_all(&out);
    let mut c = cargo();
    // A cdylib only here: declaring it in Cargo.toml would give the engine's rlib a filename
    // without a hash, which collides when a profile builds the engine twice.
    c.args([
        "rustc",
        "-p",
        "ratecard",
        "--lib",
        "--profile",
        "wasm-release",
        "--features",
        "wasm",
        "--target",
        crate::WASM_TARGET,
        "--crate-type",
        "cdylib",
    ]);
    step("engine JS API build (wasm32, --features wasm)", c)?;
    let target = crate::target_dir();
    let mut c = Command::new("wasm-bindgen");
    c.args(["--target", "nodejs", "--out-name", "ratecard", "--out-dir"])
        .arg(&out)
        .arg(target.join("wasm32-unknown-unknown/wasm-release/ratecard.wasm"));
    with_tools_path(&mut c);
    step("wasm-bindgen (Node, with TypeScript declarations)", c)?;
    Ok(out)
}

/// The calculator's figures for BENCHMARKS.md: transfer size, first total, 200-line recompute,
/// and the engine in wasm against native on the 200-line estimate.
pub fn bench() -> Result<(), String> {
    let r = root();
    let mut c = cargo();
    c.args(["bench", "-p", "ratecard", "--bench", "estimate"]);
    step("200-line estimate, native (criterion)", c)?;
    let native = crate::criterion_median("estimate", "200_lines")?;
    let native_js = crate::criterion_median("estimate", "js_equivalent")?;
    let out = build_js_api()?;
    let mut c = Command::new("node");
    c.arg(r.join("engine/js/bench.mjs")).arg(&out);
    let o = c.output().map_err(|e| e.to_string())?;
    let wasm: serde_json::Value =
        serde_json::from_slice(&o.stdout).map_err(|e| format!("JS API bench: {e}"))?;
    let wasm_ms = wasm["median_ms"]
        .as_f64()
        .ok_or("JS API bench: no median")?;
    let dist = build_web()?;
    let (raw, gz) = transfer_size(&dist)?;
    let mut c = Command::new("node");
    c.arg(r.join("web/tests/bench.mjs"))
        .env("RATECARD_DIST", &dist)
        .env("RATECARD_NPM", tools_dir().join("npm"))
        .env("RATECARD_ROOT", &r);
    with_tools_path(&mut c);
    let o = c.output().map_err(|e| e.to_string())?;
    let page: serde_json::Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| format!("browser bench: {e}: {}", String::from_utf8_lossy(&o.stderr)))?;
    let first = page["first_total_median_ms"].as_f64().unwrap_or(0.0);
    let typing = |n: &str, what: &str| page["typing"][n][what].as_f64().unwrap_or(f64::NAN);
    let table = format!(
        "| figure | measured | goal |\n|---|---|---|\n\
         | gzipped transfer of a release build (wasm + JS + CSS + page) | {gz} bytes ({raw} raw) | at most {BUDGET_GZIP_BYTES} bytes (enforced); 250,000 wanted |\n\
         | navigation to the first total rendered, headless Chromium on localhost (median of 10 loads) | {first:.0} ms | |\n\
         | typing, 10 lines: a keystroke to the next frame with the new total (median / worst of 20) | {:.1} / {:.1} ms | under 16 ms |\n\
         | typing, 50 lines | {:.1} / {:.1} ms | |\n\
         | typing, 200 lines | {:.1} / {:.1} ms | under 50 ms |\n\
         | 200-line estimate, native engine (criterion, opt-level 3) | {:.2} ms | |\n\
         | the same as one JS API call (parse catalogs and request, estimate, result to JSON), native | {:.2} ms | |\n\
         | that JS API call in wasm under Node (release profile, opt-level z; median of 30) | {wasm_ms:.2} ms | |\n\n\
         **wasm / native: {:.2}x** for the same work. Machine: {}.\n",
        typing("10", "median"),
        typing("10", "worst"),
        typing("50", "median"),
        typing("50", "worst"),
        typing("200", "median"),
        typing("200", "worst"),
        native / 1e6,
        native_js / 1e6,
        wasm_ms / (native_js / 1e6),
        crate::machine(),
    );
    println!("\n{table}");
    crate::write_section("calculator", &table)
}
