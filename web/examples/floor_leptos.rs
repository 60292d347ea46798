//! Size floor (`cargo xtask bench size-floor`): a minimal Leptos page, no engine.

#[path = "floor/leptos.rs"]
mod page;

fn main() {
    leptos::mount::mount_to_body(|| {
        page::Page(page::PageProps {
            derive: |a, b| format!("{a}{b}"),
        })
    });
}
