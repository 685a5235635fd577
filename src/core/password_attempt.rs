//! One guess at a password, throttled: counted against the name *before*
//! the hash (for names that exist or not alike, so throttling reveals no
//! account, and parallel guesses are all counted), against the client's
//! address once it has failed; a success resets the name and never counted
//! against the address. Logins and password changes both go through here,
//! so neither is a side door for guessing.

use crate::core::caller::address_block;
use crate::core::throttle::ThrottleKey;
use crate::core::{Client, Core};
use crate::error::AuthError;

pub(crate) struct PasswordAttempt<'a> {
    core: &'a Core,
    name: [ThrottleKey; 1],
    address: Option<ThrottleKey>,
    now: i64,
}

impl<'a> PasswordAttempt<'a> {
    /// Counts the attempt, or refuses it as `Throttled`.
    pub async fn begin(
        core: &'a Core,
        username: &str,
        client: Client<'_>,
        now: i64,
    ) -> Result<Self, AuthError> {
        let attempt = Self {
            core,
            name: [ThrottleKey::Username(username.to_owned())],
            address: client
                .address
                .map(|address| ThrottleKey::Address(address_block(address, core.ipv6_prefix))),
            now,
        };
        let keys: Vec<ThrottleKey> = attempt
            .name
            .iter()
            .chain(&attempt.address)
            .cloned()
            .collect();
        if let Err(throttled) = core
            .store
            .count_login_attempt(&keys, &core.throttle, now)
            .await?
        {
            return Err(AuthError::Throttled {
                retry_after: throttled.retry_after,
            });
        }
        Ok(attempt)
    }

    /// The password was wrong: the address's failure counts now (the
    /// name's was counted when the attempt began).
    pub async fn failed(&self) -> Result<(), AuthError> {
        if let Some(address) = &self.address {
            self.core
                .store
                .login_failed(std::slice::from_ref(address), &self.core.throttle, self.now)
                .await?;
        }
        Ok(())
    }

    pub async fn succeeded(&self) -> Result<(), AuthError> {
        self.core
            .store
            .login_succeeded(&self.name, &self.core.throttle, self.now)
            .await?;
        Ok(())
    }
}
