//! The relying party passkeys are made for (`--public-url`'s origin and
//! `--webauthn-rp-id`), and the options sent to the browser, shaped for
//! its `PublicKeyCredential.parse…OptionsFromJSON`.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

use crate::core::public_url::PublicUrl;
use crate::error::StartError;

/// How long a ceremony waits for the browser's answer: what the browser
/// is told too, so that it gives up first.
pub(crate) const CEREMONY_SECS: i64 = 5 * 60;

/// The relying party for `public_url`, its id `rp_id` (default: the URL's
/// host). WebAuthn works on domains only: a loopback address (`make run`'s
/// `http://127.0.0.1:3000`) stands for `localhost` on the same port, the
/// one name browsers trust without HTTPS; any other IP address turns
/// passkeys off (`None`) unless an id is given.
pub(crate) fn relying_party(
    public_url: &PublicUrl,
    rp_id: Option<&str>,
) -> Result<Option<Webauthn>, StartError> {
    let invalid =
        |error: &dyn std::fmt::Display| StartError::RelyingParty(format!("{public_url}: {error}"));
    let mut origin = Url::parse(public_url.origin()).map_err(|error| invalid(&error))?;
    let host = public_url.host();
    let address = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    let rp_id = match (rp_id.map(str::trim), address) {
        (Some(id), _) if !id.is_empty() => id.to_ascii_lowercase(),
        (_, Some(address)) if address.is_loopback() => {
            origin
                .set_host(Some("localhost"))
                .map_err(|error| invalid(&error))?;
            "localhost".to_owned()
        }
        (_, Some(_)) => {
            tracing::info!(
                public_url = %public_url,
                "passkeys are off: WebAuthn needs a domain name (set --public-url to \
                 the name people use, or --webauthn-rp-id)"
            );
            return Ok(None);
        }
        _ => host.to_owned(),
    };
    let webauthn = WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|builder| {
            builder
                .rp_name(&rp_id)
                .timeout(Duration::from_secs(CEREMONY_SECS as u64))
                .build()
        })
        .map_err(|_| {
            StartError::RelyingParty(format!(
                "--webauthn-rp-id {rp_id:?} is neither the host of --public-url {public_url} \
                 nor a parent domain of it"
            ))
        })?;
    Ok(Some(webauthn))
}

/// The `publicKey` member of the library's challenge, as the browser
/// takes it: no `null` members (WebIDL refuses them where it expects a
/// list or a string).
pub(crate) fn browser_options(challenge: &impl Serialize) -> Value {
    let mut whole = serde_json::to_value(challenge).unwrap_or(Value::Null);
    let mut options = whole
        .get_mut("publicKey")
        .map(Value::take)
        .unwrap_or(Value::Null);
    drop_nulls(&mut options);
    options
}

/// Registration options asking for a discoverable credential (a passkey
/// that signs in without a username) with user verification.
pub(crate) fn discoverable(mut options: Value) -> Value {
    if let Some(selection) = options
        .get_mut("authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
        selection.insert("userVerification".into(), "required".into());
    }
    options
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_urls_host_is_the_default_id_and_an_ip_turns_passkeys_off() {
        let url: PublicUrl = "https://auth.example.com".parse().unwrap();
        assert!(relying_party(&url, None).unwrap().is_some());
        assert!(relying_party(&url, Some("example.com")).unwrap().is_some());
        assert!(relying_party(&url, Some("other.com")).is_err());
        let ip: PublicUrl = "http://192.0.2.7:3000".parse().unwrap();
        assert!(relying_party(&ip, None).unwrap().is_none());
        let local: PublicUrl = "http://localhost:3000".parse().unwrap();
        assert!(relying_party(&local, None).unwrap().is_some());
        // Loopback stands for localhost, on the same port.
        for loopback in ["http://127.0.0.1:3000", "http://[::1]:3000"] {
            let url: PublicUrl = loopback.parse().unwrap();
            let rp = relying_party(&url, None).unwrap().expect("a relying party");
            let origins: Vec<String> = rp
                .get_allowed_origins()
                .iter()
                .map(|origin| origin.to_string())
                .collect();
            assert_eq!(origins, ["http://localhost:3000/"], "{loopback}");
        }
    }

    #[test]
    fn options_lose_their_nulls_and_ask_for_a_discoverable_credential() {
        let challenge = serde_json::json!({
            "publicKey": {
                "challenge": "abc",
                "hints": null,
                "excludeCredentials": [{"id": "x", "transports": null}],
                "authenticatorSelection": {"residentKey": "discouraged", "requireResidentKey": false}
            },
            "mediation": null
        });
        let options = discoverable(browser_options(&challenge));
        assert_eq!(
            options,
            serde_json::json!({
                "challenge": "abc",
                "excludeCredentials": [{"id": "x"}],
                "authenticatorSelection": {
                    "residentKey": "required",
                    "requireResidentKey": true,
                    "userVerification": "required"
                }
            })
        );
    }
}
