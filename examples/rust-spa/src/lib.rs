//! An example Rust front end of oidc-rp-wasm, in plain web-sys: it creates the client, finishes a
//! sign-in (or a logout) the OP sent the browser back from, shows the session's claims, and has
//! buttons for a redirect or popup sign-in, a refresh, a silent renewal (by refresh token, or in a
//! hidden iframe) and a sign-out.
//!
//! The configuration is `./config.json`, the same object the npm package's `OidcClient.create`
//! takes (`issuer`, `clientId`, `redirectUri`, `postLogoutRedirectUri`, `scope`, `storage`).
//!
//! Test hooks (`tests/e2e/rust-example.test.mjs`): every control and display has a
//! `data-testid`; `<html data-ready="true">` once the page has started; each finished call is an
//! `<li>` of `[data-testid=calls]` with `data-name`, `data-ok` and `data-code`, and each client
//! event an `<li>` of `[data-testid=events]` with `data-name`.

use gloo_events::EventListener;
use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, LogoutOptions};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::params::ResponseMode;
use oidc_rp_wasm::web::client::{Client, Event};
use oidc_rp_wasm::Error;
use std::future::Future;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlButtonElement, HtmlElement};

/// Set while the browser is away at the OP's logout, so that the return is told apart from a
/// sign-in response.
const LOGOUT_PENDING: &str = "rust-spa-logout-pending";

/// Starts the app when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    spawn_local(async {
        if let Err(e) = run().await {
            show("error", &e);
            set_status("unavailable", "The client could not start.");
        }
        if let Some(root) = document().and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-ready", "true");
        }
    });
}

async fn run() -> Result<(), String> {
    let config = load_config().await?;
    let client = Client::create(config).await.map_err(|e| describe(&e))?;
    let weak = client.downgrade();
    client.on(move |event| {
        log_event(event);
        if let Some(client) = weak.upgrade() {
            render(&client);
        }
    });
    handle_return(&client).await;
    render(&client);
    wire_buttons(&client);
    Ok(())
}

/// The client's configuration from `./config.json`.
async fn load_config() -> Result<ClientConfig, String> {
    let text = gloo_net::http::Request::get("config.json")
        .send()
        .await
        .map_err(|e| format!("config.json: {e}"))?
        .text()
        .await
        .map_err(|e| format!("config.json: {e}"))?;
    let json = Json::parse(&text).map_err(|e| format!("config.json: {}", e.message()))?;
    let field = |name: &str| json.get(name).and_then(Json::as_str).map(str::to_owned);
    let required = |name: &str| field(name).ok_or_else(|| format!("config.json has no `{name}`"));
    let mut config = ClientConfig::new(
        required("issuer")?,
        required("clientId")?,
        required("redirectUri")?,
    );
    if let Some(scope) = field("scope") {
        config = config.scope(scope);
    }
    if let Some(uri) = field("postLogoutRedirectUri") {
        config = config.post_logout_redirect_uri(uri);
    }
    if let Some(storage) = field("storage") {
        config = config.storage(storage.parse().map_err(|e: Error| describe(&e))?);
    }
    Ok(config)
}

/// Back from the OP: a sign-in response, or the return from logout.
async fn handle_return(client: &Client) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let search = location.search().unwrap_or_default();
    let has = |name: &str| {
        search
            .trim_start_matches('?')
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    };
    let logout_pending = session_storage().and_then(|s| s.get_item(LOGOUT_PENDING).ok().flatten());
    if has("code") || has("error") {
        // Cleans the address bar itself once the response is read.
        let result = client.handle_redirect_callback(None).await;
        record("handle_redirect_callback", result.map(|_| ()));
    } else if has("state") && logout_pending.is_some() {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(LOGOUT_PENDING);
        }
        let result = client.handle_signout_callback(None).await;
        if let Ok(state) = &result {
            show("signout-state", state.as_deref().unwrap_or("(none)"));
        }
        record("handle_signout_callback", result.map(|_| ()));
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let path = location.pathname().unwrap_or_else(|_| "/".into());
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
        }
    }
}

fn wire_buttons(client: &Client) {
    on_click("signin-redirect", client, |c| {
        act(
            "signin_redirect",
            c,
            c.signin_redirect(AuthorizeOptions::default()),
        )
    });
    // The popup opens within signin_popup, in the click's task: browsers block it after an await.
    on_click("signin-popup", client, |c| {
        let signed_in = c.signin_popup(AuthorizeOptions::default(), None);
        act(
            "signin_popup",
            c,
            async move { signed_in.await.map(|_| ()) },
        )
    });
    on_click("refresh", client, |c| {
        let refreshed = c.refresh();
        act("refresh", c, async move { refreshed.await.map(|_| ()) })
    });
    // With a refresh token, a silent renewal uses it; asking for a response mode takes it to a
    // hidden iframe with prompt=none instead.
    on_click("signin-silent", client, |c| {
        let renewed = c.signin_silent(AuthorizeOptions::default());
        act("signin_silent", c, async move { renewed.await.map(|_| ()) })
    });
    on_click("signin-silent-iframe", client, |c| {
        let options = AuthorizeOptions {
            response_mode: Some(ResponseMode::WebMessage),
            ..AuthorizeOptions::default()
        };
        let renewed = c.signin_silent(options);
        act("signin_silent_iframe", c, async move {
            renewed.await.map(|_| ())
        })
    });
    on_click("signout", client, |c| {
        if let Some(storage) = session_storage() {
            let _ = storage.set_item(LOGOUT_PENDING, "1");
        }
        let left = c.signout_redirect(LogoutOptions::default());
        act("signout_redirect", c, async move {
            let result = left.await;
            if result.is_err() {
                if let Some(storage) = session_storage() {
                    let _ = storage.remove_item(LOGOUT_PENDING);
                }
            }
            result
        })
    });
}

/// Enables button `testid` and calls `handler` with the client on each click.
fn on_click(testid: &str, client: &Client, handler: impl Fn(&Client) + 'static) {
    let Some(button) = element(testid).and_then(|e| e.dyn_into::<HtmlButtonElement>().ok()) else {
        return;
    };
    let client = client.clone();
    EventListener::new(&button, "click", move |_| handler(&client)).forget();
    button.set_disabled(false);
}

/// Waits for a call the handler started, then records it and shows the session.
fn act(
    name: &'static str,
    client: &Client,
    call: impl Future<Output = Result<(), Error>> + 'static,
) {
    let client = client.clone();
    spawn_local(async move {
        let result = call.await;
        record(name, result);
        render(&client);
    });
}

// ----- the page -----

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn element(testid: &str) -> Option<HtmlElement> {
    document()?
        .query_selector(&format!("[data-testid=\"{testid}\"]"))
        .ok()
        .flatten()?
        .dyn_into()
        .ok()
}

fn show(testid: &str, text: &str) {
    if let Some(element) = element(testid) {
        element.set_text_content(Some(if text.is_empty() { "–" } else { text }));
    }
}

fn set_status(state: &str, text: &str) {
    if let Some(status) = element("status") {
        let _ = status.set_attribute("data-state", state);
        status.set_text_content(Some(text));
    }
}

/// An error as the page shows it: its stable code, and what it says.
fn describe(error: &Error) -> String {
    format!("{}: {error}", error.code())
}

/// Appends an `<li>` to the list `testid`.
fn append(testid: &str, attributes: &[(&str, &str)], text: &str) {
    let (Some(list), Some(document)) = (element(testid), document()) else {
        return;
    };
    let Ok(item) = document.create_element("li") else {
        return;
    };
    for (name, value) in attributes {
        let _ = item.set_attribute(name, value);
    }
    item.set_text_content(Some(text));
    let _ = list.append_child(&item);
}

fn record(name: &str, result: Result<(), Error>) {
    match result {
        Ok(()) => append(
            "calls",
            &[("data-name", name), ("data-ok", "true")],
            &format!("{name}: ok"),
        ),
        Err(e) => {
            let code = e.code();
            append(
                "calls",
                &[
                    ("data-name", name),
                    ("data-ok", "false"),
                    ("data-code", code),
                ],
                &format!("{name}: {}", describe(&e)),
            );
            show("error", &describe(&e));
        }
    }
}

fn log_event(event: &Event) {
    let (name, detail) = match event {
        Event::SignedIn(_) => ("signedIn", String::new()),
        Event::Refreshed(_) => ("refreshed", String::new()),
        Event::RefreshFailed(e) => ("refreshFailed", describe(e)),
        Event::Expiring(at) => ("expiring", at.to_string()),
        Event::Expired(at) => ("expired", at.to_string()),
        Event::SignedOut(why) => ("signedOut", (*why).to_owned()),
        Event::Idle(ms) => ("idle", ms.to_string()),
    };
    append(
        "events",
        &[("data-name", name)],
        &format!("{name} {detail}"),
    );
}

/// Shows the client's session.
fn render(client: &Client) {
    let Some(session) = client.session() else {
        set_status("signed-out", "Signed out.");
        for testid in [
            "subject",
            "name",
            "access-token",
            "expires-at",
            "id-token-fresh",
        ] {
            show(testid, "");
        }
        show("claims", "{}");
        return;
    };
    let claims = session.claims.as_ref().map(|c| c.to_json());
    let subject = session.subject().unwrap_or("");
    set_status("signed-in", &format!("Signed in as {subject}."));
    show("subject", subject);
    show(
        "name",
        claims.as_ref().and_then(|c| c.str("name")).unwrap_or(""),
    );
    show("access-token", session.access_token.expose());
    show(
        "expires-at",
        &session
            .expires_at
            .map(|at| at.to_string())
            .unwrap_or_default(),
    );
    show(
        "id-token-fresh",
        if session.id_token_fresh {
            "true"
        } else {
            "false"
        },
    );
    show(
        "claims",
        &claims.map_or_else(|| "{}".to_owned(), |c| Json::Object(c).to_text()),
    );
}
