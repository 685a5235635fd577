use super::*;
use argon2::PasswordHasher as _;

fn weak() -> Params {
    Params::new(8 * 1024, 1, 1, None).unwrap()
}

#[tokio::test]
async fn hashes_with_argon2id_and_owasp_parameters() {
    let hasher = PasswordHasher::owasp(2);
    let hash = hasher.hash("correct horse").await.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(
        hasher
            .verify("correct horse", Some(&hash), "someone")
            .await
            .unwrap(),
        Verdict::Valid { rehash: None }
    );
    assert_eq!(
        hasher
            .verify("wrong", Some(&hash), "someone")
            .await
            .unwrap(),
        Verdict::Invalid
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn hashing_runs_at_the_lowest_priority_and_leaves_the_caller_alone() {
    fn own_niceness() -> i32 {
        // SAFETY: system calls about the calling thread, no pointers.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }
    let before = own_niceness();
    let hasher = PasswordHasher::owasp(1);
    let on_hasher = hasher
        .reserve()
        .unwrap()
        .run(|_| own_niceness())
        .await
        .unwrap();
    assert_eq!(on_hasher, HASHER_NICENESS);
    assert_eq!(
        own_niceness(),
        before,
        "only the hasher threads are lowered"
    );
}

#[tokio::test]
async fn hashes_made_by_the_argon2_crate_itself_verify() {
    let reference = Argon2::default().hash_password(b"pw").unwrap().to_string();
    let hasher = PasswordHasher::owasp(1);
    assert_eq!(
        hasher
            .verify("pw", Some(&reference), "someone")
            .await
            .unwrap(),
        Verdict::Valid { rehash: None }
    );
    assert_eq!(
        hasher
            .verify("pW", Some(&reference), "someone")
            .await
            .unwrap(),
        Verdict::Invalid
    );
}

#[tokio::test]
async fn an_unknown_user_never_verifies_even_with_the_decoy_password() {
    let hasher = PasswordHasher::with_params(weak(), 1);
    assert_eq!(
        hasher.verify("", None, "someone").await.unwrap(),
        Verdict::Invalid
    );
    assert_eq!(
        hasher.verify("anything", None, "someone").await.unwrap(),
        Verdict::Invalid
    );
}

#[tokio::test]
async fn a_hash_with_outdated_parameters_is_rehashed_on_success() {
    let old = PasswordHasher::with_params(weak(), 1)
        .hash("pw")
        .await
        .unwrap();
    let current = PasswordHasher::owasp(1);
    match current.verify("pw", Some(&old), "someone").await.unwrap() {
        Verdict::Valid { rehash: Some(new) } => {
            assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
            assert_eq!(
                current.verify("pw", Some(&new), "someone").await.unwrap(),
                Verdict::Valid { rehash: None }
            );
        }
        other => panic!("expected a rehash, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_stored_hash_is_simply_wrong() {
    let hasher = PasswordHasher::with_params(weak(), 1);
    assert_eq!(
        hasher
            .verify("pw", Some("not a hash"), "someone")
            .await
            .unwrap(),
        Verdict::Invalid
    );
}

#[tokio::test]
async fn past_the_queue_limit_a_request_is_refused_at_once() {
    let hasher = PasswordHasher::bounded(weak(), 1, 1);
    let first = hasher.reserve().unwrap();
    let second = hasher.reserve().unwrap();
    assert!(matches!(hasher.reserve(), Err(PasswordError::Busy)));
    assert_eq!(hasher.stats().refused, 1);
    // Places come back when the jobs are done.
    first.hash("a").await.unwrap();
    second.hash("b").await.unwrap();
    assert!(hasher.reserve().is_ok());
}

#[tokio::test]
async fn a_job_whose_caller_went_away_is_never_hashed() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let hasher = PasswordHasher::bounded(weak(), 1, 8);
    // Hold the only hashing thread with a job of our own, and know (not
    // guess) when the thread has taken it.
    let (taken, thread_is_busy) = tokio::sync::oneshot::channel::<()>();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    hasher
        .jobs
        .send(Box::new(move |_blocks| {
            let _ = taken.send(());
            let _ = gate.recv();
        }))
        .unwrap();
    thread_is_busy.await.unwrap();
    // Five callers queue behind it and give up: each future is polled once
    // (which queues its job), then dropped.
    for _ in 0..5 {
        let waiting = std::pin::pin!(hasher.hash("abandoned"));
        let polled = waiting.poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(polled, Poll::Pending));
    }
    release.send(()).unwrap();
    // The thread takes jobs in order: these five come before this one.
    hasher.hash("after").await.unwrap();
    let stats = hasher.stats();
    assert_eq!((stats.computed, stats.abandoned), (1, 5));
}
