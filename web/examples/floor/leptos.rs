//! The smallest Leptos page worth the name: two text fields, a list keyed by id that grows on a
//! click, and a paragraph derived from the fields.

use leptos::prelude::*;

#[component]
pub fn Page(derive: fn(&str, &str) -> String) -> impl IntoView {
    let (a, set_a) = signal(String::new());
    let (b, set_b) = signal(String::new());
    let (rows, set_rows) = signal(Vec::<(usize, String)>::new());
    view! {
        <input prop:value=a on:input=move |e| set_a.set(event_target_value(&e)) />
        <input prop:value=b on:input=move |e| set_b.set(event_target_value(&e)) />
        <button on:click=move |_| set_rows.update(|r| r.push((r.len(), a.get())))>"Add"</button>
        <ul>
            <For each=move || rows.get() key=|r| r.0 let:r>
                <li>{r.1}</li>
            </For>
        </ul>
        <p>{move || derive(&a.get(), &b.get())}</p>
    }
}
