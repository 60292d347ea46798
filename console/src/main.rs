fn main() {
    leptos::mount::mount_to_body(ratecard_console::Console);
}
