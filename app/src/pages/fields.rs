//! What the forms share: labelled inputs whose hint and error are announced
//! to screen readers, and the reading of a submission's failure into the
//! message of each field and of the form as a whole.

use leptos::prelude::*;

use crate::failure::AuthFailure;
use crate::token_store::now_ms;

/// An action that runs only in the browser, where its future (the browser's
/// fetch) is not `Send`. On the server, where pages are rendered but never
/// submitted, it is an action that never runs: the browser's would be kept
/// in a `SendWrapper`, and a streamed page's reactive owner is dropped on
/// whichever thread polls the stream last, where dropping that wrapper
/// panics and cuts the page off (`ERR_INCOMPLETE_CHUNKED_ENCODING`).
pub fn browser_action<I, O, F, Fut>(action: F) -> Action<I, O>
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
    F: Fn(&I) -> Fut + 'static,
    Fut: std::future::Future<Output = O> + 'static,
{
    #[cfg(feature = "hydrate")]
    {
        Action::new_unsync(action)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        drop(action);
        Action::new(|_: &I| std::future::pending::<O>())
    }
}

/// The failure of a form's last submission; gone as soon as the next one
/// starts, so an old error never sits beside a new attempt.
pub fn last_failure<I, T>(submit: Action<I, Result<T, AuthFailure>>) -> Memo<Option<AuthFailure>>
where
    I: Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    let busy = submit.pending();
    Memo::new(move |_| {
        if busy.get() {
            return None;
        }
        submit.value().get().and_then(Result::err)
    })
}

/// Seconds left of the wait a refusal asked for (too many attempts, a busy
/// server), counted down live while the page shows; 0 when none.
pub fn wait_left(failure: Memo<Option<AuthFailure>>) -> Signal<i64> {
    // When this failure's wait ends, read once as it arrives.
    let until = Memo::new(move |_| {
        failure.with(|failure| {
            failure
                .as_ref()
                .and_then(AuthFailure::retry_after)
                .map(|seconds| now_ms() + seconds * 1_000)
        })
    });
    let now = RwSignal::new(now_ms());
    Effect::new(move |_| {
        let Some(deadline) = until.get() else { return };
        now.set(now_ms());
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            // Until the wait is over, the page is left, or another
            // submission replaces the failure.
            while until.try_get_untracked() == Some(Some(deadline)) && now_ms() < deadline {
                // Wake when the number of seconds shown changes, not before.
                let to_next_second = (deadline - now_ms()).rem_euclid(1_000).max(1);
                crate::browser::sleep(std::time::Duration::from_millis(to_next_second as u64))
                    .await;
                if now.try_set(now_ms()).is_some() {
                    break;
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = deadline;
    });
    Signal::derive(move || {
        until
            .get()
            .map_or(0, |until| ((until - now.get() + 999) / 1_000).max(0))
    })
}

/// The form-wide message with the wait counted down: "Too many attempts.
/// Try again in 14 minutes.", then "You can try again now." once it is over.
pub fn form_message_waiting(failure: Option<&AuthFailure>, left: i64) -> Option<String> {
    match failure {
        Some(failure) if failure.retry_after().is_some() => Some(if left > 0 {
            failure.waiting(left).to_string()
        } else {
            "You can try again now.".to_owned()
        }),
        other => form_message(other),
    }
}

/// After a failed submission, the cursor goes to the form's first field in
/// error, so the person can mend it at once; a failure of the whole form
/// leaves it on the button (which stays focusable: `aria-disabled`).
/// `field_failed`: tracked, true when the last submission failed on a field.
pub fn focus_first_error(
    form: NodeRef<leptos::html::Form>,
    field_failed: impl Fn() -> bool + 'static,
) {
    Effect::new(move |_| {
        if !field_failed() {
            return;
        }
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use wasm_bindgen::JsCast;
            // Once the error is rendered: the next turn of the event loop.
            crate::browser::sleep(std::time::Duration::ZERO).await;
            let field = form
                .get_untracked()
                .and_then(|form| form.query_selector("[aria-invalid=true]").ok().flatten())
                .and_then(|field| field.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(field) = field {
                let _ = field.focus();
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = form;
    });
}

/// A form's node, whose first field in error takes the focus after a failed
/// submission (see [`focus_first_error`]).
pub fn form_focusing_errors(failure: Memo<Option<AuthFailure>>) -> NodeRef<leptos::html::Form> {
    let form = NodeRef::new();
    focus_first_error(form, move || {
        failure.with(|failure| about_a_field(failure.as_ref()))
    });
    form
}

/// Whether the failure is about one field (shown under it), not the form.
pub fn about_a_field(failure: Option<&AuthFailure>) -> bool {
    matches!(
        failure,
        Some(AuthFailure::Invalid { .. } | AuthFailure::UsernameTaken)
    )
}

/// The message to show under `field`, if the failure is about it.
pub fn field_message(failure: Option<&AuthFailure>, field: &str) -> Option<String> {
    match failure {
        Some(AuthFailure::Invalid {
            field: failed,
            message,
        }) if failed == field => Some(message.clone()),
        Some(error @ AuthFailure::UsernameTaken) if field == "username" => Some(error.to_string()),
        _ => None,
    }
}

/// The message to show for the form as a whole: any failure that is not
/// about one field.
pub fn form_message(failure: Option<&AuthFailure>) -> Option<String> {
    failure
        .filter(|error| !about_a_field(Some(error)))
        .map(ToString::to_string)
}

/// What kind of text a [`Field`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A name: no capitalisation or spelling correction from phone keyboards.
    Username,
    Password,
    /// An email address: the keyboard for addresses, no corrections.
    Email,
    /// Plain text, such as a person's name: the keyboard's usual help.
    Text,
}

/// What the server-rendered input `id` holds while the app starts (before
/// `data-hydrated` is set on `<body>`); afterwards inputs are the app's own.
#[cfg(feature = "hydrate")]
fn typed_before_start(id: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let document = leptos::tachys::dom::document();
    if document.body()?.has_attribute("data-hydrated") {
        return None;
    }
    let input = document
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlInputElement>()
        .ok()?;
    Some(input.value()).filter(|typed| !typed.is_empty())
}

/// A labelled input with its hint and its error, announced (the error's
/// element is `{id}-error`, the hint's `{id}-hint`).
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    kind: FieldKind,
    autocomplete: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional_no_strip)] hint: Option<String>,
    #[prop(optional_no_strip)] min_length: Option<usize>,
    /// May be left empty.
    #[prop(optional)]
    optional: bool,
) -> impl IntoView {
    // Text typed, or filled in by a password manager, while the app was
    // still loading is in the server-rendered input: the app starts from
    // it instead of clearing it.
    #[cfg(feature = "hydrate")]
    if value.get_untracked().is_empty() {
        if let Some(typed) = typed_before_start(id) {
            value.set(typed);
        }
    }
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = format!("{hint_id} {error_id}");
    let (fixed_type, autocapitalize, spellcheck) = match kind {
        FieldKind::Username => ("text", Some("none"), Some("false")),
        FieldKind::Password => ("password", None, None),
        FieldKind::Email => ("email", Some("none"), Some("false")),
        FieldKind::Text => ("text", None, None),
    };
    // A password can be shown, to check it before sending it.
    let is_password = kind == FieldKind::Password;
    let shown = RwSignal::new(false);
    let input_type = move || {
        if is_password && shown.get() {
            "text"
        } else {
            fixed_type
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="field-input">
            <input
                id=id
                name=id
                type=input_type
                autocomplete=autocomplete
                autocapitalize=autocapitalize
                spellcheck=spellcheck
                required=!optional
                minlength=min_length
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {is_password.then(|| view! {
                // A stable name with a pressed state (WAI-ARIA's toggle
                // button); a mouse press leaves the focus in the field.
                <button
                    type="button"
                    class="show-password button-link"
                    aria-controls=id
                    aria-pressed=move || shown.get().to_string()
                    data-testid=format!("{id}-show")
                    on:mousedown=|event| event.prevent_default()
                    on:click=move |_| shown.update(|shown| *shown = !*shown)
                >
                    "Show password"
                </button>
            })}
            </div>
            <p id=hint_id class="field-hint">{hint}</p>
            <p id=error_id class="field-error" data-testid=format!("{id}-error")>{move || error.get()}</p>
        </div>
    }
}
