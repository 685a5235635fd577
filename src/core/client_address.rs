//! Which address a request comes from, for throttling: the socket's peer,
//! or, when that peer is a proxy the operator trusts, the address that proxy
//! says it forwarded for (`X-Forwarded-For`). The header is read from the
//! right: each trusted proxy appends the address it saw, so the rightmost
//! entry not of a trusted proxy is the first hop nobody can vouch for; what
//! a client writes to the left of it is ignored.

use std::net::IpAddr;

/// The client's address, given the TCP peer, the raw `X-Forwarded-For`
/// header (if any) and the trusted proxies. A header from an untrusted peer
/// is ignored; a malformed entry ends the walk at the last good address.
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&[u8]>,
    trusted_proxies: &[IpAddr],
) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted_proxies.contains(&canonical(*address));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    let Some(header) = forwarded_for.and_then(|bytes| std::str::from_utf8(bytes).ok()) else {
        return canonical(peer);
    };
    let mut client = canonical(peer);
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = canonical(address);
                if !is_trusted(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is the
/// IPv4 address, so both count against one key.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let claimed = Some(b"203.0.113.9".as_slice());
        assert_eq!(
            client_address(ip("198.51.100.1"), claimed, &[]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let header = Some(b"6.6.6.6, 203.0.113.9, 10.0.0.2".as_slice());
        assert_eq!(
            client_address(ip("10.0.0.1"), header, &proxies),
            ip("203.0.113.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), None, &proxies),
            ip("10.0.0.1")
        );
        // Garbage stops the walk at the last good address.
        let garbage = Some(b"203.0.113.9, not-an-ip".as_slice());
        assert_eq!(
            client_address(ip("10.0.0.1"), garbage, &proxies),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        assert_eq!(
            client_address(ip("::ffff:192.0.2.1"), None, &[]),
            ip("192.0.2.1")
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever a client writes in `X-Forwarded-For`, the answer is the
        /// peer or an address the header names, and never a panic.
        #[test]
        fn any_forwarded_header_gives_the_peer_or_a_named_address(
            header in proptest::collection::vec(any::<u8>(), 0..256),
            trusted in any::<bool>(),
        ) {
            let peer: IpAddr = "10.0.0.1".parse().unwrap();
            let proxies = if trusted { vec![peer] } else { Vec::new() };
            let client = client_address(peer, Some(&header), &proxies);
            let text = String::from_utf8_lossy(&header);
            prop_assert!(client == peer || text.contains(&client.to_string()) || trusted);
            if !trusted {
                prop_assert_eq!(client, peer);
            }
        }
    }
}
