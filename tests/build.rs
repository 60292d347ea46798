//! Embeds every case under `cases/` and every catalog under `../catalog/` at build time, so the
//! runner needs no file system and runs unchanged on wasm32.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn table(name: &str, root: &Path, recursive: bool) -> String {
    let mut files = Vec::new();
    if recursive {
        walk(root, &mut files);
    } else if let Ok(entries) = std::fs::read_dir(root) {
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json")),
        );
    }
    files.sort();
    let mut s = format!("pub static {name}: &[(&str, &str)] = &[\n");
    for f in files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let rel = rel.trim_end_matches(".json");
        let _ = writeln!(
            s,
            "    ({rel:?}, include_str!({:?})),",
            f.canonicalize().unwrap_or(f.clone()).display().to_string()
        );
    }
    s.push_str("];\n");
    s
}

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let cases = dir.join("cases");
    let catalogs = dir.join("../catalog");
    println!("cargo:rerun-if-changed={}", cases.display());
    println!("cargo:rerun-if-changed={}", catalogs.display());
    let mut dirs = Vec::new();
    walk(&cases, &mut dirs);
    for d in dirs.iter().filter_map(|p| p.parent()) {
        println!("cargo:rerun-if-changed={}", d.display());
    }
    let code = table("CASES", &cases, true) + &table("CATALOGS", &catalogs, false);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}
