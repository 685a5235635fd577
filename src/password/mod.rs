//! Password hashing: argon2id with OWASP's parameters, on a small pool of
//! dedicated threads.
//!
//! Each hasher thread keeps its 19 MiB argon2 work area once allocated.
//! Hashing on tokio's blocking pool instead allocates and frees that area on
//! whichever thread runs the job, and glibc keeps the freed memory in one
//! arena per thread: under a login flood the process grew past 500 MB. With
//! dedicated threads memory stays at threads × 19 MiB, the number of hashes at
//! once is bounded by construction, and logins never occupy the blocking pool
//! that the rest of the server uses.
//!
//! The work is bounded: at most `threads + queue_limit` hashes are running
//! or waiting; past that a request is refused at once ([`PasswordError::Busy`],
//! which the API answers 503 with `Retry-After`) instead of queueing behind a
//! flood. A job whose caller has gone away (client disconnected, request timed
//! out) is dropped before it is hashed.
//!
//! The hasher threads also run at the lowest scheduling priority (nice
//! `HASHER_NICENESS`): a hash is a 20 ms burst of pure CPU, and at equal
//! priority a login flood made every other request wait for its share of a
//! core behind it. Lowered, the hashers still use every core left idle, so
//! login throughput is unchanged when nothing else runs.

pub mod bounds;
pub mod decoys;
pub mod django;
pub mod rules;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

use decoys::Decoys;
pub use decoys::{Census, Shape};

/// Longer passwords are refused before hashing (argon2 would hash megabytes
/// happily, which makes a cheap denial of service).
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hasher has stopped")]
    Stopped,
    /// Every hasher is busy and the queue is full: try again shortly.
    #[error("the password hasher is busy")]
    Busy,
}

/// Hashes waiting beyond the running ones, by default: with two cores at
/// about 20 ms a hash, the last of them waits a third of a second.
pub const DEFAULT_QUEUE_LIMIT: usize = 32;

/// What the hasher has done since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HasherStats {
    /// Jobs run (hashes or verifications).
    pub computed: u64,
    /// Jobs dropped unrun because their caller had gone away.
    pub abandoned: u64,
    /// Requests refused because the queue was full.
    pub refused: u64,
    /// Jobs running or waiting right now.
    pub in_flight: u64,
    /// Password checks by the format of the hash checked (decoys
    /// included, as their format), in [`CHECKED_FORMATS`]' order.
    pub checks: [u64; CHECKED_FORMATS.len()],
}

/// The formats a password check can run, as metrics label them: today's
/// argon2 and Django's four.
pub const CHECKED_FORMATS: [&str; 5] = [
    "argon2",
    "django_argon2",
    "pbkdf2_sha256",
    "bcrypt_sha256",
    "bcrypt",
];

#[derive(Debug, Default)]
struct Counters {
    computed: AtomicU64,
    abandoned: AtomicU64,
    refused: AtomicU64,
    checks: [AtomicU64; CHECKED_FORMATS.len()],
}

impl Counters {
    fn checked(&self, stored: &str) {
        let label = decoys::format_label(stored);
        let index = CHECKED_FORMATS
            .iter()
            .position(|format| *format == label)
            .unwrap_or(0);
        self.checks[index].fetch_add(1, Ordering::Relaxed);
    }
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Right password; `rehash` holds a new hash when the stored one used
    /// weaker parameters than today's.
    Valid {
        rehash: Option<String>,
    },
    Invalid,
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// One permit per job running or waiting.
    slots: Arc<Semaphore>,
    /// How many permits `slots` started with.
    capacity: usize,
    counters: Arc<Counters>,
    /// What a login with no usable hash checks instead, so that an unknown
    /// name costs what an account's wrong password costs (see [`decoys`]).
    decoys: Arc<Decoys>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// OWASP's baseline for argon2id: 19 MiB, two passes, one lane
    /// (RustCrypto's defaults).
    #[cfg(any(test, feature = "bench"))]
    pub fn owasp(threads: usize) -> Self {
        Self::with_params(Params::default(), threads)
    }

    /// Starts `threads` hasher threads; they stop when the last clone of the
    /// hasher is dropped. Queues up to [`DEFAULT_QUEUE_LIMIT`] jobs.
    #[cfg(any(test, feature = "bench"))]
    pub fn with_params(params: Params, threads: usize) -> Self {
        Self::bounded(params, threads, DEFAULT_QUEUE_LIMIT)
    }

    /// As [`PasswordHasher::with_params`], queueing at most `queue_limit`
    /// jobs beyond the `threads` running.
    pub fn bounded(params: Params, threads: usize, queue_limit: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || {
                    lower_own_priority();
                    // Allocated by the first job, then kept: an idle
                    // server holds no argon2 memory, a busy one exactly
                    // threads × m_cost.
                    let mut blocks = Vec::new();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut blocks),
                            Err(_) => return,
                        }
                    }
                })
                .expect("the OS can start a hasher thread");
        }
        let mut blocks = vec![Block::default(); params.block_count()];
        let decoy = crate::core::hex::random_id();
        let decoy_hash = hash_with(&params, decoy.as_bytes(), &mut blocks)
            .expect("hashing with valid parameters succeeds");
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS gives random bytes");
        Self {
            params,
            jobs,
            slots: Arc::new(Semaphore::new(threads + queue_limit)),
            capacity: threads + queue_limit,
            counters: Arc::default(),
            decoys: Arc::new(Decoys::new(&decoy_hash, key)),
        }
    }

    /// Chooses unknown names' decoys with `key` (derived from the secret,
    /// so that every instance makes the same choice for a name).
    #[must_use]
    pub fn with_decoy_key(mut self, key: [u8; 32]) -> Self {
        let current = self.decoys.for_name("");
        self.decoys = Arc::new(Decoys::new(&current, key));
        self
    }

    /// The shape of the hashes made today: accounts of any other shape
    /// are the ones a [`Census`] samples.
    pub fn current_shape(&self) -> Shape {
        self.decoys.current_shape()
    }

    /// Weighs unknown names' decoys by how many accounts have each shape.
    /// Making a decoy of a new bcrypt cost takes one bcrypt hash: done on
    /// tokio's blocking pool.
    /// `current` accounts have today's shape, `others` another, of which
    /// `sample` holds some hashes.
    pub async fn weigh_decoys(&self, current: u64, others: u64, sample: Vec<String>) {
        let decoys = Arc::clone(&self.decoys);
        let weighed = tokio::task::spawn_blocking(move || {
            let before = decoys.shares();
            let shape = decoys.current_shape();
            let census =
                Census::from_sample((&shape, current), others, sample.iter().map(String::as_str));
            decoys.refresh(&census);
            (before, decoys.shares())
        })
        .await;
        // Said once per change, not at every census.
        if let Ok((before, shares)) = weighed {
            if shares != before {
                let shares: Vec<String> = shares
                    .iter()
                    .map(|(shape, share)| format!("{} {}‰", shape.format(), share))
                    .collect();
                tracing::info!(
                    shares = %shares.join(", "),
                    "unknown names are checked against decoys of the stored hashes' costs"
                );
            }
        }
    }

    /// Each decoy's share of unknown names, in thousandths.
    pub fn decoy_shares(&self) -> Vec<(Shape, u64)> {
        self.decoys.shares()
    }

    /// A place in the queue, taken before any other work a request does for
    /// its hash (login counts the attempt against its throttle only once it
    /// holds one), or `Busy` at once.
    pub fn reserve(&self) -> Result<HashSlot, PasswordError> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => Ok(HashSlot {
                hasher: self.clone(),
                permit,
            }),
            Err(_) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                Err(PasswordError::Busy)
            }
        }
    }

    pub fn stats(&self) -> HasherStats {
        HasherStats {
            computed: self.counters.computed.load(Ordering::Relaxed),
            abandoned: self.counters.abandoned.load(Ordering::Relaxed),
            refused: self.counters.refused.load(Ordering::Relaxed),
            in_flight: (self.capacity - self.slots.available_permits()) as u64,
            checks: std::array::from_fn(|index| {
                self.counters.checks[index].load(Ordering::Relaxed)
            }),
        }
    }

    /// A new salted PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        self.reserve()?.hash(password).await
    }

    /// Checks `password` against `stored`, or against `username`'s decoy
    /// when there is no such user, so both paths take the same time.
    #[cfg(any(test, feature = "bench"))]
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
        username: &str,
    ) -> Result<Verdict, PasswordError> {
        self.reserve()?.verify(password, stored, username).await
    }
}

/// A reserved place in the hasher's queue: one hash or one verification.
pub struct HashSlot {
    hasher: PasswordHasher,
    permit: OwnedSemaphorePermit,
}

impl HashSlot {
    /// A new salted PHC string for `password`.
    pub async fn hash(self, password: &str) -> Result<String, PasswordError> {
        let params = self.hasher.params.clone();
        let password = password.to_owned();
        self.run(move |blocks| hash_with(&params, password.as_bytes(), blocks))
            .await?
    }

    /// Checks `password` against `stored`, or, when there is no such user
    /// or its hash lets nobody in, against the decoy the hasher keeps for
    /// `username`: every path costs what a wrong password would.
    pub async fn verify(
        self,
        password: &str,
        stored: Option<&str>,
        username: &str,
    ) -> Result<Verdict, PasswordError> {
        let password = password.to_owned();
        // A hash nobody can log in with (an imported Django account without
        // a usable password, or one whose parameters are out of bounds)
        // costs what a wrong password costs.
        let stored = stored.filter(|stored| match usability(stored) {
            Ok(()) => true,
            Err(why @ Unusable::OutOfBounds(_)) => {
                tracing::warn!(%why, "a stored password hash was refused unchecked");
                false
            }
            Err(_) => false,
        });
        let is_decoy = stored.is_none();
        let stored = stored.map_or_else(
            || self.hasher.decoys.for_name(username).to_string(),
            str::to_owned,
        );
        let params = self.hasher.params.clone();
        let counters = Arc::clone(&self.hasher.counters);
        self.run(move |blocks| {
            counters.checked(&stored);
            let matched = matches_stored(&stored, password.as_bytes(), blocks);
            release_oversized(blocks, &params);
            if !matched || is_decoy {
                return Ok(Verdict::Invalid);
            }
            let current = PasswordHash::new(&stored).is_ok_and(|hash| is_current(&hash, &params));
            let rehash = if current {
                None
            } else {
                Some(hash_with(&params, password.as_bytes(), blocks)?)
            };
            Ok(Verdict::Valid { rehash })
        })
        .await?
    }

    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let counters = Arc::clone(&self.hasher.counters);
        let permit = self.permit;
        let queued = std::time::Instant::now();
        let job: Job = Box::new(move |blocks| {
            // The caller's future was dropped (client gone, request timed
            // out): nobody would read the answer, so do not pay for it.
            if reply.is_closed() {
                counters.abandoned.fetch_add(1, Ordering::Relaxed);
                drop(permit);
            } else {
                crate::core::metrics::hasher_wait(queued.elapsed());
                let answer = work(blocks);
                // Counted and released before the caller hears back, so a
                // caller that then reads the stats or reserves again sees
                // its own job done.
                counters.computed.fetch_add(1, Ordering::Relaxed);
                drop(permit);
                let _ = reply.send(answer);
            }
        });
        self.hasher
            .jobs
            .send(job)
            .map_err(|_| PasswordError::Stopped)?;
        answer.await.map_err(|_| PasswordError::Stopped)
    }
}

/// How much hasher threads yield to the rest of the server. At nice 19 a
/// hasher weighs about 1/70 of a normal thread, so a request that wakes up
/// gets a core at once instead of after a slice of a hash (nice 0 and 10
/// gave a worse `/hello/` tail under logins, SCHED_IDLE no better: README,
/// Benchmarks); logins alone run as fast as before, since idle cores go to
/// the hashers all the same.
const HASHER_NICENESS: i32 = 19;

/// Lowers the calling thread's priority. Linux applies `setpriority` to a
/// single thread when given its thread id; lowering needs no privilege.
/// Elsewhere, and if it fails, the thread keeps the normal priority.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls about the calling thread, no pointers.
        let outcome = unsafe {
            let thread = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, HASHER_NICENESS)
        };
        if outcome != 0 {
            tracing::debug!("could not lower the password hasher's priority");
        }
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

/// Hashes into the caller's work area, growing it only for larger parameters.
fn hash_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    blocks: &mut Vec<Block>,
) -> Result<(), argon2::Error> {
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), Block::default());
    }
    argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..params.block_count()])
}

fn hash_with(
    params: &Params,
    password: &[u8],
    blocks: &mut Vec<Block>,
) -> Result<String, PasswordError> {
    let failed = |error: &dyn std::fmt::Display| PasswordError::Hash(error.to_string());
    let salt = Salt::generate();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(&argon2(params), params, password, &salt, &mut out, blocks)
        .map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13 as u32),
        params: ParamsString::try_from(params).map_err(|e| failed(&e))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Why a stored hash lets nobody in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Django's mark for "no password" (`!` and random characters).
    NoPassword,
    /// A format Tessera cannot check; holds its algorithm name (the text
    /// before the first `$`), never the hash.
    UnknownFormat(String),
    /// A known format whose cost parameters are beyond what any real
    /// deployment uses (see [`bounds`]): checking it would let one row pin
    /// a hasher thread for hours or allocate without limit. Holds which
    /// parameter and its value, never the hash.
    OutOfBounds(String),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoPassword => f.write_str("no usable password"),
            Self::UnknownFormat(algorithm) => write!(f, "unknown hash format {algorithm:?}"),
            Self::OutOfBounds(what) => write!(f, "hash parameters out of bounds: {what}"),
        }
    }
}

/// Whether a stored hash can ever match a password: Tessera's argon2 or one
/// of Django's formats (see [`django`]).
pub fn usability(stored: &str) -> Result<(), Unusable> {
    if let Ok(hash) = PasswordHash::new(stored) {
        return bounds::argon2(&hash);
    }
    if let Some(format) = django::format_of(stored) {
        return django::within_bounds(format, stored);
    }
    if stored.starts_with('!') {
        return Err(Unusable::NoPassword);
    }
    let algorithm = stored
        .split('$')
        .find(|part| !part.is_empty())
        .unwrap_or("");
    let algorithm: String = algorithm.chars().take(32).collect();
    Err(Unusable::UnknownFormat(algorithm))
}

/// Whether `password` produces `stored`, whichever format it is in.
fn matches_stored(stored: &str, password: &[u8], blocks: &mut Vec<Block>) -> bool {
    match django::format_of(stored) {
        None => matches_hash(stored, password, blocks),
        Some(django::DjangoFormat::Argon2) => {
            django::argon2_phc(stored).is_some_and(|phc| matches_hash(phc, password, blocks))
        }
        Some(format) => django::matches(format, stored, password),
    }
}

/// Gives back a work area grown past today's parameters by an old or
/// imported hash (Django's argon2 uses 100 MiB), so that one such login
/// does not leave a hasher thread holding it.
fn release_oversized(blocks: &mut Vec<Block>, params: &Params) {
    if blocks.len() > params.block_count() {
        blocks.truncate(params.block_count());
        blocks.shrink_to_fit();
    }
}

/// Whether `password` produces `stored` (any argon2 variant and parameters;
/// the comparison is constant-time).
fn matches_hash(stored: &str, password: &[u8], blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
        parsed.salt.as_ref(),
        parsed.hash.as_ref(),
    ) else {
        return false;
    };
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .unwrap_or(Version::V0x13);
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    if hash_into(&argon2, &params, password, salt, &mut out, blocks).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// Whether a stored hash already uses argon2id with today's parameters.
fn is_current(hash: &PasswordHash, params: &Params) -> bool {
    hash.algorithm == argon2::ARGON2ID_IDENT
        && hash.version == Some(Version::V0x13 as u32)
        && Params::try_from(hash).is_ok_and(|stored| {
            stored.m_cost() == params.m_cost()
                && stored.t_cost() == params.t_cost()
                && stored.p_cost() == params.p_cost()
        })
}

#[cfg(test)]
mod tests;
