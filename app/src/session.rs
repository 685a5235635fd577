//! The browser's session: the state machine every component asks, and the
//! rules for keeping its tokens fresh. Storage is [`crate::token_store`]'s,
//! locks and timers are [`crate::browser`]'s; this module decides.
//!
//! - Proactive refresh: shortly before the access token expires (see
//!   [`StoredTokens::refresh_due_at`]).
//! - Reactive refresh: a call refused with an ended-session error refreshes
//!   once and is retried once.
//! - Single flight: every caller that needs a refresh while one is running
//!   waits for that one.
//! - Across tabs: the `storage` event keeps each tab's state in step, and the
//!   refresh runs under a Web Lock ([`REFRESH_LOCK`]); the tab that gets the
//!   lock re-reads localStorage first and takes a token another tab already
//!   rotated instead of presenting a retired one, which the server would
//!   treat as theft and answer by revoking the whole session. A rotation is
//!   also marked by a second lock for a few seconds, since another tab's
//!   copy of localStorage may not show it yet.
//! - Server-side rendering never sees localStorage: the state starts
//!   `Unknown` on both sides and is loaded after hydration.

use std::future::Future;

use leptos::prelude::*;

use crate::failure::{AuthFailure, TokenProblem};
use crate::token_store::{self, now_ms, StoredTokens, Tokens};

/// The sessionStorage key of the reason this tab's session ended, and its values.
const ENDED_KEY: &str = "tessera.ended";
const EXPIRED: &str = "expired";
const ELSEWHERE: &str = "elsewhere";

/// The Web Lock held while a refresh runs.
pub const REFRESH_LOCK: &str = "tessera.refresh";

/// What a logout's answer is worth a warning for: not a session already
/// ended, by a rotation the logout waited for (see
/// `live::logout_after_rotation`) or elsewhere.
fn warn_unless_ended(sent: Result<(), AuthFailure>) {
    match sent {
        Ok(())
        | Err(AuthFailure::TokenRefused {
            problem: TokenProblem::Revoked,
            ..
        }) => {}
        Err(failure) => leptos::logging::warn!("logout: {failure}"),
    }
}

/// What this tab knows about the login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthState {
    /// During server rendering and hydration: localStorage not read yet.
    Unknown,
    LoggedOut,
    /// The person pressed "Log out" in this tab: the login page says so.
    LoggedOutHere,
    /// Logged out because the session ended (refresh refused).
    Expired,
    /// Logged out because the session was ended on purpose elsewhere:
    /// from another device's account page, a password change there, a
    /// logout through the API (the server says the token is blacklisted).
    SignedOutElsewhere,
    LoggedIn(StoredTokens),
}

impl AuthState {
    /// Logged out by the server, with a reason to show.
    fn has_ended(&self) -> bool {
        matches!(self, Self::Expired | Self::SignedOutElsewhere)
    }
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
    live::start(session);
    session
}

/// The session `App` provides. Never panics: a component rendered outside
/// `App` (a wiring bug) gets a session of its own.
pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_else(provide_session)
}

/// The login page has shown why the session ended: a later load of this
/// tab no longer says it.
pub fn reason_shown() {
    let _ = crate::browser::take_tab_note(ENDED_KEY);
}

/// Someone has started on a sign-in form (a field focused, the passkey
/// button pointed at): fetches the code that sends it, which waits behind
/// a split point, while they type. A first visit that only looks does not
/// download it.
pub fn prepare_sign_in() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async {
        // A failure shows when the form is sent, which fetches it again.
        let _ = live::load_session_calls().await;
    });
}

/// Called once hydration is over: until then the state stays `Unknown`, as
/// the server rendered it.
#[cfg(feature = "hydrate")]
pub fn hydration_finished() {
    live::hydration_finished();
}

/// True while the page the server rendered is being hydrated.
#[cfg(feature = "hydrate")]
pub fn hydrating() -> bool {
    live::hydrating()
}

impl Session {
    /// The state, tracked: views and effects that read it follow changes.
    pub fn state(&self) -> AuthState {
        self.state.get()
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

    /// Whether the account was staff when last asked (see [`StoredTokens::staff`]).
    pub fn is_staff(&self) -> bool {
        self.tokens().is_some_and(|tokens| tokens.staff)
    }

    /// Records what the server said about staff status, so the navigation
    /// follows a change made since the login.
    pub fn note_staff(&self, staff: bool) {
        match self.load() {
            Some(tokens) if tokens.staff != staff => self.adopt(tokens.with_staff(staff)),
            _ => {}
        }
    }

    /// Logs in; `otp`: the code of the second step, if the account asked.
    pub async fn login(
        &self,
        username: String,
        password: String,
        otp: Option<String>,
    ) -> Result<(), AuthFailure> {
        let issued_at = now_ms();
        let marker = crate::known_devices::marker_for(&username);
        // In the browser the tokens are kept by the call (see `live`).
        #[cfg(feature = "hydrate")]
        return live::send_login(*self, username, password, marker, otp, issued_at).await;
        #[cfg(not(feature = "hydrate"))]
        {
            let tokens = crate::api::login(username.clone(), password, marker, otp).await?;
            self.signed_in(tokens, username, issued_at);
            Ok(())
        }
    }

    /// Signs in with a passkey the browser holds for this site (no name
    /// typed): the server's challenge, the browser's ceremony, the server's
    /// check. Failures are the words to show.
    pub async fn passkey_login(&self) -> Result<(), String> {
        let issued_at = now_ms();
        #[cfg(feature = "hydrate")]
        return live::send_passkey_login(*self, issued_at)
            .await
            .map_err(|failure| failure.to_string())?;
        #[cfg(not(feature = "hydrate"))]
        {
            let signed_in = crate::passkey_api::sign_in_ceremony().await?;
            self.signed_in(signed_in.tokens, signed_in.username, issued_at);
            Ok(())
        }
    }

    /// Keeps the tokens of `username`'s new session, asked for at
    /// `issued_at` (the browser's clock).
    pub fn signed_in(&self, tokens: Tokens, username: String, issued_at: i64) {
        crate::known_devices::remember(&username, tokens.known_device);
        self.adopt(
            StoredTokens::new(tokens.access, tokens.refresh, Some(username), issued_at)
                .with_staff(tokens.staff),
        );
    }

    /// Creates an account; `false` when it logs in only once its address
    /// is confirmed.
    pub async fn sign_up(
        &self,
        username: String,
        password: String,
        email: String,
    ) -> Result<bool, AuthFailure> {
        let issued_at = now_ms();
        #[cfg(feature = "hydrate")]
        return live::send_sign_up(*self, username, password, email, issued_at).await;
        #[cfg(not(feature = "hydrate"))]
        {
            let answer = crate::api::sign_up(username.clone(), password, email).await?;
            let Some(tokens) = answer else {
                return Ok(false);
            };
            self.signed_in(tokens, username, issued_at);
            Ok(true)
        }
    }

    /// Changes the password. Every session ends with it, this one too (a
    /// copy of its tokens dies), and the tab carries on in the new session
    /// the answer starts.
    pub async fn change_password(&self, old: String, new: String) -> Result<(), AuthFailure> {
        let issued_at = now_ms();
        let username = self.username();
        let tokens = self
            .call(move || crate::api::change_password(old.clone(), new.clone()))
            .await?;
        if let Some(name) = &username {
            crate::known_devices::remember(name, tokens.known_device);
        }
        let staff = self.is_staff();
        self.adopt(
            StoredTokens::new(tokens.access, tokens.refresh, username, issued_at).with_staff(staff),
        );
        Ok(())
    }

    /// Forgets the tokens at once (every tab sees it), then asks the server
    /// to revoke the session, then deletes this browser's DPoP key. Offline,
    /// the local logout still happens; the session then simply expires on
    /// the server.
    pub async fn logout(&self) {
        self.log_out_to(AuthState::LoggedOutHere).await;
    }

    /// Logs out without the login page's "You have logged out.": for
    /// "Switch account", where a login or sign-up form takes its place.
    pub async fn switch_account(&self) {
        self.log_out_to(AuthState::LoggedOut).await;
    }

    async fn log_out_to(&self, next: AuthState) {
        let stored = self.forget(next);
        let refresh = stored.map(|tokens| tokens.refresh);
        // The logout, then this browser's DPoP key deleted (after the
        // logout's own proof: the next login makes a new key).
        #[cfg(feature = "hydrate")]
        let sent = match live::load_session_calls().await {
            Ok(()) => live::send_logout(refresh).await,
            // Its code could not be fetched: the key goes all the same,
            // and the session simply expires on the server.
            Err(error) => {
                crate::browser::forget_dpop_key().await;
                Err(error.into())
            }
        };
        #[cfg(not(feature = "hydrate"))]
        let sent = match refresh {
            Some(refresh) => crate::api::logout(refresh).await,
            None => Ok(()),
        };
        warn_unless_ended(sent);
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
        let result = live::refresh_single_flight(stale_access.to_owned()).await;
        #[cfg(not(feature = "hydrate"))]
        let result: Result<StoredTokens, AuthFailure> = {
            let _ = stale_access;
            Err(AuthFailure::NotLoggedIn)
        };
        match &result {
            Ok(tokens) => self.settle(AuthState::LoggedIn(tokens.clone())),
            Err(failure) if failure.ends_session() => self.end(failure.clone()),
            Err(_) => {}
        }
        result
    }

    /// Stores new tokens and shows them in every tab.
    fn adopt(&self, tokens: StoredTokens) {
        token_store::write(&tokens);
        // A new session: why an earlier one ended no longer matters.
        let _ = crate::browser::take_tab_note(ENDED_KEY);
        self.settle(AuthState::LoggedIn(tokens));
    }

    /// Sets the state, except while the page hydrates (when it must stay
    /// `Unknown`): hydration's end reads the state from storage then.
    fn settle(&self, next: AuthState) {
        #[cfg(feature = "hydrate")]
        if live::hydrating() {
            return;
        }
        self.state.set(next);
    }

    /// The tokens as localStorage holds them now (another tab may have
    /// changed them since this tab's state was last updated).
    fn load(&self) -> Option<StoredTokens> {
        if cfg!(feature = "hydrate") {
            token_store::read()
        } else {
            self.tokens()
        }
    }

    /// The session is over: `SignedOutElsewhere` or `Expired` if this tab
    /// still held tokens, plain `LoggedOut` if they were already gone
    /// (another tab logged out).
    fn end(&self, failure: AuthFailure) {
        leptos::logging::log!("session ended: {failure}");
        // Several calls may fail on one refresh; the first one decides.
        let already_ended = self.state.with_untracked(AuthState::has_ended);
        if already_ended {
            token_store::clear();
            return;
        }
        let next = if self.load().is_none() {
            AuthState::LoggedOut
        } else if failure.was_revoked() {
            AuthState::SignedOutElsewhere
        } else {
            AuthState::Expired
        };
        self.forget(next);
    }

    /// Forgets tokens the server has already ended (a password reset made
    /// with a mailed link): nothing to tell the server.
    pub fn forget_ended(&self) {
        self.forget(AuthState::LoggedOut);
    }

    fn forget(&self, next: AuthState) -> Option<StoredTokens> {
        let stored = self.load();
        token_store::clear();
        // The reason outlives a reload of this tab (the page may be reloaded
        // before it shows the login page, or end while still hydrating).
        let reason = match next {
            AuthState::Expired => Some(EXPIRED),
            AuthState::SignedOutElsewhere => Some(ELSEWHERE),
            _ => None,
        };
        if let Some(reason) = reason {
            crate::browser::note_in_tab(ENDED_KEY, reason);
        }
        self.settle(next);
        stored
    }
}

#[cfg(feature = "hydrate")]
mod live {
    //! The session at work in the browser: following the `storage` event,
    //! the refresh timer, and the single-flight refresh under the Web Lock.

    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    use futures::future::{FutureExt, LocalBoxFuture, Shared};
    use leptos::prelude::*;

    use super::{AuthState, Session, ELSEWHERE, ENDED_KEY, EXPIRED, REFRESH_LOCK};
    use crate::browser::{hold_lock, lock_held, sleep, take_tab_note, with_lock};
    use crate::failure::AuthFailure;
    use crate::token_store::{now_ms, read, write, StoredTokens, Tokens, STORAGE_KEY};
    use std::future::Future;

    type Flight = Shared<LocalBoxFuture<'static, Result<StoredTokens, AuthFailure>>>;

    thread_local! {
        /// The refresh running in this tab, shared by everyone who waits for it.
        static IN_FLIGHT: RefCell<Option<Flight>> = const { RefCell::new(None) };
    }

    /// A timer refresh that failed without ending the session (offline, a
    /// server error) is tried again after this long, unless the server said.
    const RETRY_AFTER: Duration = Duration::from_secs(5);
    /// How long the tab that rotated a refresh token keeps the Web Lock that
    /// says so: far longer than its localStorage write takes to reach the
    /// other tabs' copies (milliseconds, a few hundred on a busy machine).
    const ROTATED_MARK: Duration = Duration::from_secs(10);
    /// How long a tab watches its localStorage for another tab's rotation
    /// before it gives up and presents what it has: 80 × 25 ms.
    const PROPAGATION_POLLS: usize = 80;
    const PROPAGATION_POLL: Duration = Duration::from_millis(25);

    /// Hydration is over: the state may now follow localStorage.
    pub fn hydration_finished() {
        if let Some(session) = HYDRATING.take() {
            // A session that ended in this tab (before a reload, or while
            // hydrating) says why, unless someone logged in since.
            let ended = take_tab_note(ENDED_KEY);
            let next = match (read(), ended.as_deref()) {
                (None, Some(EXPIRED)) => AuthState::Expired,
                (None, Some(ELSEWHERE)) => AuthState::SignedOutElsewhere,
                _ => stored_state(),
            };
            session.state.set(next);
        }
    }

    pub fn hydrating() -> bool {
        HYDRATING.get().is_some()
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

    /// Logs `refresh` out (if there is a session) and deletes this
    /// browser's DPoP key.
    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let call = _; { call.await } -> Result<(), AuthFailure>)
    )]
    pub fn send_logout(
        refresh: Option<String>,
    ) -> LocalBoxFuture<'static, Result<(), AuthFailure>> {
        Box::pin(logout_after_rotation(refresh))
    }

    /// Sends the logout once no rotation is under way, in this tab or
    /// another (it waits for the refresh lock). One that overtook a
    /// rotation would present a token the server has just retired, which
    /// it takes for a stolen login: the session ends all the same, but the
    /// person's activity then says their login was used from two places.
    /// A rotation that finds the tokens forgotten ends its successor's
    /// session itself (`rotate_unless_done`), so this one may then be told
    /// the token is blacklisted.
    ///
    /// The key is deleted under the same lock, which sign-ins hold from
    /// their request until their tokens are kept (`signing_in`): a login
    /// made right after "Log out", while this waited, can neither lose the
    /// key its new session is bound to nor sign with the one going away.
    async fn logout_after_rotation(refresh: Option<String>) -> Result<(), AuthFailure> {
        under_refresh_lock("the logout", async move {
            let sent = match refresh {
                Some(refresh) => crate::api::logout(refresh).await,
                None => Ok(()),
            };
            crate::browser::forget_dpop_key().await;
            sent
        })
        .await
    }

    /// Runs `work` under the refresh lock: one at a time across the tabs.
    async fn under_refresh_lock<T: 'static>(
        what: &'static str,
        work: impl Future<Output = Result<T, AuthFailure>> + 'static,
    ) -> Result<T, AuthFailure> {
        with_lock(REFRESH_LOCK, move || work)
            .await
            .unwrap_or_else(|| Err(AuthFailure::Offline(format!("{what} was interrupted"))))
    }

    /// A sign-in's request and the keeping of its tokens, under the refresh
    /// lock (see `logout_after_rotation`).
    async fn signing_in(
        session: Session,
        username: String,
        issued_at: i64,
        request: impl Future<Output = Result<Tokens, AuthFailure>> + 'static,
    ) -> Result<(), AuthFailure> {
        under_refresh_lock("the login", async move {
            session.signed_in(request.await?, username, issued_at);
            Ok(())
        })
        .await
    }

    // The sign-in forms' calls, in the same file: a login page that is only
    // looked at does not fetch them (see `prepare_sign_in`). Each keeps the
    // tokens it gets.
    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(load_session_calls),
        return_wrapper(let call = _; { call.await } -> Result<(), AuthFailure>)
    )]
    pub fn send_login(
        session: Session,
        username: String,
        password: String,
        known_device: Option<String>,
        otp: Option<String>,
        issued_at: i64,
    ) -> LocalBoxFuture<'static, Result<(), AuthFailure>> {
        let request = crate::api::login(username.clone(), password, known_device, otp);
        Box::pin(signing_in(session, username, issued_at, request))
    }

    /// `Ok(false)`: the account logs in once its address is confirmed.
    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let call = _; { call.await } -> Result<bool, AuthFailure>)
    )]
    pub fn send_sign_up(
        session: Session,
        username: String,
        password: String,
        email: String,
        issued_at: i64,
    ) -> LocalBoxFuture<'static, Result<bool, AuthFailure>> {
        Box::pin(under_refresh_lock("the sign-up", async move {
            let answer = crate::api::sign_up(username.clone(), password, email).await?;
            let Some(tokens) = answer else {
                return Ok(false);
            };
            session.signed_in(tokens, username, issued_at);
            Ok(true)
        }))
    }

    /// The outer `Err`: the file could not be fetched. The lock is taken
    /// for the last request only, not while the person answers their
    /// authenticator.
    #[leptos::wasm_split::wasm_split(
        session_calls,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let call = _; { call.await } -> Result<Result<(), String>, AuthFailure>)
    )]
    pub fn send_passkey_login(
        session: Session,
        issued_at: i64,
    ) -> LocalBoxFuture<'static, Result<Result<(), String>, AuthFailure>> {
        use crate::passkey_api::{begin_passkey_sign_in, sign_in_with_passkey};
        Box::pin(async move {
            let words = |failure: AuthFailure| failure.to_string();
            let ceremony = match begin_passkey_sign_in().await {
                Ok(ceremony) => ceremony,
                Err(failure) => return Ok(Err(words(failure))),
            };
            let credential = match crate::browser::use_passkey(&ceremony.options).await {
                Ok(credential) => credential,
                Err(words) => return Ok(Err(words)),
            };
            let kept = under_refresh_lock("the login", async move {
                let signed_in = sign_in_with_passkey(ceremony.id, credential).await?;
                session.signed_in(signed_in.tokens, signed_in.username, issued_at);
                Ok(())
            })
            .await;
            Ok(kept.map_err(words))
        })
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
                        // Offline, busy, throttled or a server error: the
                        // session goes on, so try again (when the server
                        // says, else shortly) rather than let the tokens
                        // run out unrefreshed.
                        if let Err(failure) = session.refresh_from(&tokens.access).await {
                            if !failure.ends_session() {
                                let wait = failure.retry_after().map_or(RETRY_AFTER, |seconds| {
                                    Duration::from_secs(seconds.max(1) as u64)
                                });
                                set_timeout(move || session.state.notify(), wait);
                            }
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
                let result =
                    under_refresh_lock("the refresh", rotate_unless_done(stale_access)).await;
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
    /// rotates the stored refresh token. Each tab reads its own copy of
    /// localStorage, which another tab's write reaches only some time later:
    /// the tab that rotated a token therefore also holds a Web Lock named
    /// after it (the browser keeps those in one place for all tabs), taken
    /// before it lets go of the refresh lock. A token so marked is retired:
    /// wait for this tab's copy to show its successor instead of presenting
    /// it again.
    async fn rotate_unless_done(stale_access: String) -> Result<StoredTokens, AuthFailure> {
        let mut current = read().ok_or(AuthFailure::NotLoggedIn)?;
        for _ in 0..PROPAGATION_POLLS {
            if !lock_held(&rotated_mark(&current.refresh)).await {
                break;
            }
            sleep(PROPAGATION_POLL).await;
            current = read().ok_or(AuthFailure::NotLoggedIn)?;
        }
        if current.access != stale_access && !current.refresh_is_due(now_ms()) {
            return Ok(current);
        }
        let issued_at = now_ms();
        let tokens = crate::api::refresh_tokens(current.refresh.clone()).await?;
        let next = StoredTokens::new(
            tokens.access,
            tokens.refresh,
            current.username.clone(),
            issued_at,
        )
        .with_staff(current.staff);
        // Logged out (or in anew) meanwhile: what storage holds wins.
        let outcome = match read() {
            Some(now_stored) if now_stored.refresh == current.refresh => {
                write(&next);
                Ok(next)
            }
            // Another session is kept now (a browser without Web Locks let
            // a login through meanwhile): nobody will use the successor, so
            // it is ended, as the logout that came before that login. The
            // same successor (a retry within the server's overlap) is kept.
            Some(now_stored) if now_stored.refresh != next.refresh => {
                super::warn_unless_ended(crate::api::logout(next.refresh).await);
                Ok(now_stored)
            }
            Some(now_stored) => Ok(now_stored),
            None => {
                // The logout waits for this lock with the token just
                // retired: only this tab knows the successor, so it ends
                // the session here, as the logout it is.
                super::warn_unless_ended(crate::api::logout(next.refresh).await);
                Err(AuthFailure::NotLoggedIn)
            }
        };
        hold_lock(&rotated_mark(&current.refresh), ROTATED_MARK).await;
        outcome
    }

    /// The Web Lock that says `refresh` was rotated. Named after the end of
    /// its signature: distinct per token without spelling the token out in
    /// `navigator.locks.query()`.
    fn rotated_mark(refresh: &str) -> String {
        let tail = refresh
            .char_indices()
            .rev()
            .nth(15)
            .map_or(refresh, |(at, _)| &refresh[at..]);
        format!("tessera.rotated.{tail}")
    }
}
