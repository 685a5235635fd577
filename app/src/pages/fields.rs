//! What the forms share: labelled inputs whose hint and error are announced
//! to screen readers, and the reading of a submission's failure into the
//! message of each field and of the form as a whole.

use leptos::prelude::*;

use crate::failure::AuthFailure;

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
        .filter(|error| {
            !matches!(
                error,
                AuthFailure::Invalid { .. } | AuthFailure::UsernameTaken
            )
        })
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
