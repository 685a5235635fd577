//! The most a stored hash may ask for. A hash's cost parameters are input
//! (an imported dumpdata, CSV, or a tampered database), and checking a
//! password runs them: argon2 with `m=4294967295` would allocate 4 TiB,
//! PBKDF2 with 4·10^9 iterations or bcrypt cost 31 would hold a hasher
//! thread for hours. A hash beyond these bounds is unusable: reported at
//! import, and answered as a wrong password (at the decoy's cost) at login.
//!
//! The bounds are several times what Django, OWASP and the argon2 RFC
//! recommend, so no real account is refused.

use argon2::{Params, PasswordHash};

use super::Unusable;

/// Argon2 memory, in KiB: 256 MiB (Django uses 100 MiB, OWASP 19 MiB).
pub const ARGON2_MAX_MEMORY_KIB: u32 = 256 * 1024;
/// Argon2 passes (Django 2, OWASP 2, RFC 9106's second choice 3).
pub const ARGON2_MAX_PASSES: u32 = 16;
/// Argon2 lanes (Django 8).
pub const ARGON2_MAX_LANES: u32 = 16;
/// PBKDF2-SHA256 iterations: twice Django 6.0's 1 200 000.
pub const PBKDF2_MAX_ITERATIONS: u32 = 2_400_000;
/// bcrypt cost (Django 12; each step doubles the work).
pub const BCRYPT_MAX_COST: u32 = 14;

fn beyond(
    parameter: &str,
    value: impl std::fmt::Display,
    most: impl std::fmt::Display,
) -> Unusable {
    Unusable::OutOfBounds(format!("{parameter}={value} (at most {most})"))
}

/// An argon2 PHC string's parameters within bounds. Other PHC algorithms
/// are not checked at all (they never match), so they cost nothing.
pub fn argon2(hash: &PasswordHash) -> Result<(), Unusable> {
    if !hash.algorithm.as_str().starts_with("argon2") {
        return Ok(());
    }
    let Ok(params) = Params::try_from(hash) else {
        return Ok(()); // unparsable parameters never match either
    };
    if params.m_cost() > ARGON2_MAX_MEMORY_KIB {
        return Err(beyond("m", params.m_cost(), ARGON2_MAX_MEMORY_KIB));
    }
    if params.t_cost() > ARGON2_MAX_PASSES {
        return Err(beyond("t", params.t_cost(), ARGON2_MAX_PASSES));
    }
    if params.p_cost() > ARGON2_MAX_LANES {
        return Err(beyond("p", params.p_cost(), ARGON2_MAX_LANES));
    }
    Ok(())
}

pub fn pbkdf2_iterations(iterations: u32) -> Result<(), Unusable> {
    if iterations > PBKDF2_MAX_ITERATIONS {
        return Err(beyond("iterations", iterations, PBKDF2_MAX_ITERATIONS));
    }
    Ok(())
}

pub fn bcrypt_cost(cost: u32) -> Result<(), Unusable> {
    if cost > BCRYPT_MAX_COST {
        return Err(beyond("cost", cost, BCRYPT_MAX_COST));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::usability;
    use super::*;

    #[test]
    fn real_hashes_are_within_bounds() {
        for stored in [
            // Django 5.2's argon2 (100 MiB, t=2, p=8), PBKDF2 1 000 000, bcrypt 12.
            "argon2$argon2id$v=19$m=102400,t=2,p=8$QXRWOHRTeVBhRUNMczRWWDV6eWswRQ$qQf6lcQS4EUYMjte/A3F+NzpJ+Nraq8Y5GmRxMu2ZHk",
            "pbkdf2_sha256$1000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=",
            "bcrypt_sha256$$2b$12$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$9jcbKQn3uS2aN0lCB0uBYtKRWvXJcz0Nev3hzvd0Kt0",
        ] {
            assert_eq!(usability(stored), Ok(()), "{stored}");
        }
    }

    #[test]
    fn hostile_parameters_are_unusable_and_say_which() {
        let cases = [
            ("$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$9jcbKQn3uS2aN0lCB0uBYtKRWvXJcz0Nev3hzvd0Kt0", "m=4294967295"),
            ("$argon2id$v=19$m=19456,t=4000000000,p=1$c2FsdHNhbHRzYWx0$9jcbKQn3uS2aN0lCB0uBYtKRWvXJcz0Nev3hzvd0Kt0", "t=4000000000"),
            ("argon2$argon2id$v=19$m=4194304,t=2,p=8$QXRWOHRTeVBhRUNMczRWWDV6eWswRQ$qQf6lcQS4EUYMjte/A3F+NzpJ+Nraq8Y5GmRxMu2ZHk", "m=4194304"),
            ("pbkdf2_sha256$4000000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=", "iterations=4000000000"),
            ("bcrypt_sha256$$2b$31$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK", "cost=31"),
            ("bcrypt$$2b$20$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK", "cost=20"),
        ];
        for (stored, what) in cases {
            match usability(stored) {
                Err(Unusable::OutOfBounds(why)) => assert!(why.starts_with(what), "{why}"),
                other => panic!("{stored}: {other:?}"),
            }
        }
    }
}
