//! A throwaway PostgreSQL server for the tests and the demo: Debian's `postgresql` package
//! (installed with apt-get when missing), `initdb` into a temporary directory as the
//! unprivileged `postgres` user (PostgreSQL refuses to run as root), a Unix socket in that
//! directory and no TCP port, stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::step;

/// The socket's port number: it only names the socket file in the server's own directory.
const PORT: &str = "55432";

pub(crate) struct Throwaway {
    dir: PathBuf,
    bin: PathBuf,
    /// Run the server's tools as this user (root's runs go through `runuser`).
    user: Option<&'static str>,
}

/// The PostgreSQL binaries: `pg_config --bindir`, or the newest `/usr/lib/postgresql/*/bin`.
fn bindir() -> Option<PathBuf> {
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("initdb").exists());
    from_config.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        dirs.sort_by_key(|p| {
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        });
        dirs.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Throwaway {
    /// Installs PostgreSQL when missing and starts a fresh server, `fsync` off (tests).
    pub(crate) fn start(name: &str) -> Result<Self, String> {
        Self::start_with(name, false)
    }

    /// The same, with `fsync` on when `durable` (benchmarks of durable writes).
    pub(crate) fn start_with(name: &str, durable: bool) -> Result<Self, String> {
        let bin = match bindir() {
            Some(b) => b,
            None => {
                let mut c = Command::new("sh");
                c.args([
                    "-c",
                    "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql",
                ]);
                step("install PostgreSQL with apt-get", c)?;
                bindir().ok_or("PostgreSQL installed, but no initdb found")?
            }
        };
        let dir = std::env::temp_dir().join(format!("ratecard-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let user = is_root().then_some("postgres");
        if let Some(u) = user {
            let mut c = Command::new("chown");
            c.arg(u).arg(&dir);
            run_quiet("chown the PostgreSQL directory", c)?;
        }
        let pg = Throwaway { dir, bin, user };
        let data = pg.dir.join("data");
        let mut c = pg.tool("initdb");
        c.arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "ratecard", "--no-sync"]);
        run_quiet("initdb", c)?;
        let mut c = pg.tool("pg_ctl");
        c.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(pg.dir.join("log"))
            .args(["-w", "start", "-o"])
            .arg(format!(
                "-k {} -c listen_addresses='' -p {PORT} -c fsync={} -c max_connections=200",
                pg.dir.display(),
                if durable { "on" } else { "off" }
            ));
        run_quiet("start PostgreSQL", c)?;
        Ok(pg)
    }

    fn tool(&self, name: &str) -> Command {
        match self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(self.bin.join(name));
                c
            }
            None => Command::new(self.bin.join(name)),
        }
    }

    /// The connection words for a database of this server, without `dbname`.
    pub(crate) fn base(&self) -> String {
        format!("host={} port={PORT} user=ratecard", self.dir.display())
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let mut c = self.tool("pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = c.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs a command, showing its output only when it fails.
fn run_quiet(name: &str, mut c: Command) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{name}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{name}: failed ({})\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
