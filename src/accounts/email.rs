//! Email addresses as Django's `EmailValidator` accepts them (the rules a
//! Django site's users were held to): a dot-atom local part, then a host
//! name with a top-level domain, `localhost`, or a bracketed IP literal.
//! Addresses are stored as given and compared in any case.

/// Django's `EmailField` max_length.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Whether `address` is one Django would store in an `EmailField`.
pub fn is_valid_email(address: &str) -> bool {
    if address.chars().count() > MAX_EMAIL_CHARS {
        return false;
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    is_dot_atom(local) && is_mail_domain(domain)
}

/// `john.smith`, `o'brien+tag`: atoms of RFC 5322's characters joined by
/// single dots.
fn is_dot_atom(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        })
}

fn is_mail_domain(domain: &str) -> bool {
    if domain == "localhost" {
        return true;
    }
    if let Some(literal) = domain
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        let literal = literal.strip_prefix("IPv6:").unwrap_or(literal);
        return literal.parse::<std::net::IpAddr>().is_ok();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, names)) = labels.split_last() else {
        return false;
    };
    !names.is_empty() && names.iter().all(|label| is_host_label(label)) && is_top_level(tld)
}

/// A label of letters (any script: internationalised names), digits and
/// inner hyphens, at most 63 characters.
fn is_host_label(label: &str) -> bool {
    let count = label.chars().count();
    (1..=63).contains(&count)
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

/// Two or more letters, or an `xn--` name: never all digits.
fn is_top_level(tld: &str) -> bool {
    is_host_label(tld)
        && tld.chars().count() >= 2
        && (tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"))
}

#[cfg(test)]
mod tests {
    use super::is_valid_email;

    #[test]
    fn addresses_django_accepts() {
        for address in [
            "alice@example.org",
            "Alice.Liddell+tea@Mail.Example.CO.UK",
            "o'brien@example.ie",
            "root@localhost",
            "ops@[192.0.2.1]",
            "ops@[IPv6:2001:db8::1]",
            "juergen@bücher.de",
            "user@xn--bcher-kva.xn--p1ai",
        ] {
            assert!(is_valid_email(address), "{address}");
        }
    }

    #[test]
    fn addresses_django_refuses() {
        let too_long = format!("{}@example.org", "a".repeat(250));
        for address in [
            "",
            "alice",
            "@example.org",
            "alice@",
            "alice@example",
            "alice@example.1",
            "alice..b@example.org",
            ".alice@example.org",
            "al ice@example.org",
            "alice@-example.org",
            "alice@exa_mple.org",
            "alice@[not-an-ip]",
            too_long.as_str(),
        ] {
            assert!(!is_valid_email(address), "{address:?}");
        }
    }
}
