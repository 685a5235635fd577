//! The two-step part of `/account`: set up an authenticator app (its QR
//! code and the secret as text), turn two-step login on with a first code
//! and keep the recovery codes (copy, download), or turn it off with a code.

use super::fields::browser_action;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::fields::{
    field_message, form_focusing_errors, form_message, last_failure, Field, FieldKind,
};
use crate::failure::AuthFailure;
use crate::session::use_session;
use crate::two_step_api::{self, AppSetup, TwoStepInfo};

/// What the section shows after a change, until the page is left.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// As the server says.
    Current,
    /// A secret waits for its first code.
    SettingUp(AppSetup),
    /// Just turned on: the recovery codes, this once.
    TurnedOn(Vec<String>),
    TurnedOff,
}

#[component]
pub fn TwoStepSignIn(generation: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let step = RwSignal::new(Step::Current);
    let state = LocalResource::new(move || {
        // Read again after each change.
        step.track();
        async move { session.call(two_step_api::my_two_step).await }
    });
    let setting_up = RwSignal::new(None::<AuthFailure>);
    let set_up = move |_| {
        leptos::task::spawn_local(async move {
            match session.call(two_step_api::set_up_app).await {
                Ok(setup) => {
                    setting_up.set(None);
                    step.set(Step::SettingUp(setup));
                }
                Err(failure) => setting_up.set(Some(failure)),
            }
        });
    };
    let changed = move |next: Step| {
        step.set(next);
        // Every other session ended: the list above shows it.
        generation.update(|n| *n += 1);
    };

    view! {
        <h2 id="two-step-heading">"Two-step login"</h2>
        {move || match step.get() {
            Step::SettingUp(setup) => view! { <AppSetupForm setup changed /> }.into_any(),
            Step::TurnedOn(codes) => view! { <RecoveryCodes codes /> }.into_any(),
            Step::Current | Step::TurnedOff => view! {
                {move || (step.get() == Step::TurnedOff).then(|| view! {
                    <p class="status" role="status" data-testid="two-step-outcome">
                        "Two-step login is off. Every other session was logged out."
                    </p>
                })}
                <Suspense fallback=|| view! { <p class="placeholder" aria-busy="true">"Loading…"</p> }>
                    {move || state.get().map(|result| match result {
                        Ok(TwoStepInfo { on: true, recovery_codes_left }) => view! {
                            <TurnOffForm recovery_codes_left changed />
                        }.into_any(),
                        Ok(TwoStepInfo { on: false, .. }) => view! {
                            <p data-testid="two-step-state">
                                "Off. With it on, signing in asks for a code from an \
                                 authenticator app on your phone after the password: a \
                                 stolen password is then not enough."
                            </p>
                            <button type="button" class="button" on:click=set_up>
                                "Set up authenticator app"
                            </button>
                            <p class="form-error" role="alert">
                                {move || setting_up.get().map(|failure| failure.to_string())}
                            </p>
                        }.into_any(),
                        Err(failure) => view! {
                            <p class="form-error" role="alert">{failure.to_string()}</p>
                        }.into_any(),
                    })}
                </Suspense>
            }.into_any(),
        }}
    }
}

/// The QR code, the secret as text, and the first code that turns it on.
#[component]
fn AppSetupForm(setup: AppSetup, changed: impl Fn(Step) + Copy + 'static) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let confirm = browser_action(move |code: &String| {
        let code = code.clone();
        async move {
            session
                .call(move || two_step_api::turn_on(code.clone()))
                .await
        }
    });
    let busy = confirm.pending();
    let failure = last_failure(confirm);
    let form = form_focusing_errors(failure);
    Effect::new(move |_| {
        if let Some(Ok(codes)) = confirm.value().get() {
            changed(Step::TurnedOn(codes));
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            confirm.dispatch(code.get_untracked());
        }
    };
    let code_error = move || failure.with(|failure| field_message(failure.as_ref(), "otp"));
    let form_error = move || {
        failure.with(|failure| {
            form_message(failure.as_ref()).or_else(|| field_message(failure.as_ref(), "two_step"))
        })
    };
    view! {
        <ol class="steps">
            <li>
                "Scan this QR code with your authenticator app (Google Authenticator, \
                 Aegis, 1Password, …):"
                <div class="qr-code" role="img" aria-label="QR code for your authenticator app"
                    inner_html=setup.qr_svg></div>
            </li>
            <li>
                "Or type this secret key into the app: "
                <code class="secret" data-testid="totp-secret" aria-label="Secret key">
                    {setup.secret}
                </code>
            </li>
            <li>"Enter the 6-digit code the app shows."</li>
        </ol>
        <form class="form" node_ref=form method="post" on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="totp-code" label="Code" kind=FieldKind::Username autocomplete="one-time-code"
                value=code error=Signal::derive(code_error) />
            <p class="form-error" role="alert">{form_error}</p>
            <button type="submit" class="button" aria-disabled=move || busy.get().to_string()>
                {move || if busy.get() { "Turning on…" } else { "Turn on" }}
            </button>
        </form>
    }
}

/// The recovery codes, shown once, with ways to keep them.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let text = format!(
        "Recovery codes for two-step login. Each works once, in place of the \
         authenticator app's code.\n\n{}\n",
        codes.join("\n")
    );
    let download = format!("data:text/plain;charset=utf-8,{}", percent_encoded(&text));
    let copied = RwSignal::new(None::<&'static str>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            copied.set(Some(if copy_text(&text).await {
                "Copied."
            } else {
                "Copying is not allowed here: select the codes instead."
            }));
        });
    };
    view! {
        <p class="status" role="status" data-testid="two-step-outcome">
            "Two-step login is on. Every other session was logged out."
        </p>
        <p>
            "Keep these recovery codes somewhere other than your phone. If you lose \
             the phone, each one signs you in once in place of a code. They are not \
             shown again."
        </p>
        <ol class="recovery-codes" aria-label="Recovery codes" data-testid="recovery-codes">
            {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
        </ol>
        <div class="toolbar">
            <button type="button" class="button" on:click=copy>"Copy"</button>
            <a class="button button-quiet" href=download download="recovery-codes.txt">"Download"</a>
        </div>
        <p class="status" role="status" aria-live="polite">{move || copied.get()}</p>
    }
}

/// On: how many recovery codes are left, and a code to turn it off.
#[component]
fn TurnOffForm(recovery_codes_left: i64, changed: impl Fn(Step) + Copy + 'static) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let turn_off = browser_action(move |code: &String| {
        let code = code.clone();
        async move {
            session
                .call(move || two_step_api::turn_off(code.clone()))
                .await
        }
    });
    let busy = turn_off.pending();
    let failure = last_failure(turn_off);
    let form = form_focusing_errors(failure);
    Effect::new(move |_| {
        if let Some(Ok(())) = turn_off.value().get() {
            changed(Step::TurnedOff);
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() {
            turn_off.dispatch(code.get_untracked());
        }
    };
    let code_error = move || failure.with(|failure| field_message(failure.as_ref(), "otp"));
    let form_error = move || {
        failure.with(|failure| {
            form_message(failure.as_ref()).or_else(|| field_message(failure.as_ref(), "two_step"))
        })
    };
    let left = match recovery_codes_left {
        1 => "1 recovery code left.".to_owned(),
        n => format!("{n} recovery codes left."),
    };
    view! {
        <p data-testid="two-step-state">
            "On: signing in asks for a code from your authenticator app. " {left}
        </p>
        <form class="form" node_ref=form method="post" on:submit=on_submit aria-busy=move || busy.get().to_string()>
            <Field id="totp-off-code" label="Code" kind=FieldKind::Username autocomplete="one-time-code"
                value=code error=Signal::derive(code_error)
                hint=Some("A code from your app, or a recovery code.".to_owned()) />
            <p class="form-error" role="alert">{form_error}</p>
            <button type="submit" class="button button-quiet" aria-disabled=move || busy.get().to_string()>
                {move || if busy.get() { "Turning off…" } else { "Turn off" }}
            </button>
        </form>
    }
}

/// RFC 3986 percent-encoding of all but unreserved characters, for a
/// `data:` address.
fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Puts `text` on the clipboard; `false` where the browser refuses.
async fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}
