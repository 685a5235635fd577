//! `/admin/keys`: the signing keys and where each is in its life, and
//! "Rotate now" for superusers (as `tessera keys rotate` does it: the new
//! key is published at once and signs after the publication delay).

use leptos::prelude::*;

use super::{use_standing, Actor, ConfirmDialog, Confirmation, OutcomeLine};
use crate::admin_api::{self, KeyRow};
use crate::display::local_time;
use crate::session::use_session;

#[component]
pub(super) fn KeyList() -> impl IntoView {
    let session = use_session();
    let standing = use_standing();
    let generation = RwSignal::new(0_u32);
    let keys = LocalResource::new(move || {
        generation.track();
        async move { session.call(admin_api::admin_keys).await }
    });
    let ask = RwSignal::new(None::<Confirmation>);
    let outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let act = Actor {
        session,
        generation,
        outcome,
        busy,
    };
    let rotate = move || {
        act.run(admin_api::admin_rotate_key, |added| match added {
            Some(key) => format!(
                "Added {} key {}: published now, signing from {}.",
                key.algorithm,
                key.kid,
                local_time(key.signs_from)
            ),
            None => "Another server added a key at the same moment; it stands.".to_owned(),
        })
    };
    // An HMAC key is the secret itself: a rotation changes the secret.
    let signs_with_secret = move || {
        keys.get()
            .and_then(Result::ok)
            .and_then(|keys| keys.last().map(|key| key.algorithm.starts_with("HS")))
            .unwrap_or(false)
    };
    let hint = move || {
        if !standing.superuser {
            "Only a superuser can rotate keys."
        } else if signs_with_secret() {
            "This server signs with its secret key (HMAC): rotate it by changing the \
             secret, the old one kept in --previous-secret-keys, or move to a key pair \
             with tessera keys rotate --to ES256."
        } else {
            ""
        }
    };
    let confirm_rotation = move |_| {
        ask.set(Some(Confirmation {
            title: "Rotate the signing key?".to_owned(),
            text: "A new key is published now and signs new tokens after the publication delay. \
                   Tokens signed by the current key stay valid until they expire."
                .to_owned(),
            action: "Rotate now",
            on_confirm: Callback::new(move |()| rotate()),
        }));
    };

    view! {
        <h1>"Signing keys"</h1>
        <p class="muted">
            "Verifiers fetch the public keys at " <a href="/.well-known/jwks.json">"/.well-known/jwks.json"</a> "."
        </p>
        <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading keys…"</p> }>
            {move || {
                keys.get()
                    .map(|result| match result {
                        Ok(keys) => view! { <KeyTable keys /> }.into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }
                            .into_any(),
                    })
            }}
        </Suspense>
        <div class="toolbar">
            <button
                type="button"
                class="button"
                data-testid="rotate-key"
                aria-describedby="rotate-hint"
                disabled=move || busy.get() || !hint().is_empty()
                on:click=confirm_rotation
            >
                "Rotate now"
            </button>
            <p id="rotate-hint" class="field-hint" data-testid="rotate-hint">{hint}</p>
        </div>
        <OutcomeLine outcome testid="keys-outcome" />
        <ConfirmDialog ask />
    }
}

#[component]
fn KeyTable(keys: Vec<KeyRow>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="admin-table" data-testid="keys">
                <caption class="visually-hidden">"Signing keys"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Key id"</th>
                        <th scope="col">"Algorithm"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Signs from"</th>
                        <th scope="col">"Verifies until"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| {
                            let state = key.state.clone();
                            view! {
                                <tr data-testid="key-row" data-state=state>
                                    <th scope="row"><code class="kid">{key.kid}</code></th>
                                    <td>{key.algorithm}</td>
                                    <td>{key.state}</td>
                                    <td>{local_time(key.created_at)}</td>
                                    <td>{local_time(key.signs_from)}</td>
                                    <td>{key.verifies_until.map_or_else(|| "—".to_owned(), local_time)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
