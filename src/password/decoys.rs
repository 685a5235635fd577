//! What a login checks when there is no usable hash to check: a decoy that
//! costs what the name's hash would cost if it existed.
//!
//! One decoy of today's argon2id parameters is enough while every account
//! has such a hash. An import from Django changes that: until its owner's
//! first login, an account keeps Django's hash (PBKDF2 with a million
//! iterations costs several argon2id hashes), and a name whose login is
//! slow would be a name that exists. Wrapping the legacy hash would not
//! help (checking it still runs the PBKDF2 first), and no hash is cheaper
//! to check without the password.
//!
//! So unknown names are spread over the same costs as real accounts: the
//! server counts the accounts by *shape* (format and cost parameters, see
//! [`Shape`]) and checks an unknown name against a decoy of one shape,
//! chosen by a keyed hash of the name with the shapes' shares as weights.
//! A slow name is then as likely to be unknown as a slow real account is
//! likely to exist: timing says nothing about existence. The choice is
//! fixed per name (asking twice costs the same twice, as for a real
//! account) and, keyed by the secret, the same on every instance and
//! unpredictable to a caller.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use argon2::password_hash::phc::{Output, Salt};
use argon2::PasswordHash;
use base64::Engine as _;
use hmac::{KeyInit, Mac};

use super::django::{self, DjangoFormat};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The cost-bearing part of a usable stored hash: its format and
/// parameters, without salt or digest (`$argon2id$v=19$m=19456,t=2,p=1$`,
/// `pbkdf2_sha256$1000000$`, `bcrypt$$2b$12$`). Checking a password against
/// two hashes of one shape costs the same.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shape(String);

impl Shape {
    /// The shape of a hash a password can match (see
    /// [`super::usability`]); `None` for any other.
    pub fn of(stored: &str) -> Option<Self> {
        super::usability(stored).ok()?;
        match django::format_of(stored) {
            None => argon2_shape(stored).map(Self),
            Some(DjangoFormat::Argon2) => django::argon2_phc(stored)
                .and_then(argon2_shape)
                .map(|phc| Self(format!("argon2{phc}"))),
            Some(DjangoFormat::Pbkdf2Sha256) => {
                let iterations = stored.split('$').nth(1)?;
                Some(Self(format!("pbkdf2_sha256${iterations}$")))
            }
            Some(DjangoFormat::BcryptSha256 | DjangoFormat::Bcrypt) => {
                // `<name>$$2b$<cost>$<salt and digest>`: all but the last part.
                let end = stored.rfind('$')?;
                Some(Self(stored[..=end].to_owned()))
            }
        }
    }

    /// The text every hash of this shape starts with.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The format's name, as the metrics label checks with it.
    pub fn format(&self) -> &'static str {
        format_label(&self.0)
    }

    /// A hash of this shape that no password matches (random salt and
    /// digest), whose check runs the full cost. bcrypt's salt must decode,
    /// so its decoy is a real hash of a random password: made on the
    /// caller's thread, up to a second at the highest cost allowed.
    fn decoy(&self) -> Option<String> {
        let shape = &self.0;
        let hash = if shape.starts_with('$') || shape.starts_with("argon2$") {
            let salt = Salt::generate();
            let digest = Output::new(&random::<32>()).ok()?;
            format!("{shape}{salt}${digest}")
        } else if shape.starts_with("pbkdf2_sha256$") {
            // Django's salts: 22 letters and digits.
            const ALPHABET: &[u8] =
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            let salt: String = random::<22>()
                .iter()
                .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
                .collect();
            let digest = base64::engine::general_purpose::STANDARD.encode(random::<32>());
            format!("{shape}{salt}${digest}")
        } else {
            // `<name>$$<version>$<cost>$`
            let (name, bcrypt) = shape.split_once("$$")?;
            let (version, cost) = bcrypt.trim_end_matches('$').split_once('$')?;
            let version = match version {
                "2a" => bcrypt::Version::TwoA,
                "2y" => bcrypt::Version::TwoY,
                _ => bcrypt::Version::TwoB,
            };
            let password = crate::core::hex::random_id();
            let parts =
                bcrypt::hash_with_salt(password, cost.parse().ok()?, random::<16>()).ok()?;
            format!("{name}${}", parts.format_for_version(version))
        };
        // A decoy that did not come out as its shape would cost something
        // else: better none (the caller keeps today's argon2id).
        (Self::of(&hash).as_ref() == Some(self)).then_some(hash)
    }
}

/// `$<algorithm>[$v=<version>]$<parameters>$` of a PHC string.
fn argon2_shape(phc: &str) -> Option<String> {
    let hash = PasswordHash::new(phc).ok()?;
    let version = hash
        .version
        .map(|version| format!("$v={version}"))
        .unwrap_or_default();
    Some(format!("${}{version}${}$", hash.algorithm, hash.params))
}

/// Which format a stored hash is checked as, by its prefix alone (the
/// label of a password check; the hash is parsed once, by the check).
pub(super) fn format_label(stored: &str) -> &'static str {
    const LABELS: [(&str, &str); 4] = [
        ("argon2$", "django_argon2"),
        ("pbkdf2_sha256$", "pbkdf2_sha256"),
        ("bcrypt_sha256$", "bcrypt_sha256"),
        ("bcrypt$", "bcrypt"),
    ];
    LABELS
        .iter()
        .find(|(prefix, _)| stored.starts_with(prefix))
        .map_or("argon2", |(_, label)| label)
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS gives random bytes");
    bytes
}

/// How many accounts have each shape: what [`Decoys::refresh`] weighs by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Accounts of each shape (accounts whose hash has none, such as
    /// imported ones without a usable password, are not counted: their
    /// logins take a decoy like unknown names).
    pub shapes: BTreeMap<Shape, u64>,
}

impl Census {
    /// Counts `hashes`, a sample of the accounts whose hash is not of
    /// `current`'s shape, scaled to `others` such accounts, beside
    /// `current` accounts of today's shape.
    pub fn from_sample<'a>(
        current: (&Shape, u64),
        others: u64,
        sample: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut seen: BTreeMap<Shape, u64> = BTreeMap::new();
        let mut sampled = 0u64;
        for hash in sample {
            sampled += 1;
            if let Some(shape) = Shape::of(hash) {
                *seen.entry(shape).or_default() += 1;
            }
        }
        let mut shapes: BTreeMap<Shape, u64> = seen
            .into_iter()
            .map(|(shape, count)| {
                let scaled = u128::from(count) * u128::from(others) / u128::from(sampled.max(1));
                (shape, u64::try_from(scaled).unwrap_or(u64::MAX).max(1))
            })
            .collect();
        *shapes.entry(current.0.clone()).or_default() += current.1;
        Self { shapes }
    }
}

/// One decoy hash and the share of unknown names it answers for.
#[derive(Debug)]
struct Decoy {
    shape: Shape,
    hash: Arc<str>,
    /// The end (exclusive) of this decoy's range of weights.
    until: u64,
}

/// The decoys in force, replaced whole by [`Decoys::refresh`].
#[derive(Debug)]
struct Mix {
    decoys: Vec<Decoy>,
    total: u64,
}

/// Decoys for the hasher: today's argon2id alone until a census says
/// otherwise.
#[derive(Debug)]
pub(super) struct Decoys {
    key: [u8; 32],
    mix: RwLock<Arc<Mix>>,
}

impl Decoys {
    /// `current` is a real hash with today's parameters; `key` chooses
    /// among the shapes (the same key on every instance keeps a name's
    /// cost the same on all of them).
    pub(super) fn new(current: &str, key: [u8; 32]) -> Self {
        let shape = Shape::of(current).expect("a hash made with valid parameters has a shape");
        let mix = Mix {
            decoys: vec![Decoy {
                shape,
                hash: current.into(),
                until: 1,
            }],
            total: 1,
        };
        Self {
            key,
            mix: RwLock::new(Arc::new(mix)),
        }
    }

    pub(super) fn current_shape(&self) -> Shape {
        self.mix_now().decoys[0].shape.clone()
    }

    fn mix_now(&self) -> Arc<Mix> {
        Arc::clone(&self.mix.read().unwrap_or_else(|poison| poison.into_inner()))
    }

    /// The decoy for a login of `username` with nothing to check.
    pub(super) fn for_name(&self, username: &str) -> Arc<str> {
        let mix = self.mix_now();
        if mix.decoys.len() == 1 {
            return Arc::clone(&mix.decoys[0].hash);
        }
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(username.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let point = u64::from_be_bytes(first) % mix.total;
        let decoy = mix
            .decoys
            .iter()
            .find(|decoy| point < decoy.until)
            .unwrap_or(&mix.decoys[0]);
        Arc::clone(&decoy.hash)
    }

    /// Weighs the decoys by `census`. Shapes already in force keep their
    /// decoy; new ones get one made here (bcrypt's takes up to a second:
    /// call from a blocking thread). Today's shape stays first.
    pub(super) fn refresh(&self, census: &Census) {
        let old = self.mix_now();
        let current = &old.decoys[0];
        let mut decoys = Vec::with_capacity(census.shapes.len().max(1));
        let mut total = 0u64;
        let mut add = |shape: &Shape, hash: Arc<str>, weight: u64| {
            total = total.saturating_add(weight);
            decoys.push(Decoy {
                shape: shape.clone(),
                hash,
                until: total,
            });
        };
        let current_weight = census.shapes.get(&current.shape).copied().unwrap_or(0);
        // Today's shape always keeps a share: a database with no account
        // yet still answers unknown names at today's cost.
        add(
            &current.shape,
            Arc::clone(&current.hash),
            current_weight.max(1),
        );
        for (shape, &weight) in &census.shapes {
            if *shape == current.shape || weight == 0 {
                continue;
            }
            let known = old.decoys.iter().find(|decoy| decoy.shape == *shape);
            let hash = match known {
                Some(decoy) => Some(Arc::clone(&decoy.hash)),
                None => shape.decoy().map(Arc::from),
            };
            match hash {
                Some(hash) => add(shape, hash, weight),
                None => tracing::warn!(shape = shape.format(), "could not make a decoy hash"),
            }
        }
        let mix = Mix { decoys, total };
        *self
            .mix
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Arc::new(mix);
    }

    /// The formats in force and each one's share of unknown names, in
    /// thousandths (for the log and tests).
    pub(super) fn shares(&self) -> Vec<(Shape, u64)> {
        let mix = self.mix_now();
        let mut from = 0;
        mix.decoys
            .iter()
            .map(|decoy| {
                let share = (decoy.until - from) * 1000 / mix.total;
                from = decoy.until;
                (decoy.shape.clone(), share)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESSERA: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZxAhZH0T0R2W3x+7p0bJQ0bwpZhcvGbC/l4aXn+tNsE";
    // Made by Django 5.2's own hashers (server/tests/fixtures/django/).
    const PBKDF2: &str =
        "pbkdf2_sha256$1000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=";
    const BCRYPT_SHA256: &str =
        "bcrypt_sha256$$2b$12$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK";
    const DJANGO_ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$QXRWOHRTeVBhRUNMczRWWDV6eWswRQ$qQf6lcQS4EUYMjte/A3F+NzpJ+Nraq8Y5GmRxMu2ZHk";

    #[test]
    fn a_shape_is_the_format_and_cost_without_salt_or_digest() {
        let shape = |stored| Shape::of(stored).map(|shape| shape.0);
        assert_eq!(
            shape(TESSERA).as_deref(),
            Some("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert_eq!(shape(PBKDF2).as_deref(), Some("pbkdf2_sha256$1000000$"));
        assert_eq!(
            shape(BCRYPT_SHA256).as_deref(),
            Some("bcrypt_sha256$$2b$12$")
        );
        assert_eq!(
            shape(DJANGO_ARGON2).as_deref(),
            Some("argon2$argon2id$v=19$m=102400,t=2,p=8$")
        );
        for unusable in [
            "!I9Wd26FhU3JRzFZC3tgt5WxiCGPbTyIe7q30M5U9",
            "md5$4JwAvba1i0ExkL7MCdrieq$3ae11b13ad4e38197553bd2a4c9858fa",
            "pbkdf2_sha256$4000000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=",
            "",
        ] {
            assert_eq!(shape(unusable), None, "{unusable}");
        }
    }

    #[test]
    fn every_shape_has_a_decoy_of_its_own_shape() {
        let bcrypt_low = "bcrypt$$2b$04$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK";
        for stored in [TESSERA, PBKDF2, DJANGO_ARGON2, bcrypt_low] {
            let shape = Shape::of(stored).unwrap();
            let decoy = shape.decoy().unwrap();
            assert_eq!(Shape::of(&decoy).as_ref(), Some(&shape), "{decoy}");
            assert_ne!(decoy, stored);
            assert_ne!(shape.decoy().unwrap(), decoy, "salts are random");
        }
    }

    #[test]
    fn unknown_names_take_the_shapes_in_their_shares_and_keep_their_choice() {
        let current = Shape::of(TESSERA).unwrap();
        let decoys = Decoys::new(TESSERA, [7; 32]);
        assert_eq!(decoys.for_name("anyone").as_ref(), TESSERA);
        // Accounts without a usable hash are not counted: half of the
        // sample is such, so half of the 10 other accounts.
        let census = Census::from_sample((&current, 0), 10, [PBKDF2, "!unusable"]);
        assert_eq!(census.shapes.values().copied().collect::<Vec<_>>(), [0, 5]);
        // A quarter of the accounts still have Django's PBKDF2 hash.
        let census = Census::from_sample((&current, 300), 100, [PBKDF2]);
        assert_eq!(census.shapes.values().sum::<u64>(), 400);
        decoys.refresh(&census);
        let slow = (0..4000)
            .filter(|n| decoys.for_name(&format!("name-{n}")).starts_with("pbkdf2"))
            .count();
        assert!((800..1200).contains(&slow), "{slow} of 4000");
        let picked = decoys.for_name("someone");
        assert_eq!(decoys.for_name("someone"), picked);
        // Another census keeps the decoys of shapes it still counts.
        let pbkdf2_decoy = (0..)
            .map(|n| decoys.for_name(&format!("name-{n}")))
            .find(|hash| hash.starts_with("pbkdf2"))
            .unwrap();
        decoys.refresh(&Census::from_sample((&current, 1), 1, [PBKDF2]));
        let shares = decoys.shares();
        assert_eq!(shares.len(), 2);
        assert_eq!(shares[1].1, 500);
        assert!((0..100)
            .map(|n| decoys.for_name(&format!("name-{n}")))
            .any(|hash| hash == pbkdf2_decoy));
        // Once nobody has the old shape, every name costs today's hash.
        decoys.refresh(&Census::from_sample((&current, 5), 0, []));
        assert!((0..100).all(|n| decoys.for_name(&format!("name-{n}")).as_ref() == TESSERA));
    }

    #[test]
    fn the_choice_depends_on_the_key() {
        let current = Shape::of(TESSERA).unwrap();
        let census = Census::from_sample((&current, 1), 1, [PBKDF2]);
        let one = Decoys::new(TESSERA, [1; 32]);
        let two = Decoys::new(TESSERA, [2; 32]);
        one.refresh(&census);
        two.refresh(&census);
        let picks = |decoys: &Decoys| -> Vec<bool> {
            (0..64)
                .map(|n| decoys.for_name(&format!("n{n}")).starts_with("pbkdf2"))
                .collect()
        };
        assert_ne!(picks(&one), picks(&two));
    }
}
