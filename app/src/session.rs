//! The browser's one owner of the tokens: where they live, when they are
//! refreshed, and how tabs agree about them. Every other part of the UI asks
//! a [`Session`] and never touches localStorage itself.
//!
//! - Storage: one localStorage key, [`STORAGE_KEY`], holding a JSON object
//!   `{"access","refresh","username","issued_at"}` (see [`StoredTokens`]).
//!   One key rather than two so every write is atomic: another tab can never
//!   read a new access token beside an old refresh token.
//! - Proactive refresh: shortly before the access token expires (a margin of
//!   30 s or a tenth of its lifetime, whichever is smaller). Lifetimes are
//!   counted on the browser's clock from when the tokens were requested
//!   (`exp - iat` after `issued_at`), so a skewed clock changes nothing.
//! - Reactive refresh: a call refused with an ended-session error refreshes
//!   once and is retried once.
//! - Single flight: every caller that needs a refresh while one is running
//!   waits for that one.
//! - Across tabs: the `storage` event keeps each tab's state in step, and the
//!   refresh runs under a Web Lock ([`REFRESH_LOCK`]); the tab that gets the
//!   lock re-reads localStorage first and takes a token another tab already
//!   rotated instead of presenting a retired one, which the server would
//!   treat as theft and answer by revoking the whole session.
//! - Server-side rendering never sees localStorage: the state starts
//!   `Unknown` on both sides and is loaded after hydration.

use std::future::Future;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::Tokens;
use crate::failure::AuthFailure;
use crate::jwt;

/// The localStorage key of the tokens.
pub const STORAGE_KEY: &str = "tessera.tokens";
/// The Web Lock held while a refresh runs.
pub const REFRESH_LOCK: &str = "tessera.refresh";

/// What localStorage holds while logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access: String,
    pub refresh: String,
    /// Known when this browser logged in; shown in the navigation.
    #[serde(default)]
    pub username: Option<String>,
    /// Browser clock, in milliseconds, when the request that returned the
    /// tokens was sent: never later than the server's `iat`.
    pub issued_at: i64,
}

impl StoredTokens {
    fn new(tokens: Tokens, username: Option<String>, issued_at: i64) -> Self {
        Self {
            access: tokens.access,
            refresh: tokens.refresh,
            username,
            issued_at,
        }
    }

    /// Browser-clock milliseconds at which `token` (one of ours) expires, or
    /// `None` when it cannot be read (then it is treated as expired).
    pub fn expires_at(&self, token: &str) -> Option<i64> {
        jwt::times(token).map(|times| self.issued_at + usable_lifetime_ms(times))
    }

    /// When the access token should be replaced: a margin of 30 s or a tenth
    /// of its lifetime, whichever is smaller, before it expires.
    pub fn refresh_due_at(&self) -> i64 {
        match jwt::times(&self.access) {
            Some(times) => {
                let lifetime_ms = usable_lifetime_ms(times);
                self.issued_at + lifetime_ms - (lifetime_ms / 10).min(30_000)
            }
            None => i64::MIN,
        }
    }

    pub fn refresh_is_due(&self, now_ms: i64) -> bool {
        now_ms >= self.refresh_due_at()
    }

    /// Server-clock seconds as this browser estimates them: the server's
    /// `iat` plus the time elapsed here since the tokens were requested.
    pub fn server_now(&self, now_ms: i64) -> Option<i64> {
        jwt::times(&self.access).map(|times| times.iat + (now_ms - self.issued_at) / 1000)
    }
}

/// `exp - iat` less one second: both are whole seconds, so a token may be up
/// to a second older than its `iat` says.
fn usable_lifetime_ms(times: jwt::TokenTimes) -> i64 {
    (times.lifetime() * 1000 - 1000).max(0)
}

/// What this tab knows about the login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthState {
    /// During server rendering and hydration: localStorage not read yet.
    Unknown,
    LoggedOut,
    /// Logged out because the session ended (refresh refused).
    Expired,
    LoggedIn(StoredTokens),
}

/// The handle every component uses; cheap to copy.
#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
}

/// Creates the session, provides it as context and, in the browser, loads it
/// from localStorage and starts the cross-tab listener and refresh timer.
pub fn provide_session() -> Session {
    let session = Session {
        state: RwSignal::new(AuthState::Unknown),
    };
    provide_context(session);
    #[cfg(feature = "hydrate")]
    browser::start(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Called once hydration is over: until then the state stays `Unknown`, as
/// the server rendered it.
#[cfg(feature = "hydrate")]
pub fn hydration_finished() {
    browser::hydration_finished();
}

/// The access token the next protected request should carry (read by `AuthClient`).
pub fn stored_access_token() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        browser::read().map(|tokens| tokens.access)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Milliseconds since the epoch on the browser's clock (0 on the server).
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

impl Session {
    /// The state, tracked: views and effects that read it follow changes.
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    pub fn is_logged_in(&self) -> bool {
        self.state
            .with(|state| matches!(state, AuthState::LoggedIn(_)))
    }

    pub fn tokens(&self) -> Option<StoredTokens> {
        self.state.with(|state| match state {
            AuthState::LoggedIn(tokens) => Some(tokens.clone()),
            _ => None,
        })
    }

    pub fn username(&self) -> Option<String> {
        self.tokens().and_then(|tokens| tokens.username)
    }

    pub async fn login(&self, username: String, password: String) -> Result<(), AuthFailure> {
        let issued_at = now_ms();
        let tokens = crate::api::login(username.clone(), password).await?;
        self.adopt(StoredTokens::new(tokens, Some(username), issued_at));
        Ok(())
    }

    pub async fn sign_up(&self, username: String, password: String) -> Result<(), AuthFailure> {
        let issued_at = now_ms();
        let tokens = crate::api::sign_up(username.clone(), password).await?;
        self.adopt(StoredTokens::new(tokens, Some(username), issued_at));
        Ok(())
    }

    /// Forgets the tokens at once (every tab sees it), then asks the server
    /// to revoke the session. Offline, the local logout still happens; the
    /// session then simply expires on the server.
    pub async fn logout(&self) {
        let stored = self.forget(AuthState::LoggedOut);
        if let Some(tokens) = stored {
            #[cfg(feature = "hydrate")]
            let sent = browser::send_logout(tokens.refresh).await;
            #[cfg(not(feature = "hydrate"))]
            let sent = crate::api::logout(tokens.refresh).await;
            if let Err(failure) = sent {
                leptos::logging::warn!("logout: {failure}");
            }
        }
    }

    /// Runs a protected server call with a fresh access token: refreshed
    /// first when due, and once more (then retried once) if the server
    /// refuses it anyway. A session the server has ended leads to the login
    /// page with "Your session has expired".
    pub async fn call<T, F, Fut>(&self, request: F) -> Result<T, AuthFailure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AuthFailure>>,
    {
        let Some(mut tokens) = self.load() else {
            self.end(AuthFailure::NotLoggedIn);
            return Err(AuthFailure::NotLoggedIn);
        };
        if tokens.refresh_is_due(now_ms()) {
            tokens = self.refresh_from(&tokens.access).await?;
        }
        match request().await {
            Err(failure) if failure.ends_session() => {
                self.refresh_from(&tokens.access).await?;
                let retried = request().await;
                if let Err(failure) = &retried {
                    if failure.ends_session() {
                        self.end(failure.clone());
                    }
                }
                retried
            }
            other => other,
        }
    }

    /// The inspector's "Refresh now".
    pub async fn refresh_now(&self) -> Result<(), AuthFailure> {
        let access = self.load().map(|tokens| tokens.access).unwrap_or_default();
        self.refresh_from(&access).await.map(drop)
    }

    /// Replaces `stale_access` (single flight, one tab at a time). On a
    /// refused refresh the session is over; offline, the tokens are kept.
    async fn refresh_from(&self, stale_access: &str) -> Result<StoredTokens, AuthFailure> {
        #[cfg(feature = "hydrate")]
        let result = browser::refresh_single_flight(stale_access.to_owned()).await;
        #[cfg(not(feature = "hydrate"))]
        let result: Result<StoredTokens, AuthFailure> = {
            let _ = stale_access;
            Err(AuthFailure::NotLoggedIn)
        };
        match &result {
            Ok(tokens) => self.state.set(AuthState::LoggedIn(tokens.clone())),
            Err(failure) if failure.ends_session() => self.end(failure.clone()),
            Err(_) => {}
        }
        result
    }

    /// Stores new tokens and shows them in every tab.
    fn adopt(&self, tokens: StoredTokens) {
        #[cfg(feature = "hydrate")]
        browser::write(&tokens);
        self.state.set(AuthState::LoggedIn(tokens));
    }

    /// The tokens as localStorage holds them now (another tab may have
    /// changed them since this tab's state was last updated).
    fn load(&self) -> Option<StoredTokens> {
        #[cfg(feature = "hydrate")]
        {
            browser::read()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            self.tokens()
        }
    }

    /// The session is over: `Expired` if this tab still held tokens, plain
    /// `LoggedOut` if they were already gone (another tab logged out).
    fn end(&self, failure: AuthFailure) {
        leptos::logging::log!("session ended: {failure}");
        let had_tokens = self.load().is_some();
        // Several calls may fail on one refresh; the first one decides.
        let already_expired = self
            .state
            .with_untracked(|state| *state == AuthState::Expired);
        self.forget(if had_tokens || already_expired {
            AuthState::Expired
        } else {
            AuthState::LoggedOut
        });
    }

    fn forget(&self, next: AuthState) -> Option<StoredTokens> {
        let stored = self.load();
        #[cfg(feature = "hydrate")]
        browser::clear();
        self.state.set(next);
        stored
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! localStorage, the `storage` event, the refresh timer, single flight
    //! and the Web Lock: everything here runs in the browser only.

    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::rc::Rc;
    use std::time::Duration;

    use futures::future::{FutureExt, LocalBoxFuture, Shared};
    use gloo_storage::{LocalStorage, Storage};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};

    use super::{now_ms, AuthState, Session, StoredTokens, REFRESH_LOCK, STORAGE_KEY};
    use crate::failure::AuthFailure;

    type Flight = Shared<LocalBoxFuture<'static, Result<StoredTokens, AuthFailure>>>;

    thread_local! {
        /// The refresh running in this tab, shared by everyone who waits for it.
        static IN_FLIGHT: RefCell<Option<Flight>> = const { RefCell::new(None) };
    }

    /// A failed timer refresh (offline) is tried again after this long.
    const RETRY_AFTER: Duration = Duration::from_secs(5);
    /// How long a tab that waited for the lock watches localStorage for the
    /// previous holder's tokens: 20 × 25 ms.
    const PROPAGATION_POLLS: usize = 20;
    const PROPAGATION_POLL: Duration = Duration::from_millis(25);

    /// Hydration is over: the state may now follow localStorage.
    pub fn hydration_finished() {
        if let Some(session) = HYDRATING.take() {
            session.state.set(stored_state());
        }
    }

    // The session's work with the server sits behind split points (`cargo
    // leptos --split`): its code, and the server-function client under it,
    // leave the main module that every page waits for, and arrive with the
    // first page that talks to the server or the first refresh. A file that
    // cannot be fetched is an `Offline` failure, like a request that cannot
    // be sent.

    /// Joins the refresh in flight or starts one.
    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let call = _; { call.await } -> Result<StoredTokens, AuthFailure>)
    )]
    pub fn refresh_single_flight(
        stale_access: String,
    ) -> LocalBoxFuture<'static, Result<StoredTokens, AuthFailure>> {
        Box::pin(join_or_start_refresh(stale_access))
    }

    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let call = _; { call.await } -> Result<(), AuthFailure>)
    )]
    pub fn send_logout(refresh: String) -> LocalBoxFuture<'static, Result<(), AuthFailure>> {
        Box::pin(crate::api::logout(refresh))
    }

    pub fn read() -> Option<StoredTokens> {
        LocalStorage::get(STORAGE_KEY).ok()
    }

    pub fn write(tokens: &StoredTokens) {
        if let Err(error) = LocalStorage::set(STORAGE_KEY, tokens) {
            leptos::logging::warn!("could not store the tokens: {error}");
        }
    }

    pub fn clear() {
        LocalStorage::delete(STORAGE_KEY);
    }

    fn stored_state() -> AuthState {
        match read() {
            Some(tokens) => AuthState::LoggedIn(tokens),
            None => AuthState::LoggedOut,
        }
    }

    thread_local! {
        /// The page's session while hydration runs. Hydration waits for the
        /// page's own wasm file, so effects run before it ends: the state
        /// must stay `Unknown` until then or the page would no longer match
        /// the server's HTML.
        static HYDRATING: Cell<Option<Session>> = const { Cell::new(None) };
    }

    pub fn start(session: Session) {
        HYDRATING.set(Some(session));

        // Another tab logged in, out, or refreshed (read afresh after
        // hydration anyway).
        let listener = window_event_listener(leptos::ev::storage, move |event| {
            let hydrating = HYDRATING.get().is_some();
            if !hydrating && event.key().is_none_or(|key| key == STORAGE_KEY) {
                let next = stored_state();
                if session.state.with_untracked(|state| *state != next) {
                    session.state.set(next);
                }
            }
        });
        on_cleanup(move || listener.remove());

        // The proactive refresh, rescheduled whenever the tokens change.
        Effect::new(move |previous: Option<Option<TimeoutHandle>>| {
            if let Some(Some(timer)) = previous {
                timer.clear();
            }
            let AuthState::LoggedIn(tokens) = session.state.get() else {
                return None;
            };
            // setTimeout takes at most 2^31 - 1 ms (24.8 days); a later
            // refresh is simply rescheduled when this one fires.
            let delay = tokens
                .refresh_due_at()
                .saturating_sub(now_ms())
                .clamp(0, i64::from(i32::MAX));
            set_timeout_with_handle(
                move || {
                    if !tokens.refresh_is_due(now_ms()) {
                        session.state.notify();
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        if let Err(AuthFailure::Offline(_)) =
                            session.refresh_from(&tokens.access).await
                        {
                            set_timeout(move || session.state.notify(), RETRY_AFTER);
                        }
                    })
                },
                Duration::from_millis(delay as u64),
            )
            .ok()
        });
    }

    async fn join_or_start_refresh(stale_access: String) -> Result<StoredTokens, AuthFailure> {
        let running = IN_FLIGHT.with(|slot| slot.borrow().clone());
        let flight = running.unwrap_or_else(|| {
            let flight = async move {
                let result = with_lock(REFRESH_LOCK, move |contended| {
                    rotate_unless_done(stale_access, contended)
                })
                .await
                .unwrap_or_else(|| Err(AuthFailure::Offline("the refresh was interrupted".into())));
                IN_FLIGHT.with(|slot| slot.borrow_mut().take());
                result
            }
            .boxed_local()
            .shared();
            IN_FLIGHT.with(|slot| *slot.borrow_mut() = Some(flight.clone()));
            flight
        });
        flight.await
    }

    /// Runs under the lock: uses what another tab already rotated, or
    /// rotates the stored refresh token. `contended`: another tab held the
    /// lock first and has probably just rotated; localStorage reaches other
    /// tabs asynchronously (each renderer process keeps a copy), so its write
    /// may not be visible here yet. Wait a little for it before presenting a
    /// token that may be retired.
    async fn rotate_unless_done(
        stale_access: String,
        contended: bool,
    ) -> Result<StoredTokens, AuthFailure> {
        let mut current = read().ok_or(AuthFailure::NotLoggedIn)?;
        if contended {
            for _ in 0..PROPAGATION_POLLS {
                if current.access != stale_access {
                    break;
                }
                sleep(PROPAGATION_POLL).await;
                current = read().ok_or(AuthFailure::NotLoggedIn)?;
            }
        }
        if current.access != stale_access && !current.refresh_is_due(now_ms()) {
            return Ok(current);
        }
        let issued_at = now_ms();
        let tokens = crate::api::refresh_tokens(current.refresh.clone()).await?;
        let next = StoredTokens::new(tokens, current.username.clone(), issued_at);
        // Logged out (or in anew) meanwhile: what storage holds wins.
        match read() {
            Some(now_stored) if now_stored.refresh == current.refresh => {
                write(&next);
                Ok(next)
            }
            Some(now_stored) => Ok(now_stored),
            None => Err(AuthFailure::NotLoggedIn),
        }
    }

    async fn sleep(duration: Duration) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis() as i32,
            );
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Runs `work` while holding the named Web Lock, so that only one tab of
    /// this origin runs it at a time; `work` learns whether it had to wait
    /// for another tab. Without Web Locks (an insecure context or an old
    /// browser) it simply runs. `None` if it started but never finished (the
    /// page is going away).
    async fn with_lock<T, Fut>(name: &str, work: impl FnOnce(bool) -> Fut + 'static) -> Option<T>
    where
        T: 'static,
        Fut: Future<Output = T> + 'static,
    {
        let work = Rc::new(RefCell::new(Some(work)));
        let output: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
        if let Some((locks, request)) = lock_manager() {
            // First without waiting: if that fails, another tab holds it.
            for contended in [false, true] {
                let (pending, slot) = (work.clone(), output.clone());
                let callback =
                    wasm_bindgen::closure::Closure::once_into_js(move |lock: JsValue| {
                        wasm_bindgen_futures::future_to_promise(async move {
                            if lock.is_null() {
                                return Ok(JsValue::UNDEFINED); // not available right now
                            }
                            let work = pending.borrow_mut().take();
                            if let Some(work) = work {
                                let value = work(contended).await;
                                *slot.borrow_mut() = Some(value);
                            }
                            Ok(JsValue::UNDEFINED)
                        })
                    });
                let options = js_sys::Object::new();
                let _ = js_sys::Reflect::set(
                    &options,
                    &JsValue::from_str("ifAvailable"),
                    &JsValue::from_bool(!contended),
                );
                match request.call3(&locks, &JsValue::from_str(name), &options, &callback) {
                    Ok(promise) => {
                        let promise = js_sys::Promise::from(promise);
                        if let Err(error) = wasm_bindgen_futures::JsFuture::from(promise).await {
                            leptos::logging::warn!("Web Lock failed: {error:?}");
                            break;
                        }
                    }
                    Err(error) => {
                        leptos::logging::warn!("Web Lock refused: {error:?}");
                        break;
                    }
                }
                if work.borrow().is_none() {
                    break; // it ran
                }
            }
        }
        if let Some(value) = output.borrow_mut().take() {
            return Some(value);
        }
        // No lock manager, or the lock request failed before running `work`.
        let work = work.borrow_mut().take();
        match work {
            Some(work) => Some(work(false).await),
            None => None,
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn token(iat: i64, exp: i64) -> String {
        let payload = format!(r#"{{"token_type":"access","iat":{iat},"exp":{exp}}}"#);
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    fn stored(access_lifetime: i64, issued_at: i64) -> StoredTokens {
        StoredTokens {
            access: token(1_000, 1_000 + access_lifetime),
            refresh: token(1_000, 1_000 + 86_400),
            username: None,
            issued_at,
        }
    }

    #[test]
    fn refresh_is_due_thirty_seconds_early_for_long_tokens() {
        // 5 minutes: usable 299 s, margin 29.9 s (a tenth) → due at 269.1 s.
        let tokens = stored(300, 0);
        assert_eq!(tokens.refresh_due_at(), 269_100);
        // One hour: the margin is capped at 30 s.
        let tokens = stored(3_600, 0);
        assert_eq!(tokens.refresh_due_at(), 3_599_000 - 30_000);
    }

    #[test]
    fn refresh_is_due_a_tenth_early_for_short_tokens() {
        // 3 s: usable 2 s, margin 0.2 s.
        let tokens = stored(3, 10_000);
        assert_eq!(tokens.refresh_due_at(), 11_800);
        assert!(!tokens.refresh_is_due(11_799));
        assert!(tokens.refresh_is_due(11_800));
    }

    #[test]
    fn lifetimes_count_on_the_browser_clock_whatever_the_server_clock() {
        // The server's iat is 1 000 s; the browser's clock says 5 000 000 ms.
        let tokens = stored(300, 5_000_000);
        assert_eq!(tokens.expires_at(&tokens.access), Some(5_000_000 + 299_000));
        assert_eq!(tokens.server_now(5_010_000), Some(1_010));
    }

    #[test]
    fn an_unreadable_access_token_is_due_at_once() {
        let tokens = StoredTokens {
            access: "garbage".into(),
            refresh: "garbage".into(),
            username: None,
            issued_at: 0,
        };
        assert!(tokens.refresh_is_due(i64::MIN + 1));
        assert_eq!(tokens.expires_at("garbage"), None);
    }

    #[test]
    fn storage_format_is_stable() {
        let tokens = stored(300, 42);
        assert_eq!(
            serde_json::to_string(&tokens).unwrap(),
            format!(
                r#"{{"access":"{}","refresh":"{}","username":null,"issued_at":42}}"#,
                tokens.access, tokens.refresh
            )
        );
        // Written by an older version without a username: still readable.
        let old = r#"{"access":"a","refresh":"r","issued_at":1}"#;
        assert!(serde_json::from_str::<StoredTokens>(old).is_ok());
    }
}
