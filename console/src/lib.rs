//! The console: a customer's and a FinOps team's view of real costs, on the JSON API. A
//! WebAssembly program of its own (served at `/console/`), so the calculator's first load does
//! not carry it.
//!
//! State is the session (token and account) and the route (the URL's fragment, [`route`]);
//! each view fetches what it shows from the API and renders the answer ([`render`], which has
//! no DOM and is tested natively). The console does no price arithmetic: every amount is the
//! API's, which the engine computed.

pub mod app;
pub mod labels;
pub mod render;
pub mod route;

pub use app::Console;
