//! Size floor (`cargo xtask bench size-floor`): the minimal Leptos page deriving its paragraph
//! with the engine: what any calculator on this architecture transfers before its own views.

#[path = "floor/engine.rs"]
mod engine;
#[path = "floor/leptos.rs"]
mod page;

fn main() {
    leptos::mount::mount_to_body(|| {
        page::Page(page::PageProps {
            derive: |a, b| engine::rate(a.len() % 2, a, b),
        })
    });
}
