//! The browser's side of [`super`]: localStorage, the clock, a
//! promise-based sleep and Web Locks (one tab of this origin at a time).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::window;
use wasm_bindgen::{JsCast, JsValue};

/// Resolves after `duration` (setTimeout).
pub async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            duration.as_millis() as i32,
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `work` while holding the named Web Lock, so that only one tab of
/// this origin runs it at a time. Without Web Locks (an insecure context or
/// an old browser) it simply runs. `None` if it started but never finished
/// (the page is going away).
pub async fn with_lock<T, Fut>(name: &str, work: impl FnOnce() -> Fut + 'static) -> Option<T>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    let work = Rc::new(RefCell::new(Some(work)));
    let output: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    if let Some((locks, request)) = lock_manager() {
        let (pending, slot) = (work.clone(), output.clone());
        let callback = wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| {
            wasm_bindgen_futures::future_to_promise(async move {
                let work = pending.borrow_mut().take();
                if let Some(work) = work {
                    let value = work().await;
                    *slot.borrow_mut() = Some(value);
                }
                Ok(JsValue::UNDEFINED)
            })
        });
        match request.call2(&locks, &JsValue::from_str(name), &callback) {
            Ok(promise) => {
                let promise = js_sys::Promise::from(promise);
                if let Err(error) = wasm_bindgen_futures::JsFuture::from(promise).await {
                    leptos::logging::warn!("Web Lock failed: {error:?}");
                }
            }
            Err(error) => leptos::logging::warn!("Web Lock refused: {error:?}"),
        }
    }
    if let Some(value) = output.borrow_mut().take() {
        return Some(value);
    }
    // No lock manager, or the lock request failed before running `work`.
    let work = work.borrow_mut().take();
    match work {
        Some(work) => Some(work().await),
        None => None,
    }
}

/// Takes the Web Lock `name` if no tab holds it and keeps it for
/// `duration`; returns once it is held. A mark other tabs can see through
/// [`lock_held`]: the browser keeps a single record of an origin's Web Locks
/// for all its tabs, whereas each tab reads its own copy of localStorage,
/// which another tab's write reaches only some time later.
pub async fn hold_lock(name: &str, duration: Duration) {
    let Some((locks, request)) = lock_manager() else {
        return;
    };
    let (granted, on_grant) = futures::channel::oneshot::channel::<()>();
    let callback = wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| {
        let _ = granted.send(());
        // Held until this promise settles.
        js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis() as i32,
            );
        })
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
    if let Ok(released) = request.call3(&locks, &JsValue::from_str(name), &options, &callback) {
        // Settles when the mark is let go, or rejects if the browser refused
        // it; nothing waits for either, but a rejection must be handled.
        let released = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(released));
        wasm_bindgen_futures::spawn_local(async move {
            let _ = released.await;
        });
        // Granted (or found held already); a refusal drops `granted`.
        let _ = on_grant.await;
    }
}

/// Whether some tab of this origin holds the Web Lock `name` now
/// (`navigator.locks.query()`); `false` when the browser cannot say.
pub async fn lock_held(name: &str) -> bool {
    let field =
        |value: &JsValue, key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).ok();
    let Some((locks, _)) = lock_manager() else {
        return false;
    };
    let Some(query) =
        field(&locks, "query").and_then(|query| query.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    let Ok(promise) = query.call0(&locks) else {
        return false;
    };
    let Ok(snapshot) = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await
    else {
        return false;
    };
    let Some(held) = field(&snapshot, "held").filter(|held| held.is_array()) else {
        return false;
    };
    js_sys::Array::from(&held).iter().any(|lock| {
        field(&lock, "name")
            .and_then(|held| held.as_string())
            .as_deref()
            == Some(name)
    })
}

/// `navigator.locks` and its `request` method, when the browser has them.
fn lock_manager() -> Option<(JsValue, js_sys::Function)> {
    let navigator = window().navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request")).ok()?;
    Some((locks, request.dyn_into().ok()?))
}

/// The text stored under `key` in localStorage, if any. Text, not a typed
/// value: `crate::json` reads it, so serde_json stays out of the main module.
pub fn stored(key: &str) -> Option<String> {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::raw().get_item(key).ok().flatten()
}

/// Stores `text` under `key`; every other tab of the origin sees the change
/// through the `storage` event.
pub fn store(key: &str, text: &str) {
    use gloo_storage::{LocalStorage, Storage};
    if LocalStorage::raw().set_item(key, text).is_err() {
        leptos::logging::warn!("could not store {key} (storage full or turned off)");
    }
}

pub fn forget(key: &str) {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::delete(key);
}

/// Keeps `value` for this tab alone, across reloads (sessionStorage).
pub fn note_in_tab(key: &str, value: &str) {
    if let Some(storage) = tab_storage() {
        let _ = storage.set_item(key, value);
    }
}

/// What [`note_in_tab`] kept under `key`, removed as it is read.
pub fn take_tab_note(key: &str) -> Option<String> {
    let storage = tab_storage()?;
    let note = storage.get_item(key).ok().flatten();
    let _ = storage.remove_item(key);
    note
}

/// Plain strings, no JSON: this code is in the main module every page waits for.
fn tab_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Milliseconds since the epoch on the browser's clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
