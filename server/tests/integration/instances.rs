//! Three instances on one PostgreSQL database, each with the upkeep
//! `tessera serve` runs (change-log sync, LISTEN/NOTIFY), behind no load
//! balancer but the test, which spreads requests over all three: any
//! instance answers any request, and what happens on one holds on the others.
//!
//! - Rotation races across instances: parallel refreshes of one token have
//!   one winner (or, with an overlap window, every one gets the one successor).
//! - A logout, a deactivation and a password change made on one instance
//!   are refused on every instance.
//! - A user made on one instance logs in on another at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tessera::Settings;
use tessera::UpkeepTasks;

use crate::support::{
    access_refused, http::request, spawn_app_with, spawn_instance, str_field, Engine, Reply,
    TempDir, TestApp,
};

/// The instances here never poll in time: what arrives, was pushed
/// (bench/propagation.sh measures how fast).
const POLL_RARELY: Duration = Duration::from_secs(3600);

struct Cluster {
    instances: Vec<Arc<TestApp>>,
    _upkeep: Vec<UpkeepTasks>,
}

impl Cluster {
    async fn start(adjust: impl FnOnce(&mut Settings)) -> Self {
        let first = spawn_app_with(Engine::Postgres, |settings| {
            // Many refreshes and logins at once are the test, not an attack.
            settings.throttle.free_failures = 100_000;
            settings.throttle.address_failures = 100_000;
            adjust(settings);
        })
        .await;
        let mut instances = vec![Arc::new(first)];
        for _ in 1..3 {
            let first = &instances[0];
            let other = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
            instances.push(Arc::new(other));
        }
        let _upkeep = instances
            .iter()
            .map(|instance| instance.tessera.upkeep.spawn(POLL_RARELY))
            .collect();
        Self { instances, _upkeep }
    }

    fn any(&self, i: usize) -> &Arc<TestApp> {
        &self.instances[i % self.instances.len()]
    }

    /// Waits until every instance answers `/hello/` for `access` with
    /// `status`; fails past the bound. Returns the longest wait.
    async fn everywhere(&self, access: &str, status: u16, what: &str) -> Duration {
        let started = Instant::now();
        for (i, instance) in self.instances.iter().enumerate() {
            let what = format!("{what}, on instance {i}");
            instance.hello_until(access, status, &what).await;
        }
        started.elapsed()
    }
}

fn bearer(access: &str) -> String {
    format!("Bearer {access}")
}

async fn change_password(app: &TestApp, access: &str, old: &str, new: &str) -> Reply {
    let body = serde_json::json!({ "old_password": old, "new_password": new }).to_string();
    let auth = bearer(access);
    app.send(request(
        "POST",
        "/api/password/change/",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    ))
    .await
}

/// Refreshes `refresh` `count` times at once, spread over the instances.
async fn parallel_refreshes(cluster: &Cluster, refresh: &str, count: usize) -> Vec<Reply> {
    let attempts: Vec<_> = (0..count)
        .map(|i| {
            let (instance, refresh) = (cluster.any(i).clone(), refresh.to_owned());
            tokio::spawn(async move { instance.refresh(&refresh).await })
        })
        .collect();
    let mut replies = Vec::new();
    for attempt in attempts {
        replies.push(attempt.await.unwrap());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshes_spread_over_three_instances_have_one_winner() {
    let cluster = Cluster::start(|_| {}).await;
    cluster.any(0).add_user("alice", "alice-password").await;
    for round in 0..3 {
        let (access, refresh) = cluster.any(round).tokens("alice", "alice-password").await;
        let replies = parallel_refreshes(&cluster, &refresh, 21).await;
        let winners: Vec<Value> = replies
            .iter()
            .filter(|reply| reply.status == 200)
            .map(Reply::json)
            .collect();
        for reply in replies.iter().filter(|reply| reply.status != 200) {
            assert_eq!(
                (reply.status, reply.text().as_str()),
                (
                    401,
                    r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
                )
            );
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one refresh may win"
        );
        // The losers were reuses: the family is revoked on every instance,
        // the winner's tokens included.
        let winner_refresh = str_field(&winners[0], "refresh");
        let winner_access = str_field(&winners[0], "access");
        for instance in &cluster.instances {
            assert_eq!(instance.refresh(&winner_refresh).await.status, 401);
        }
        cluster
            .everywhere(&access, 401, "the first access token")
            .await;
        cluster
            .everywhere(&winner_access, 401, "the winner's access token")
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_an_overlap_window_every_instance_answers_the_one_successor() {
    let cluster = Cluster::start(|settings| {
        settings.rotation_overlap = Duration::from_secs(10);
    })
    .await;
    cluster.any(0).add_user("alice", "alice-password").await;
    let (_, refresh) = cluster.any(1).tokens("alice", "alice-password").await;
    let replies = parallel_refreshes(&cluster, &refresh, 21).await;
    let mut successors = HashSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text());
        successors.insert(str_field(&reply.json(), "refresh"));
    }
    assert_eq!(successors.len(), 1, "one successor, no second branch");
    // The successor works on every instance, once: it rotates in turn.
    let successor = successors.into_iter().next().unwrap();
    let next = cluster.any(2).refresh(&successor).await;
    assert_eq!(next.status, 200, "{}", next.text());
    cluster
        .everywhere(
            &str_field(&next.json(), "access"),
            200,
            "the next access token",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_on_one_instance_is_refused_on_every_instance() {
    let cluster = Cluster::start(|_| {}).await;
    cluster.any(0).add_user("alice", "alice-password").await;
    for i in 0..3 {
        let (access, refresh) = cluster.any(i).tokens("alice", "alice-password").await;
        cluster.everywhere(&access, 200, "a fresh token").await;
        assert_eq!(cluster.any(i + 1).blacklist(&refresh).await.status, 200);
        let took = cluster
            .everywhere(&access, 401, "the logged-out token")
            .await;
        eprintln!(
            "logout on instance {} refused everywhere after {took:?}",
            (i + 1) % 3
        );
        let refused = cluster.any(i + 2).hello(&access).await;
        assert_eq!(refused.text(), access_refused("Token is blacklisted"));
        for instance in &cluster.instances {
            assert_eq!(instance.refresh(&refresh).await.status, 401);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deactivation_on_one_instance_is_refused_on_every_instance() {
    let cluster = Cluster::start(|_| {}).await;
    cluster.any(0).add_user("alice", "alice-password").await;
    let (access, refresh) = cluster.any(1).tokens("alice", "alice-password").await;
    cluster.everywhere(&access, 200, "a fresh token").await;

    // `tessera user deactivate alice`, run against instance 2's core.
    cluster
        .any(2)
        .tessera
        .accounts
        .set_active("alice", false)
        .await
        .unwrap();
    cluster
        .everywhere(&access, 401, "a deactivated user's token")
        .await;
    for instance in &cluster.instances {
        assert_eq!(instance.refresh(&refresh).await.status, 401);
        assert_eq!(instance.login("alice", "alice-password").await.status, 401);
    }

    // Reactivated on another instance: logins work everywhere again.
    cluster
        .any(0)
        .tessera
        .accounts
        .set_active("alice", true)
        .await
        .unwrap();
    for instance in &cluster.instances {
        let (access, _) = instance.tokens("alice", "alice-password").await;
        cluster
            .everywhere(&access, 200, "a reactivated user's token")
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_on_one_instance_signs_the_other_devices_out_everywhere() {
    let cluster = Cluster::start(|_| {}).await;
    cluster.any(0).add_user("alice", "alice-password").await;
    let (laptop, _) = cluster.any(0).tokens("alice", "alice-password").await;
    let (phone, phone_refresh) = cluster.any(1).tokens("alice", "alice-password").await;
    cluster.everywhere(&phone, 200, "the phone's token").await;

    // On the laptop, through instance 2: every old token goes, the laptop
    // carries on in the new session the answer starts.
    let reply = change_password(cluster.any(2), &laptop, "alice-password", "a-new-password").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    cluster.everywhere(&phone, 401, "the phone's token").await;
    cluster
        .everywhere(&laptop, 401, "the laptop's old token")
        .await;
    let laptop = reply.json()["access"].as_str().unwrap().to_owned();
    cluster
        .everywhere(&laptop, 200, "the laptop's new token")
        .await;
    for instance in &cluster.instances {
        assert_eq!(instance.refresh(&phone_refresh).await.status, 401);
        assert_eq!(instance.login("alice", "alice-password").await.status, 401);
    }
    let (access, _) = cluster.any(1).tokens("alice", "a-new-password").await;
    cluster
        .everywhere(&access, 200, "a token of the new password")
        .await;

    // `tessera user passwd alice`, through instance 1's core: every session ends.
    cluster
        .any(1)
        .tessera
        .accounts
        .set_password("alice", "an-admin-password")
        .await
        .unwrap();
    cluster
        .everywhere(&laptop, 401, "the laptop's token after passwd")
        .await;
    cluster
        .everywhere(&access, 401, "the last token after passwd")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_made_on_one_instance_logs_in_on_the_others_at_once() {
    let cluster = Cluster::start(|_| {}).await;
    for (i, name) in ["bob", "carol", "dave"].into_iter().enumerate() {
        cluster.any(i).add_user(name, "their-password").await;
        // No wait: each other instance logs the user in and serves the
        // token right away.
        for other in [i + 1, i + 2] {
            let instance = cluster.any(other);
            let (access, _) = instance.tokens(name, "their-password").await;
            let hello = instance.hello(&access).await;
            assert_eq!(
                hello.status,
                200,
                "{name} on instance {}: {}",
                other % 3,
                hello.text()
            );
        }
    }
}
