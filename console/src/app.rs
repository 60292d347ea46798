//! The views: sign-in, now, the cost explorer, invoices, budgets and alerts.

use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use ratecard_web::state::Lang;

use crate::labels::l;
use crate::render;
use crate::route::{self, Route, VIEWS};

const TOKEN_KEY: &str = "ratecard.console.token";
const LANG_KEY: &str = "ratecard.console.lang";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

fn go(r: &Route) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&r.fragment());
    }
}

/// `GET path` with the token: the answer's text, or the API's error message.
async fn fetch(token: &str, path: &str) -> Result<String, String> {
    send(token, "GET", path, None).await
}

/// `POST path` with a JSON body, answered with JSON.
async fn post_json(token: &str, path: &str, body: &str) -> Result<Value, String> {
    let text = send(token, "POST", path, Some(body)).await?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

async fn send(token: &str, method: &str, path: &str, body: Option<&str>) -> Result<String, String> {
    let resp = respond(token, method, path, body).await?;
    let text = JsFuture::from(resp.text().map_err(|e| format!("{e:?}"))?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if resp.ok() {
        Ok(text)
    } else {
        Err(message_of(&text, resp.status()))
    }
}

/// The error an API answer states, or its HTTP status.
fn message_of(text: &str, status: u16) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["message"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// `GET path`, saved as the file `name` from its bytes (a PDF is not text).
async fn save_file(token: &str, path: &str, name: &str) -> Result<(), String> {
    let resp = respond(token, "GET", path, None).await?;
    if !resp.ok() {
        let text = JsFuture::from(resp.text().map_err(|e| format!("{e:?}"))?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        return Err(message_of(&text, resp.status()));
    }
    let blob: web_sys::Blob = JsFuture::from(resp.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|_| "the file did not arrive".to_string())?
        .dyn_into()
        .map_err(|_| "not a file".to_string())?;
    ratecard_web::keep::save_blob(name, &blob);
    Ok(())
}

/// The response to a request with the session's token.
async fn respond(
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<web_sys::Response, String> {
    let opts = web_sys::RequestInit::new();
    opts.set_method(method);
    if let Some(b) = body {
        opts.set_body(&wasm_bindgen::JsValue::from_str(b));
    }
    let req = web_sys::Request::new_with_str_and_init(path, &opts).map_err(|e| format!("{e:?}"))?;
    req.headers()
        .set("Authorization", &format!("Bearer {token}"))
        .map_err(|e| format!("{e:?}"))?;
    let w = web_sys::window().ok_or("no window")?;
    JsFuture::from(w.fetch_with_request(&req))
        .await
        .map_err(|_| "the server did not answer".to_string())?
        .dyn_into()
        .map_err(|_| "not a response".to_string())
}

async fn json(token: &str, path: &str) -> Result<Value, String> {
    let text = fetch(token, path).await?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

#[derive(Clone, Debug, PartialEq)]
struct Session {
    token: String,
    admin: bool,
    /// The account shown: the token's, or the one the admin picked.
    account: String,
}

/// Where an answer is awaited, failed or arrived.
fn show(
    res: LocalResource<Result<Value, String>>,
    lang: Signal<Lang>,
    render: impl Fn(&Value, Lang) -> String + Send + Sync + 'static,
) -> impl IntoView {
    move || match res.get() {
        None => {
            view! { <p class="hint" aria-busy="true">{l(lang.get(), "loading")}</p> }.into_any()
        }
        Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Some(Ok(v)) => view! { <div inner_html=render(&v, lang.get())></div> }.into_any(),
    }
}

/// A resource of one `GET` of a fixed path, with the token.
fn api_resource(token: &str, path: String) -> LocalResource<Result<Value, String>> {
    let token = token.to_string();
    LocalResource::new(move || {
        let (t, p) = (token.clone(), path.clone());
        async move { json(&t, &p).await }
    })
}

fn current_month() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1)
}

/// `n` months ending with `m`: `m` itself for 1, else `YYYY-MM..m`.
fn months_up_to(m: &str, n: u32) -> String {
    let mut first = m.to_string();
    for _ in 1..n {
        first = month_before(&first);
    }
    if n <= 1 {
        first
    } else {
        format!("{first}..{m}")
    }
}

fn month_before(m: &str) -> String {
    let (y, mo) = m.split_once('-').unwrap_or(("2026", "01"));
    let (y, mo): (i32, u32) = (y.parse().unwrap_or(2026), mo.parse().unwrap_or(1));
    if mo <= 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", mo - 1)
    }
}

#[component]
pub fn Console() -> impl IntoView {
    let lang = RwSignal::new(
        session_storage()
            .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
            .filter(|l| l == "fr")
            .map_or(Lang::En, |_| Lang::Fr),
    );
    let lang_signal: Signal<Lang> = lang.into();
    let route = RwSignal::new(Route::parse(&fragment()));
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        route.set(Route::parse(&fragment()));
    });
    let session = RwSignal::new(None::<Session>);
    let sign_in_error = RwSignal::new(None::<String>);
    let token_input = RwSignal::new(String::new());
    // The route may name the account (an admin's link to one account's view).
    let sign_in = move |token: String| {
        leptos::task::spawn_local(async move {
            match json(&token, "/api/v1/me").await {
                Ok(me) => {
                    let admin = me["scope"] == "admin";
                    let mut account = me["account"].as_str().unwrap_or("").to_string();
                    if admin {
                        account = route
                            .get_untracked()
                            .get("account")
                            .map(String::from)
                            .unwrap_or_default();
                        if account.is_empty()
                            && let Ok(list) = json(&token, "/api/v1/accounts").await
                        {
                            account = list["accounts"][0]["account"]
                                .as_str()
                                .unwrap_or("")
                                .to_string();
                        }
                    }
                    if let Some(s) = session_storage() {
                        let _ = s.set_item(TOKEN_KEY, &token);
                    }
                    sign_in_error.set(None);
                    session.set(Some(Session {
                        token,
                        admin,
                        account,
                    }));
                }
                Err(e) => {
                    if let Some(s) = session_storage() {
                        let _ = s.remove_item(TOKEN_KEY);
                    }
                    sign_in_error.set(Some(e));
                }
            }
        });
    };
    if let Some(t) = session_storage().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten()) {
        sign_in(t);
    }
    let sign_out = move |_| {
        if let Some(s) = session_storage() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        session.set(None);
    };
    let switch_lang = move |_| {
        let next = if lang.get_untracked() == Lang::Fr {
            Lang::En
        } else {
            Lang::Fr
        };
        if let Some(s) = session_storage() {
            let _ = s.set_item(LANG_KEY, if next == Lang::Fr { "fr" } else { "en" });
        }
        lang.set(next);
    };
    view! {
        <main class="console" lang=move || if lang.get() == Lang::Fr { "fr" } else { "en" }>
            <header class="console-head">
                <h1>{move || l(lang.get(), "title")}</h1>
                <nav aria-label=move || l(lang.get(), "title")>
                    {move || session.get().map(|_| VIEWS.iter().map(|v| {
                        let v = *v;
                        view! {
                            <a href=format!("#/{v}") data-testid=format!("nav-{v}")
                                aria-current=move || (route.get().view == v).then_some("page")>{move || l(lang.get(), v)}</a>
                        }
                    }).collect_view())}
                    <a href="/" class="secondary">{move || l(lang.get(), "calculator")}</a>
                </nav>
                <div class="row">
                    <AccountPicker session lang=lang_signal />
                    <button data-testid="lang" on:click=switch_lang>{move || if lang.get() == Lang::Fr { "English" } else { "Français" }}</button>
                    <Show when=move || session.get().is_some()>
                        <button data-testid="sign-out" on:click=sign_out>{move || l(lang.get(), "sign_out")}</button>
                    </Show>
                </div>
            </header>
            {move || match session.get() {
                None => view! {
                    <section class="sign-in">
                        <h2>{move || l(lang.get(), "sign_in")}</h2>
                        <p class="hint">{move || l(lang.get(), "token_hint")}</p>
                        <form on:submit=move |ev| { ev.prevent_default(); sign_in(token_input.get_untracked()); }>
                            <label>{move || l(lang.get(), "token")}
                                <input type="password" autocomplete="off" data-testid="token" required
                                    aria-invalid=move || sign_in_error.get().is_some().then_some("true")
                                    aria-describedby="token-error"
                                    on:input=move |ev| token_input.set(event_target_value(&ev)) />
                            </label>
                            <button type="submit" data-testid="sign-in">{move || l(lang.get(), "sign_in")}</button>
                        </form>
                        <p class="error" role="alert" id="token-error" data-testid="sign-in-error">{move || sign_in_error.get()}</p>
                    </section>
                }.into_any(),
                Some(s) => {
                    let r = route.get();
                    match r.view.as_str() {
                        "costs" => view! { <Costs session=s route lang=lang_signal /> }.into_any(),
                        "pricing" => view! { <Pricing session=s route lang=lang_signal /> }.into_any(),
                        "allocation" => view! { <Allocation session=s route lang=lang_signal /> }.into_any(),
                        "invoices" => view! { <Invoices session=s lang=lang_signal /> }.into_any(),
                        "budgets" => view! { <Budgets session=s lang=lang_signal /> }.into_any(),
                        _ => view! { <Now session=s lang=lang_signal /> }.into_any(),
                    }
                }
            }}
        </main>
    }
}

/// The admin's choice of account (an account token has its own, fixed).
#[component]
fn AccountPicker(session: RwSignal<Option<Session>>, lang: Signal<Lang>) -> impl IntoView {
    let accounts = LocalResource::new(move || {
        let s = session.get();
        async move {
            match s {
                Some(s) if s.admin => json(&s.token, "/api/v1/accounts").await,
                _ => Ok(Value::Null),
            }
        }
    });
    move || {
        let s = session.get()?;
        if !s.admin {
            return Some(
                view! { <span data-testid="account">{s.account.clone()}</span> }.into_any(),
            );
        }
        let list = accounts.get().and_then(Result::ok).unwrap_or(Value::Null);
        let options: Vec<(String, String)> = list["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let id = a["account"].as_str().unwrap_or("").to_string();
                let name = a["name"]
                    .as_str()
                    .map_or(id.clone(), |n| format!("{n} ({id})"));
                (id, name)
            })
            .collect();
        let current = s.account.clone();
        Some(view! {
            <label>{move || l(lang.get(), "account")}
                <select data-testid="account" prop:value=current
                    on:change=move |ev| {
                        let a = event_target_value(&ev);
                        session.update(|s| if let Some(s) = s { s.account = a });
                    }>
                    {options.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
            </label>
        }.into_any())
    }
}

#[component]
fn Now(session: Session, lang: Signal<Lang>) -> impl IntoView {
    let token = session.token.clone();
    let account = session.account.clone();
    let consumption = api_resource(
        &token,
        format!(
            "/api/v1/accounts/{}/consumption",
            route::encode_component(&account)
        ),
    );
    let budgets = LocalResource::new({
        let (t, a) = (token.clone(), account.clone());
        move || {
            let (t, a) = (t.clone(), a.clone());
            async move { budget_statuses(&t, &a).await }
        }
    });
    view! {
        <section>
            <h2>{move || format!("{} · {}", l(lang.get(), "now"), account)}</h2>
            {show(consumption, lang, render::now)}
        </section>
        <section>
            <h2>{move || l(lang.get(), "budgets")}</h2>
            {show(budgets, lang, |v, lang| budget_list_with(v, lang, false))}
        </section>
    }
}

/// The account's budgets, each with its status this month.
async fn budget_statuses(token: &str, account: &str) -> Result<Value, String> {
    let list = json(
        token,
        &format!(
            "/api/v1/budgets?account={}",
            route::encode_component(account)
        ),
    )
    .await?;
    let mut out = Vec::new();
    for b in list["budgets"].as_array().into_iter().flatten() {
        let id = b["id"].as_str().unwrap_or("");
        out.push(
            json(
                token,
                &format!("/api/v1/budgets/{}/status", route::encode_component(id)),
            )
            .await?,
        );
    }
    Ok(Value::Array(out))
}

#[component]
fn Budgets(session: Session, lang: Signal<Lang>) -> impl IntoView {
    let (t, a) = (session.token.clone(), session.account.clone());
    let admin = session.admin;
    let budgets = LocalResource::new({
        let (t, a) = (t.clone(), a.clone());
        move || {
            let (t, a) = (t.clone(), a.clone());
            async move { budget_statuses(&t, &a).await }
        }
    });
    let alerts = api_resource(
        &t,
        format!("/api/v1/alerts?account={}", route::encode_component(&a)),
    );
    let deliveries = LocalResource::new({
        let t = t.clone();
        move || {
            let t = t.clone();
            async move {
                if admin {
                    json(&t, "/api/v1/webhooks/deliveries").await
                } else {
                    Ok(Value::Null)
                }
            }
        }
    });
    // The form: a budget's id, amount a month, basis, thresholds and an optional project.
    let (id, amount, basis, thresholds, project) = (
        RwSignal::new(format!("{a}-monthly")),
        RwSignal::new(String::new()),
        RwSignal::new("actual".to_string()),
        RwSignal::new("50,80,100".to_string()),
        RwSignal::new(String::new()),
    );
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = {
        let (t, a) = (t.clone(), a.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let thresholds: Result<Vec<u32>, _> = thresholds
                .get_untracked()
                .split(',')
                .map(|x| x.trim().parse::<u32>())
                .collect();
            let Ok(thresholds) = thresholds else {
                message.set(Some(Err(l(lang.get_untracked(), "bad_thresholds").into())));
                return;
            };
            let mut body = serde_json::json!({
                "id": id.get_untracked(),
                "account": a,
                "amount": amount.get_untracked().trim(),
                "basis": basis.get_untracked(),
                "thresholds": thresholds,
            });
            let p = project.get_untracked();
            if !p.trim().is_empty() {
                body["scope"] = serde_json::json!({ "tag:project": [p.trim()] });
            }
            let (t, bid) = (t.clone(), id.get_untracked());
            leptos::task::spawn_local(async move {
                let path = format!("/api/v1/budgets/{}", route::encode_component(&bid));
                match send(&t, "PUT", &path, Some(&body.to_string())).await {
                    Ok(_) => {
                        message.set(Some(Ok(format!(
                            "{} {bid}",
                            l(lang.get_untracked(), "saved")
                        ))));
                        budgets.refetch();
                        alerts.refetch();
                    }
                    Err(e) => message.set(Some(Err(e))),
                }
            });
        }
    };
    // Buttons inside the rendered lists: remove a budget (after asking), redeliver an alert.
    let on_click = {
        let t = t.clone();
        move |ev: leptos::ev::MouseEvent| {
            let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let t = t.clone();
            if let Some(bid) = el.get_attribute("data-remove") {
                let ask = format!("{} {bid}?", l(lang.get_untracked(), "confirm_remove"));
                if !web_sys::window().is_some_and(|w| w.confirm_with_message(&ask).unwrap_or(false))
                {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let path = format!("/api/v1/budgets/{}", route::encode_component(&bid));
                    match send(&t, "DELETE", &path, None).await {
                        Ok(_) => budgets.refetch(),
                        Err(e) => message.set(Some(Err(e))),
                    }
                });
            } else if let Some(d) = el.get_attribute("data-redeliver") {
                leptos::task::spawn_local(async move {
                    let path = format!("/api/v1/webhooks/deliveries/{d}/redeliver");
                    match send(&t, "POST", &path, None).await {
                        Ok(_) => deliveries.refetch(),
                        Err(e) => message.set(Some(Err(e))),
                    }
                });
            }
        }
    };
    view! {
        <section on:click=on_click.clone()>
            <h2>{move || l(lang.get(), "budgets")}</h2>
            {show(budgets, lang, move |v, lang| budget_list_with(v, lang, admin))}
        </section>
        <Show when=move || admin>
            <section>
                <h2>{move || l(lang.get(), "new_budget")}</h2>
                <form class="row" on:submit=save.clone()>
                    <label>{move || l(lang.get(), "budget_id")}
                        <input data-testid="budget-id" required prop:value=move || id.get() on:input=move |ev| id.set(event_target_value(&ev)) />
                    </label>
                    <label>{move || l(lang.get(), "amount_month")}
                        <input data-testid="budget-amount" required inputmode="decimal" class="narrow" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                    </label>
                    <label>{move || l(lang.get(), "basis")}
                        <select data-testid="budget-basis" prop:value=move || basis.get() on:change=move |ev| basis.set(event_target_value(&ev))>
                            <option value="actual">{move || l(lang.get(), "actual")}</option>
                            <option value="projected">{move || l(lang.get(), "projected")}</option>
                        </select>
                    </label>
                    <label>{move || l(lang.get(), "thresholds")}
                        <input data-testid="budget-thresholds" class="narrow" prop:value=move || thresholds.get() on:input=move |ev| thresholds.set(event_target_value(&ev)) />
                    </label>
                    <label>{move || l(lang.get(), "tag:project")}
                        <input data-testid="budget-project" class="narrow" prop:value=move || project.get() on:input=move |ev| project.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" data-testid="budget-save">{move || l(lang.get(), "save")}</button>
                </form>
                {move || message.get().map(|m| match m {
                    Ok(t) => view! { <p class="notice" role="status" data-testid="budget-message">{t}</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert" data-testid="budget-message">{e}</p> }.into_any(),
                })}
            </section>
        </Show>
        <section>
            <h2>{move || l(lang.get(), "alerts")}</h2>
            {show(alerts, lang, render::alerts)}
        </section>
        <Show when=move || admin>
            <section on:click=on_click.clone()>
                <h2>{move || l(lang.get(), "deliveries")}</h2>
                {show(deliveries, lang, render::deliveries)}
            </section>
        </Show>
    }
}

fn budget_list_with(v: &Value, lang: Lang, admin: bool) -> String {
    let list = v.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        let mut h = ratecard_web::html::Html::default();
        h.el("p", &[("class", "empty")], l(lang, "no_budgets"));
        return h.finish();
    }
    list.iter()
        .map(|st| {
            let mut out = render::budget(st, lang);
            if admin {
                let mut h = ratecard_web::html::Html::default();
                let id = st["budget"].as_str().unwrap_or("");
                h.open(
                    "button",
                    &[
                        ("class", "link"),
                        ("data-remove", id),
                        ("data-testid", &format!("remove-{id}")),
                    ],
                )
                .text(&format!("{} {id}", l(lang, "remove")))
                .close("button");
                out.push_str(&h.finish());
            }
            out
        })
        .collect()
}

#[component]
fn Invoices(session: Session, lang: Signal<Lang>) -> impl IntoView {
    let (t, a) = (session.token.clone(), session.account.clone());
    let docs = api_resource(
        &t,
        format!("/api/v1/accounts/{}/documents", route::encode_component(&a)),
    );
    let error = RwSignal::new(None::<String>);
    // A download button names the document and the format; the file is fetched with the token.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Some(spec) = target.get_attribute("data-download") else {
            return;
        };
        let (number, format) = spec.split_once('|').unwrap_or((&spec, "json"));
        let (number, format) = (number.to_string(), format.to_string());
        let t = t.clone();
        leptos::task::spawn_local(async move {
            if format == "pdf" {
                // The file archived when the document was issued, in the seller's language.
                let path = format!(
                    "/api/v1/invoices/{}?format=pdf",
                    route::encode_component(&number)
                );
                match save_file(&t, &path, &format!("{number}.pdf")).await {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(e)),
                }
                return;
            }
            match fetch(
                &t,
                &format!(
                    "/api/v1/invoices/{}?format={format}",
                    route::encode_component(&number)
                ),
            )
            .await
            {
                Ok(text) => {
                    let (ext, mime) = match format.as_str() {
                        "csv" => ("csv", "text/csv"),
                        "ubl" => ("ubl.xml", "application/xml"),
                        "cii" => ("cii.xml", "application/xml"),
                        _ => ("json", "application/json"),
                    };
                    ratecard_web::keep::download(&format!("{number}.{ext}"), mime, &text);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section on:click=on_click>
            <h2>{move || format!("{} · {}", l(lang.get(), "invoices"), a)}</h2>
            {show(docs, lang, render::documents)}
            <p class="error" role="alert">{move || error.get()}</p>
        </section>
    }
}

/// The dimensions the explorer offers.
const GROUPS: &[&str] = &[
    "service",
    "tag:project",
    "tag:team",
    "region",
    "sku",
    "resource",
];

#[component]
fn Costs(session: Session, route: RwSignal<Route>, lang: Signal<Lang>) -> impl IntoView {
    let token = session.token.clone();
    let account = session.account.clone();
    let period = period_of(route);
    let group = Memo::new(move |_| {
        route
            .get()
            .get("group")
            .filter(|g| GROUPS.contains(g))
            .unwrap_or("service")
            .to_string()
    });
    let drill = Memo::new(move |_| route.get().get("drill").map(String::from));
    // How many months the view spans, up to `period`: 1 (cost per day), 3, 6 or 12 (per month).
    let months = Memo::new(move |_| {
        route
            .get()
            .get("months")
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|m| [1, 3, 6, 12].contains(m))
            .unwrap_or(1)
    });
    let compare = Memo::new(move |_| route.get().get("compare") == Some("1"));
    let resource = Memo::new(move |_| route.get().get("resource").map(String::from));
    let filter = {
        let account = account.clone();
        move || {
            let mut f = format!("account:{account}");
            if let Some(d) = drill.get() {
                f.push(',');
                f.push_str(&d);
            }
            if let Some(r) = resource.get() {
                f.push_str(&format!(",resource:{r}"));
            }
            route::encode_component(&f)
        }
    };
    // The table's dimension: the group, then resources once a group is drilled into.
    let table_dim = move || {
        if drill.get().is_some() {
            "resource".to_string()
        } else {
            group.get()
        }
    };
    let chart = LocalResource::new({
        let (t, filter) = (token.clone(), filter.clone());
        move || {
            // By day over the month, or by month over the months up to it.
            let (periods, bucket) = match months.get() {
                1 => (period.get(), "day"),
                n => (months_up_to(&period.get(), n), "month"),
            };
            let path = format!(
                "/api/v1/costs?period={periods}&group_by={bucket},{}&filter={}",
                table_dim(),
                filter()
            );
            let t = t.clone();
            async move { json(&t, &path).await }
        }
    });
    let table = LocalResource::new({
        let (t, filter) = (token.clone(), filter.clone());
        move || {
            let mut path = format!(
                "/api/v1/costs?period={}&group_by={}&filter={}",
                months_up_to(&period.get(), months.get()),
                table_dim(),
                filter()
            );
            if compare.get() && months.get() == 1 {
                path.push_str(&format!("&compare={}", month_before(&period.get())));
            }
            if resource.get().is_some() {
                path.push_str("&lines=true");
            }
            let t = t.clone();
            async move { json(&t, &path).await }
        }
    });
    let events = RwSignal::new(None::<Result<Value, String>>);
    let on_click = {
        let (t, a) = (token.clone(), account.clone());
        move |ev: leptos::ev::MouseEvent| {
            let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            if let Some(d) = el.get_attribute("data-drill") {
                let r = route.get_untracked();
                if r.get("drill").is_some() {
                    // A resource of the drilled group: its lines.
                    let v = d.split_once(':').map_or(d.as_str(), |x| x.1).to_string();
                    go(&r.with("resource", &v));
                } else {
                    go(&r.with("drill", &d).with("resource", ""));
                }
                events.set(None);
            } else if let Some(res) = el.get_attribute("data-events") {
                let (t, a) = (t.clone(), a.clone());
                let p = period.get_untracked();
                leptos::task::spawn_local(async move {
                    let path = format!(
                        "/api/v1/accounts/{}/events?period={p}&resource={}",
                        route::encode_component(&a),
                        route::encode_component(&res)
                    );
                    events.set(Some(json(&t, &path).await));
                });
            }
        }
    };
    let group_label = move || {
        let lang = lang.get();
        l(lang, &table_dim()).to_string()
    };
    view! {
        <section class="explorer" on:click=on_click>
            <h2>{move || format!("{} · {}", l(lang.get(), "costs"), account)}</h2>
            <div class="row">
                <MonthInput route period lang />
                <label>{move || l(lang.get(), "group_by")}
                    <select data-testid="group" prop:value=move || group.get()
                        on:change=move |ev| go(&route.get_untracked().with("group", &event_target_value(&ev)).with("drill", "").with("resource", ""))>
                        {GROUPS.iter().map(|g| view! { <option value=*g>{move || l(lang.get(), g)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{move || l(lang.get(), "span")}
                    <select data-testid="months" prop:value=move || months.get().to_string()
                        on:change=move |ev| go(&route.get_untracked().with("months", &event_target_value(&ev)).with("compare", ""))>
                        <option value="1">{move || l(lang.get(), "per_day")}</option>
                        <option value="3">{move || l(lang.get(), "months_3")}</option>
                        <option value="6">{move || l(lang.get(), "months_6")}</option>
                        <option value="12">{move || l(lang.get(), "months_12")}</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="compare" prop:disabled=move || months.get() != 1 prop:checked=move || compare.get()
                        on:change=move |ev| go(&route.get_untracked().with("compare", if event_target_checked(&ev) { "1" } else { "" })) />
                    {move || l(lang.get(), "compare")}
                </label>
            </div>
            <Show when=move || drill.get().is_some()>
                <p class="crumbs">
                    <a data-testid="crumb-all" href=move || route.get().with("drill", "").with("resource", "").fragment()>{move || l(lang.get(), "back_to")}</a>
                    " › "
                    <span data-testid="crumb-drill">{move || drill.get()}</span>
                    {move || resource.get().map(|r| view! { " › " <span>{r}</span> })}
                </p>
            </Show>
            {move || { let gl = group_label(); show(chart, lang, move |v, lang| render::daily_chart(v, &gl, lang)) }}
            {move || {
                let gl = group_label();
                let dim = table_dim();
                let drill_dim = match (drill.get().is_some(), resource.get().is_some()) {
                    (_, true) => None,
                    (true, false) => Some("resource".to_string()),
                    (false, false) => Some(dim.clone()),
                };
                let res = resource.get();
                show(table, lang, move |v, lang| {
                    let mut out = render::groups_table(v, &gl, drill_dim.as_deref(), lang);
                    if let Some(r) = &res {
                        out.push_str(&render::lines_table(v, r, lang));
                    }
                    out
                })
            }}
            {move || events.get().map(|e| match e {
                Ok(v) => view! { <div inner_html=render::events_table(&v, lang.get())></div> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
        </section>
    }
}

/// The month a view shows: the route's, or the current one.
fn period_of(route: RwSignal<Route>) -> Memo<String> {
    Memo::new(move |_| {
        route
            .get()
            .get("period")
            .map(String::from)
            .unwrap_or_else(current_month)
    })
}

/// The month a view shows, chosen in the URL.
#[component]
fn MonthInput(route: RwSignal<Route>, period: Memo<String>, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <label>{move || l(lang.get(), "period")}
            <input type="month" data-testid="period" prop:value=move || period.get()
                on:change=move |ev| go(&route.get_untracked().with("period", &event_target_value(&ev))) />
        </label>
    }
}

/// A pricing view: the month's quantities valued as billed and under another price list (a
/// version, another catalog, or one uploaded), per group, with the difference.
#[component]
fn Pricing(session: Session, route: RwSignal<Route>, lang: Signal<Lang>) -> impl IntoView {
    let (token, account) = (session.token.clone(), session.account.clone());
    let period = period_of(route);
    let group = Memo::new(move |_| {
        route
            .get()
            .get("group")
            .filter(|g| GROUPS.contains(g))
            .unwrap_or("sku")
            .to_string()
    });
    let catalogs = api_resource(&token, "/api/v1/catalogs".to_string());
    // `id` (each version at its dates) and `id@version`, for every price list the server has.
    let choices = Memo::new(move |_| {
        let list = catalogs.get().and_then(Result::ok).unwrap_or(Value::Null);
        let mut out = Vec::new();
        for c in list.as_array().into_iter().flatten() {
            let id = c["id"].as_str().unwrap_or("");
            out.push(id.to_string());
            for v in c["versions"].as_array().into_iter().flatten() {
                out.push(format!("{id}@{}", v.as_str().unwrap_or("")));
            }
        }
        out
    });
    let price_list = Memo::new(move |_| {
        route
            .get()
            .get("price_list")
            .map(String::from)
            .or_else(|| choices.get().last().cloned())
            .unwrap_or_default()
    });
    let uploaded = RwSignal::new(None::<(String, String)>);
    let result = LocalResource::new({
        let (t, a) = (token.clone(), account.clone());
        move || {
            let base = format!(
                "/api/v1/costs/pricing-view?period={}&group_by={}&filter={}",
                period.get(),
                group.get(),
                route::encode_component(&format!("account:{a}"))
            );
            let up = uploaded.get();
            let pl = price_list.get();
            let t = t.clone();
            async move {
                match up {
                    Some((_, text)) => post_json(&t, &base, &text).await,
                    None if pl.is_empty() => Err(String::new()),
                    None => {
                        json(
                            &t,
                            &format!("{base}&price_list={}", route::encode_component(&pl)),
                        )
                        .await
                    }
                }
            }
        }
    });
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            if let Ok(text) = JsFuture::from(file.text()).await {
                uploaded.set(Some((name, text.as_string().unwrap_or_default())));
            }
        });
    };
    view! {
        <section class="explorer">
            <h2>{move || format!("{} · {}", l(lang.get(), "pricing"), account)}</h2>
            <p class="hint">{move || l(lang.get(), "pricing_hint")}</p>
            <div class="row">
                <MonthInput route period lang />
                <label>{move || l(lang.get(), "group_by")}
                    <select data-testid="group" prop:value=move || group.get()
                        on:change=move |ev| go(&route.get_untracked().with("group", &event_target_value(&ev)))>
                        {GROUPS.iter().map(|g| view! { <option value=*g>{move || l(lang.get(), g)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{move || l(lang.get(), "price_list")}
                    <select data-testid="price-list" prop:value=move || price_list.get()
                        on:change=move |ev| { uploaded.set(None); go(&route.get_untracked().with("price_list", &event_target_value(&ev))); }>
                        {move || choices.get().into_iter().map(|c| {
                            let selected = c == price_list.get_untracked();
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || l(lang.get(), "upload")}
                    <input type="file" accept="application/json,.json" data-testid="upload" on:change=on_file />
                </label>
            </div>
            {move || uploaded.get().map(|(name, _)| view! { <p class="notice" data-testid="uploaded">{format!("{}{}{name}", l(lang.get(), "uploaded"), crate::labels::colon(lang.get()))}</p> })}
            {move || {
                let gl = l(lang.get(), &group.get()).to_string();
                show(result, lang, move |v, lang| {
                    let mut h = ratecard_web::html::Html::default();
                    h.open("p", &[("class", "hint")])
                        .text(&format!("{}{}", l(lang, "price_list"), crate::labels::colon(lang)))
                        .el("strong", &[("data-testid", "pricing-price-list")], v["price_list"].as_str().unwrap_or(""))
                        .close("p");
                    h.finish() + &render::compared_table(v, &gl, None, ("billed", "other"), lang)
                })
            }}
        </section>
    }
}

/// Allocation: direct and indirect costs per target under the server's rules, and the rules
/// edited and previewed.
#[component]
fn Allocation(session: Session, route: RwSignal<Route>, lang: Signal<Lang>) -> impl IntoView {
    let (token, account) = (session.token.clone(), session.account.clone());
    let admin = session.admin;
    let saved = RwSignal::new(None::<Result<String, String>>);
    let period = period_of(route);
    let rules = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<String>);
    let server_rules = LocalResource::new({
        let t = token.clone();
        move || {
            let t = t.clone();
            async move { fetch(&t, "/api/v1/costs/allocation/rules").await }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(text)) = server_rules.get() {
            let pretty = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(text);
            rules.set(pretty);
        }
    });
    let result = LocalResource::new({
        let (t, a) = (token.clone(), account.clone());
        move || {
            let path = format!(
                "/api/v1/costs/allocation?period={}&filter={}",
                period.get(),
                route::encode_component(&format!("account:{a}"))
            );
            let edited = preview.get();
            let t = t.clone();
            async move {
                match edited {
                    Some(body) => post_json(&t, &path, &body).await,
                    None => json(&t, &path).await,
                }
            }
        }
    });
    view! {
        <section class="explorer">
            <h2>{move || format!("{} · {}", l(lang.get(), "allocation"), account)}</h2>
            <div class="row">
                <MonthInput route period lang />
            </div>
            <Show when=move || preview.get().is_some()>
                <p class="notice" data-testid="previewing">{move || l(lang.get(), "preview_of")}</p>
            </Show>
            {show(result, lang, render::allocation)}
        </section>
        <section>
            <h2>{move || l(lang.get(), "rules")}</h2>
            <p class="hint">{move || l(lang.get(), "rules_hint")}</p>
            <label class="wide">{move || l(lang.get(), "rules")}
                <textarea class="rules" data-testid="rules" rows="14" spellcheck="false" prop:value=move || rules.get()
                    on:input=move |ev| rules.set(event_target_value(&ev))></textarea>
            </label>
            <div class="row">
                <button data-testid="preview" on:click=move |_| preview.set(Some(rules.get_untracked()))>{move || l(lang.get(), "preview")}</button>
                <button data-testid="reset" on:click=move |_| { preview.set(None); server_rules.refetch(); }>{move || l(lang.get(), "reset")}</button>
                <Show when=move || admin>
                    <button data-testid="save-rules" on:click={
                        let t = token.clone();
                        move |_| {
                            let (t, body) = (t.clone(), rules.get_untracked());
                            leptos::task::spawn_local(async move {
                                match send(&t, "PUT", "/api/v1/costs/allocation/rules", Some(&body)).await {
                                    Ok(_) => {
                                        saved.set(Some(Ok(l(lang.get_untracked(), "rules_saved").to_string())));
                                        preview.set(None);
                                        server_rules.refetch();
                                    }
                                    Err(e) => saved.set(Some(Err(e))),
                                }
                            });
                        }
                    }>{move || l(lang.get(), "save_rules")}</button>
                </Show>
            </div>
            {move || saved.get().map(|m| match m {
                Ok(t) => view! { <p class="notice" role="status" data-testid="rules-message">{t}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="rules-message">{e}</p> }.into_any(),
            })}
        </section>
    }
}
