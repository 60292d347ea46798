//! The ratecard calculator: a Leptos single-page app that calls the engine as a Rust library.
//!
//! State is one plain [`state::Setup`] in a signal; everything shown is derived from it with the
//! engine (a memo). Effects sync with the outside (the URL: the share link holds the whole
//! setup; localStorage: saved estimates), and follow the parts of the setup that many closures
//! read (`app::follow`), so that a keystroke wakes only what it changes. `state` and `i18n` hold no DOM code, so they are
//! tested natively, and the browser tests compare the page with them.

pub mod app;
pub mod html;
pub mod i18n;
pub mod keep;
pub mod render;
pub mod state;
