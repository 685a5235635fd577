//! Microbenchmarks of the token paths: `cargo bench`.
//!
//! Run `cargo bench --bench tokens` and compare the figures side by side:
//! minting and verifying are microseconds, argon2 is milliseconds, and
//! `authenticate` (what every protected request pays) should cost about what
//! `verify` costs, since the revocation check is in memory.

use criterion::{criterion_group, criterion_main, Criterion};
use std::future::Future;
use std::hint::black_box;
use tessera::bench::{PasswordHasher, TokenCodec, TokenSpec, TokenType};
use tessera::{Clock, Settings, Store, SystemClock, Tessera};

const KEY: &[u8] = b"benchmark-key-benchmark-key-benchmark-key-0123456789";
/// Long enough for every algorithm (HS512 needs 64 bytes).
const LONG_KEY: &[u8] = b"benchmark-key-benchmark-key-benchmark-key-benchmark-key-0123456789";

fn spec(now: i64) -> TokenSpec<'static> {
    TokenSpec {
        token_type: TokenType::Access,
        user_id: 1,
        session_id: "0123456789abcdef0123456789abcdef",
        iat: now,
        exp: now + 300,
        jti: None,
        bound_to: None,
    }
}

fn tokens(c: &mut Criterion) {
    let codec = TokenCodec::new(KEY, 0, None, None).unwrap();
    let now = SystemClock.now();
    let token = codec.mint(&spec(now)).token;

    c.bench_function("token_mint_access", |b| {
        b.iter(|| codec.mint(black_box(&spec(now))))
    });
    c.bench_function("token_verify_access", |b| {
        b.iter(|| {
            codec
                .verify(black_box(&token), Some(TokenType::Access), now)
                .unwrap()
        })
    });

    // The full check of a protected route: signature, claims, session and
    // user standing (in memory).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tessera-bench-{}", std::process::id()));
    let (tessera, access) = runtime.block_on(async {
        let settings = Settings {
            secret_key: Some(String::from_utf8(KEY.to_vec()).unwrap()),
            ..Settings::default()
        };
        let store = Store::open(&format!("sqlite://{}/bench.db", dir.display()))
            .await
            .unwrap();
        let tessera = Tessera::start(&settings, store).await.unwrap();
        tessera
            .accounts
            .create_user("bench", "benchmark password")
            .await
            .unwrap();
        let pair = tessera
            .sessions
            .login("bench", "benchmark password", tessera::Client::default())
            .await
            .unwrap();
        (tessera, pair.access)
    });
    c.bench_function("authenticate_access", |b| {
        // No await point is reached for a user the registry holds: polling
        // once completes it, with no runtime in the measurement.
        b.iter(|| {
            let check = std::pin::pin!(tessera.sessions.authenticate(black_box(&access)));
            match check.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
                std::task::Poll::Ready(outcome) => outcome.unwrap(),
                std::task::Poll::Pending => panic!("a held user's token waited"),
            }
        })
    });
    drop(runtime);
    let _ = std::fs::remove_dir_all(dir);
}

/// Minting and verifying with each algorithm, keys made as the server makes
/// them (stored in a SQLite database): `token_sign/ES256`, `token_verify/ES256`…
/// Verification is what a cold access token costs once (the verified-token
/// memo serves the next requests); signing is paid twice per login and refresh.
fn algorithms(c: &mut Criterion) {
    use tessera::bench::{KeyPolicy, Keys};
    use tessera::SigningAlgorithm;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = SystemClock.now();
    let mut sign = c.benchmark_group("token_sign");
    let mut codecs = Vec::new();
    for algorithm in SigningAlgorithm::ALL {
        let dir =
            std::env::temp_dir().join(format!("tessera-bench-{}-{algorithm}", std::process::id()));
        let codec = runtime.block_on(async {
            let store = Store::open(&format!("sqlite://{}/keys.db", dir.display()))
                .await
                .unwrap();
            let policy = KeyPolicy {
                algorithm,
                publication_delay: 0,
                rotation_interval: None,
                adopt_on_start: true,
                verify_after_retirement: 86_400,
            };
            let keys = Keys::start(policy, LONG_KEY.to_vec(), Vec::new(), &store, now)
                .await
                .unwrap();
            TokenCodec::with_keys(keys.ring(), 0, None, None)
        });
        let _ = std::fs::remove_dir_all(dir);
        sign.bench_function(algorithm.name(), |b| {
            b.iter(|| codec.mint(black_box(&spec(now))))
        });
        codecs.push((algorithm, codec));
    }
    sign.finish();
    let mut verify = c.benchmark_group("token_verify");
    for (algorithm, codec) in &codecs {
        let token = codec.mint(&spec(now)).token;
        verify.bench_function(algorithm.name(), |b| {
            b.iter(|| {
                codec
                    .verify(black_box(&token), Some(TokenType::Access), now)
                    .unwrap()
            })
        });
    }
    verify.finish();
}

fn passwords(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let hasher = PasswordHasher::owasp(1);
    let hash = runtime.block_on(hasher.hash("benchmark password")).unwrap();
    let mut group = c.benchmark_group("argon2id_owasp");
    group.sample_size(10);
    group.bench_function("hash", |b| {
        b.iter(|| {
            runtime
                .block_on(hasher.hash(black_box("benchmark password")))
                .unwrap()
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            runtime
                .block_on(hasher.verify(black_box("benchmark password"), Some(&hash), "bench"))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, tokens, algorithms, passwords);
criterion_main!(benches);
