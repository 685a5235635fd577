//! Who a request comes from: its address, for throttling and the sessions
//! list, and its `User-Agent`, for the session's label. Both adapters (the
//! REST API and the server functions) hand the core the raw peer and header
//! bytes and get one [`Caller`] back, so both read a request the same way.
//!
//! The address is the socket's peer or, when that peer is a proxy the
//! operator trusts, the address the proxies say they forwarded for, from
//! the one header the operator names (`X-Forwarded-For` by default, or
//! RFC 7239's `Forwarded`): a header the proxies do not write is the
//! client's own, and is ignored. Repeated header lines are one list
//! (RFC 9110 §5.3), joined in order; the list is read from the right, since
//! each proxy appends the address it saw, so the rightmost entry that is not
//! a trusted proxy is the first hop nobody can vouch for. What a client
//! writes to the left of it is ignored.

use std::net::{IpAddr, Ipv6Addr};

use crate::dpop::DpopKey;

/// Who is asking, as the HTTP layer sees them: the address throttling keys
/// on (see [`crate::Sessions::caller`]) and the `User-Agent` a new
/// session is labelled from. Both may be unknown (CLI, tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct Client<'a> {
    pub address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
    /// The known-device marker the client showed (see
    /// [`TokenPair::known_device`](crate::core::TokenPair::known_device)), if any.
    pub known_device: Option<&'a str>,
    /// The key the client proved it holds (a DPoP proof), to bind the
    /// session's tokens to.
    pub dpop_key: Option<&'a DpopKey>,
}

impl<'a> Client<'a> {
    /// The same client, having proven `key` (or not).
    pub fn bound_to(self, key: Option<&'a DpopKey>) -> Self {
        Self {
            dpop_key: key,
            ..self
        }
    }
}

/// Which header trusted proxies name the client in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239: `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name, lowercase as HTTP/2 and the `http` crate write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

impl std::str::FromStr for ForwardedHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("{other:?} is not x-forwarded-for or forwarded")),
        }
    }
}

/// How the core reads the network side of a request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ForwardingRules {
    pub trusted_proxies: Vec<IpAddr>,
    pub header: ForwardedHeader,
}

/// Who is asking, owned: built once per request by
/// [`crate::Sessions::caller`] from the raw request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    address: Option<IpAddr>,
    user_agent: Option<String>,
    known_device: Option<String>,
}

/// The request header a client shows its known-device marker in (and the
/// REST login answers a new one in): see [`crate::TokenPair::known_device`].
pub const KNOWN_DEVICE_HEADER: &str = "tessera-device";

impl Caller {
    /// What login, sign-up and the other session-starting calls take.
    pub fn client(&self) -> Client<'_> {
        Client {
            address: self.address,
            user_agent: self.user_agent.as_deref(),
            known_device: self.known_device.as_deref(),
            dpop_key: None,
        }
    }

    /// The same caller showing `marker` (a server function takes it as an
    /// argument rather than a header).
    pub fn with_known_device(self, marker: Option<String>) -> Self {
        Self {
            known_device: marker.or(self.known_device),
            ..self
        }
    }

    /// The client's address as the rules above find it; `None` without a
    /// peer (a router called in-process).
    pub fn address(&self) -> Option<IpAddr> {
        self.address
    }
}

impl ForwardingRules {
    /// The caller of a request from `peer` with `headers` (name, raw value;
    /// names in any case, repeated names in the order received).
    pub fn caller<'a>(
        &self,
        peer: Option<IpAddr>,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Caller {
        let wanted = self.header.name();
        let mut forwarded: Vec<&[u8]> = Vec::new();
        let mut user_agent = None;
        let mut known_device = None;
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(wanted) {
                forwarded.push(value);
            } else if user_agent.is_none() && name.eq_ignore_ascii_case("user-agent") {
                user_agent = Some(String::from_utf8_lossy(value).into_owned());
            } else if known_device.is_none() && name.eq_ignore_ascii_case(KNOWN_DEVICE_HEADER) {
                // A marker is ASCII; anything else is no marker.
                known_device = std::str::from_utf8(value).ok().map(str::to_owned);
            }
        }
        Caller {
            address: peer.map(|peer| self.client_address(peer, &forwarded)),
            user_agent,
            known_device,
        }
    }

    /// The client's address, given the TCP peer and every line of the
    /// forwarding header. A header from an untrusted peer is ignored; an
    /// entry that is not an address (garbage, `unknown`, an obfuscated
    /// RFC 7239 node) ends the walk at the last good address.
    pub fn client_address(&self, peer: IpAddr, lines: &[&[u8]]) -> IpAddr {
        let is_trusted = |address: &IpAddr| self.trusted_proxies.contains(&canonical(*address));
        let mut client = canonical(peer);
        if !is_trusted(&client) || lines.is_empty() {
            return client;
        }
        // One list across lines: a proxy that adds a line of its own instead
        // of extending the last one must not leave the client's line first.
        let mut entries: Vec<&[u8]> = Vec::new();
        for line in lines {
            entries.extend(line.split(|&byte| byte == b','));
        }
        for entry in entries.iter().rev() {
            let address = std::str::from_utf8(entry)
                .ok()
                .and_then(|text| match self.header {
                    ForwardedHeader::XForwardedFor => text.trim().parse::<IpAddr>().ok(),
                    ForwardedHeader::Forwarded => forwarded_for(text),
                });
            let Some(address) = address else { break };
            client = canonical(address);
            if !is_trusted(&client) {
                break;
            }
        }
        client
    }
}

/// The `for=` node of one RFC 7239 element (`for=192.0.2.60;proto=https`),
/// if it is an address: `for=192.0.2.43`, `for="192.0.2.43:47011"`,
/// `for="[2001:db8:cafe::17]:4711"`. `unknown` and obfuscated nodes are not.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let node = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim())
    })?;
    let node = node
        .strip_prefix('"')
        .and_then(|quoted| quoted.strip_suffix('"'))
        .unwrap_or(node);
    if let Some(bracketed) = node.strip_prefix('[') {
        let (v6, _port) = bracketed.split_once(']')?;
        return v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    // IPv4, with or without a port.
    let host = node.split_once(':').map_or(node, |(host, _port)| host);
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is the
/// IPv4 address, so both count against one key.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The block an address's budgets are kept for: the address itself for
/// IPv4; for IPv6 its network of `ipv6_prefix` bits, since one host is
/// routinely given a whole /64 and could otherwise spend 2^64 budgets.
pub(crate) fn address_block(address: IpAddr, ipv6_prefix: u8) -> String {
    match canonical(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = ipv6_prefix.min(128);
            let mask = u128::MAX.checked_shl(u32::from(128 - prefix)).unwrap_or(0);
            let network = Ipv6Addr::from(u128::from(v6) & mask);
            if prefix == 128 {
                network.to_string()
            } else {
                format!("{network}/{prefix}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn rules(proxies: &[&str], header: ForwardedHeader) -> ForwardingRules {
        ForwardingRules {
            trusted_proxies: proxies.iter().map(|proxy| ip(proxy)).collect(),
            header,
        }
    }

    fn xff(proxies: &[&str]) -> ForwardingRules {
        rules(proxies, ForwardedHeader::XForwardedFor)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let claimed: &[&[u8]] = &[b"203.0.113.9"];
        assert_eq!(
            xff(&[]).client_address(ip("198.51.100.1"), claimed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = xff(&["10.0.0.1", "10.0.0.2"]);
        let header: &[&[u8]] = &[b"6.6.6.6, 203.0.113.9, 10.0.0.2"];
        assert_eq!(
            proxies.client_address(ip("10.0.0.1"), header),
            ip("203.0.113.9")
        );
        // No header: the proxy itself.
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &[]), ip("10.0.0.1"));
        // Garbage stops the walk at the last good address.
        let garbage: &[&[u8]] = &[b"203.0.113.9, not-an-ip"];
        assert_eq!(
            proxies.client_address(ip("10.0.0.1"), garbage),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn repeated_header_lines_are_one_list_in_order() {
        // HAProxy's `option forwardfor` adds a line of its own: the client's
        // forged line comes first and must not be believed.
        let proxies = xff(&["10.0.0.1"]);
        let lines: &[&[u8]] = &[b"6.6.6.6", b"203.0.113.9"];
        assert_eq!(
            proxies.client_address(ip("10.0.0.1"), lines),
            ip("203.0.113.9")
        );
        let caller = proxies.caller(
            Some(ip("10.0.0.1")),
            [
                ("X-Forwarded-For", b"1.2.3.4".as_slice()),
                ("user-agent", b"curl/8".as_slice()),
                ("x-forwarded-for", b"203.0.113.7".as_slice()),
            ],
        );
        assert_eq!(caller.address(), Some(ip("203.0.113.7")));
        assert_eq!(caller.client().user_agent, Some("curl/8"));
    }

    #[test]
    fn rfc_7239_forwarded_is_read_when_the_proxies_write_it() {
        let proxies = rules(&["10.0.0.1"], ForwardedHeader::Forwarded);
        let cases: [(&[u8], &str); 5] = [
            (b"for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            (b"for=\"192.0.2.43:47011\"", "192.0.2.43"),
            (b"for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            (b"For=6.6.6.6, for=198.51.100.17", "198.51.100.17"),
            (b"for=unknown", "10.0.0.1"),
        ];
        for (header, client) in cases {
            assert_eq!(
                proxies.client_address(ip("10.0.0.1"), &[header]),
                ip(client),
                "{}",
                String::from_utf8_lossy(header)
            );
        }
        // With `Forwarded` chosen, an X-Forwarded-For (which the proxies do
        // not write, so a client may have) is ignored, and the other way round.
        let caller = proxies.caller(
            Some(ip("10.0.0.1")),
            [("x-forwarded-for", b"6.6.6.6".as_slice())],
        );
        assert_eq!(caller.address(), Some(ip("10.0.0.1")));
        let caller = xff(&["10.0.0.1"]).caller(
            Some(ip("10.0.0.1")),
            [("forwarded", b"for=6.6.6.6".as_slice())],
        );
        assert_eq!(caller.address(), Some(ip("10.0.0.1")));
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        assert_eq!(
            xff(&[]).client_address(ip("::ffff:192.0.2.1"), &[]),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn ipv6_clients_share_their_network_s_budget() {
        assert_eq!(
            address_block(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 64),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_block(ip("2001:db8:1:2::1"), 64),
            address_block(ip("2001:db8:1:2:ffff::9"), 64)
        );
        assert_eq!(address_block(ip("2001:db8::1"), 128), "2001:db8::1");
        assert_eq!(address_block(ip("2001:db8:ff::1"), 48), "2001:db8:ff::/48");
        assert_eq!(address_block(ip("2001:db8::1"), 0), "::/0");
        assert_eq!(address_block(ip("192.0.2.1"), 64), "192.0.2.1");
        assert_eq!(address_block(ip("::ffff:192.0.2.1"), 64), "192.0.2.1");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever a client writes in either header, over any number of
        /// lines, the answer is the peer or an address the header names, and
        /// never a panic.
        #[test]
        fn any_forwarded_header_gives_the_peer_or_a_named_address(
            lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..128), 0..3),
            trusted in any::<bool>(),
            standard in any::<bool>(),
        ) {
            let peer: IpAddr = "10.0.0.1".parse().unwrap();
            let header = if standard { ForwardedHeader::Forwarded } else { ForwardedHeader::XForwardedFor };
            let rules = ForwardingRules {
                trusted_proxies: if trusted { vec![peer] } else { Vec::new() },
                header,
            };
            let borrowed: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            let client = rules.client_address(peer, &borrowed);
            if !trusted {
                prop_assert_eq!(client, peer);
            }
            let _ = address_block(client, 64);
        }
    }
}
