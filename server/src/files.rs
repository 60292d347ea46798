//! The calculator's files (`dist/`), served at `/`. Only what is plainly inside `dist/`: a path
//! with a segment that starts with a dot (`.env`, `.git/`) is not found, and neither is a file
//! reached through a symbolic link, even one that points inside. Any other path that names no
//! file gets `index.html`, so the app's own addresses load the app.
//!
//! `cargo xtask build-web` writes a gzipped copy beside each file (`web_bg.wasm.gz`); a browser
//! that accepts gzip gets that copy, the transfer the size budget counts.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Serves `dist/` with the rules above.
pub async fn serve(dist: PathBuf, request: Request<Body>) -> Response {
    let path = request.uri().path().to_string();
    if !allowed(&dist, &path) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let service = ServeDir::new(&dist)
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")).precompressed_gzip());
    match service.oneshot(request).await {
        Ok(r) => {
            let mut r = r.into_response();
            // The body depends on Accept-Encoding: a cache must not give the gzipped copy to a
            // client that did not ask for it.
            r.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            r
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Whether `url_path` may be served from `dist`: no dot segment, no `..`, and no symbolic link
/// on the way from `dist` to the file.
fn allowed(dist: &Path, url_path: &str) -> bool {
    let decoded = percent_decode(url_path);
    let mut at = dist.to_path_buf();
    for part in Path::new(decoded.trim_start_matches('/')).components() {
        match part {
            Component::Normal(seg) => {
                if seg.to_string_lossy().starts_with('.') {
                    return false;
                }
                at.push(seg);
                match std::fs::symlink_metadata(&at) {
                    Ok(m) if m.file_type().is_symlink() => return false,
                    Ok(_) => {}
                    // A path that names nothing falls back to the page.
                    Err(_) => return true,
                }
            }
            Component::CurDir => {}
            _ => return false,
        }
    }
    true
}

/// `%2e` and friends, so that an encoded dot or slash is judged as the server will read it (and
/// an account in a path, as the router reads it).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotfiles_and_symlinks_are_not_served() {
        let d = std::env::temp_dir().join(format!("ratecard-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("assets")).unwrap();
        std::fs::write(d.join("index.html"), "page").unwrap();
        std::fs::write(d.join(".env"), "SECRET=1").unwrap();
        std::fs::write(d.join("assets/app.js"), "js").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join("passwd")).unwrap();
        std::os::unix::fs::symlink(d.join("index.html"), d.join("inside")).unwrap();
        assert!(allowed(&d, "/index.html"));
        assert!(allowed(&d, "/assets/app.js"));
        assert!(allowed(&d, "/some/app/route"));
        assert!(!allowed(&d, "/.env"));
        assert!(!allowed(&d, "/%2eenv"));
        assert!(!allowed(&d, "/assets/../.env"));
        assert!(!allowed(&d, "/passwd"));
        assert!(!allowed(&d, "/inside"));
        let _ = std::fs::remove_dir_all(&d);
    }

    async fn get(dist: &Path, path: &str, gzip: bool) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut r = Request::get(path);
        if gzip {
            r = r.header(header::ACCEPT_ENCODING, "gzip, br");
        }
        let resp = serve(dist.to_path_buf(), r.body(Body::empty()).unwrap()).await;
        assert_eq!(resp.headers()[header::VARY], "accept-encoding");
        let status = resp.status();
        let encoding = resp
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, encoding, body.to_vec())
    }

    #[tokio::test]
    async fn a_gzipped_copy_goes_to_a_browser_that_accepts_gzip() {
        let d = std::env::temp_dir().join(format!("ratecard-gz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("index.html"), "page").unwrap();
        std::fs::write(d.join("index.html.gz"), "gzipped page").unwrap();
        std::fs::write(d.join("app.wasm"), "wasm").unwrap();
        std::fs::write(d.join("app.wasm.gz"), "gzipped wasm").unwrap();
        std::fs::write(d.join("plain.css"), "css").unwrap();
        let gz = Some("gzip".to_string());
        let ok = StatusCode::OK;
        assert_eq!(
            get(&d, "/app.wasm", true).await,
            (ok, gz.clone(), b"gzipped wasm".to_vec())
        );
        assert_eq!(
            get(&d, "/app.wasm", false).await,
            (ok, None, b"wasm".to_vec())
        );
        // The page, by its name and by an app address that falls back to it.
        assert_eq!(
            get(&d, "/", true).await,
            (ok, gz.clone(), b"gzipped page".to_vec())
        );
        assert_eq!(
            get(&d, "/quote/7", true).await,
            (ok, gz, b"gzipped page".to_vec())
        );
        assert_eq!(
            get(&d, "/quote/7", false).await,
            (ok, None, b"page".to_vec())
        );
        // A file with no gzipped copy is served as it is.
        assert_eq!(
            get(&d, "/plain.css", true).await,
            (ok, None, b"css".to_vec())
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
