use super::fields::browser_action;
use leptos::prelude::*;

use crate::components::RequireLogin;
use crate::session::use_session;

/// `/hello`: the protected greeting, fetched with the access token.
#[component]
pub fn Hello() -> impl IntoView {
    crate::components::page_title(Some("Hello"));
    view! {
        <section class="card">
            <h1>"Hello"</h1>
            <RequireLogin>
                <Greeting />
            </RequireLogin>
        </section>
    }
}

#[component]
fn Greeting() -> impl IntoView {
    let session = use_session();
    let greeting = LocalResource::new(move || async move { session.call(crate::api::hello).await });

    view! {
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading…"</p> }>
            {move || {
                greeting
                    .get()
                    .map(|result| match result {
                        Ok(message) => view! { <p class="greeting" data-testid="greeting">{message}</p> }.into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert" data-testid="greeting-error">
                                {failure.to_string()}
                            </p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
        <p class="muted">
            "Fetched with your access token from a server function that runs the same check as "
            <code>"GET /hello/"</code> "."
        </p>
        <Burst />
    }
}

/// Several protected calls at once: when the access token has expired they
/// all wait for one shared refresh instead of each rotating the refresh
/// token (which the server would take for theft).
#[component]
fn Burst() -> impl IntoView {
    const CALLS: usize = 5;
    let session = use_session();
    let burst = browser_action(move |_: &()| async move {
        let calls = (0..CALLS).map(|_| session.call(crate::api::hello));
        let results = futures::future::join_all(calls).await;
        let answered = results.iter().filter(|result| result.is_ok()).count();
        let mut message = format!("{answered} of {CALLS} calls answered.");
        if let Some(Err(failure)) = results.iter().find(|result| result.is_err()) {
            message.push_str(&format!(" First failure: {failure}"));
        }
        message
    });
    let busy = burst.pending();
    let outcome = move || (!busy.get()).then(|| burst.value().get()).flatten();

    view! {
        <div class="toolbar">
            <button
                type="button"
                class="button button-quiet"
                data-testid="burst"
                disabled=move || busy.get()
                on:click=move |_| {
                    burst.dispatch(());
                }
            >
                {format!("Send {CALLS} requests at once")}
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="burst-outcome">
                {outcome}
            </p>
        </div>
    }
}
