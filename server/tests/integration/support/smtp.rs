//! A real SMTP server on loopback (`end2end/smtp/mailbox.mjs`, npm's
//! smtp-server, installed by `scripts/setup.sh --test`), and the mails it
//! received, read from its folder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{eventually, TempDir};

pub struct Mailbox {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
}

/// One mail as the server received it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The message, soft line breaks of quoted-printable undone.
    pub text: String,
    pub recipients: Vec<String>,
    /// What the client logged in with (`{"username","password"}`), if it did.
    pub login: Option<serde_json::Value>,
    /// Whether it came over TLS (smtps, or after STARTTLS).
    pub secure: bool,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/smtp/mailbox.mjs")
}

impl Mailbox {
    /// A mailbox on a free port.
    pub fn start() -> Self {
        Self::start_with(0, TempDir::new(), &[])
    }

    /// A mailbox that answers every mail with `code` (e.g. 550).
    pub fn refusing(code: u16) -> Self {
        Self::start_with(0, TempDir::new(), &["--refuse", &code.to_string()])
    }

    /// A mailbox speaking TLS with `key` and `cert` (PEM files): STARTTLS,
    /// or from the first byte when `implicit`.
    pub fn with_tls(key: &Path, cert: &Path, implicit: bool) -> Self {
        let (key, cert) = (key.display().to_string(), cert.display().to_string());
        let mut extra = vec!["--tls-key", key.as_str(), "--tls-cert", cert.as_str()];
        if implicit {
            extra.push("--implicit-tls");
        }
        Self::start_with(0, TempDir::new(), &extra)
    }

    /// A mailbox on `port`, keeping what earlier ones there received.
    pub fn start_on(port: u16, dir: TempDir) -> Self {
        Self::start_with(port, dir, &[])
    }

    fn start_with(port: u16, dir: TempDir, extra: &[&str]) -> Self {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../end2end/node_modules/smtp-server")
                .exists(),
            "the test SMTP server needs the npm packages of end2end/: run scripts/setup.sh --test"
        );
        let mut child = Command::new("node")
            .arg(script())
            .args(["--dir", &dir.0.display().to_string()])
            .args(["--port", &port.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the test SMTP server");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the SMTP server says where it listens");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server did not start: {line:?}"));
        Self {
            child: Some(child),
            port,
            dir,
        }
    }

    /// `smtp://127.0.0.1:<port>`, for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (its port refuses connections from now on) and
    /// returns its folder, for a server started again on the same port.
    pub fn stop(mut self) -> TempDir {
        self.kill();
        std::mem::replace(&mut self.dir, TempDir::new())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The mails received so far, in order.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir.0)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
                    .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|path| {
                let raw = std::fs::read_to_string(path).expect("a mail is text");
                let envelope: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(path.with_extension("json")).expect("its envelope"),
                )
                .expect("the envelope is JSON");
                ReceivedMail {
                    text: undo_soft_breaks(&raw),
                    recipients: envelope["rcptTo"]
                        .as_array()
                        .map(|all| {
                            all.iter()
                                .filter_map(|to| to.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    login: Some(envelope["user"].clone()).filter(|user| !user.is_null()),
                    secure: envelope["secure"].as_bool().unwrap_or(false),
                }
            })
            .collect()
    }

    /// Waits until `count` mails have arrived, and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        eventually(&format!("{count} mail(s) received"), || async {
            self.mails().len() >= count
        })
        .await;
        self.mails()
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.kill();
    }
}

impl ReceivedMail {
    /// The value of header `name` (the first one), unfolded (RFC 5322
    /// §2.2.3: a long header goes on over lines that start with white space).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = self.text.lines().take_while(|line| !line.is_empty());
        let first = lines.find(|line| line.to_ascii_lowercase().starts_with(&prefix))?;
        let mut value = first[prefix.len()..].trim().to_owned();
        for folded in lines.take_while(|line| line.starts_with([' ', '\t'])) {
            value.push(' ');
            value.push_str(folded.trim());
        }
        Some(value)
    }

    /// The `uid` and `token` of the reset link in the mail.
    pub fn reset_link(&self) -> (String, String) {
        let link = self.link("/reset-password/");
        let path = link.split("/reset-password/").nth(1).unwrap();
        let mut parts = path.split('/');
        (
            parts.next().unwrap().to_owned(),
            parts.next().expect("a token").to_owned(),
        )
    }

    /// The first link in the mail whose path holds `marker`.
    pub fn link(&self, marker: &str) -> String {
        let at = self
            .text
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker} link in {}", self.text));
        let start = self.text[..at].rfind("http").expect("the link's start");
        self.text[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .next()
            .unwrap()
            .to_owned()
    }
}

/// Quoted-printable's soft line breaks (`=` at a line's end) joined, and
/// `=3D` read as `=`: enough to read links out of a text part.
fn undo_soft_breaks(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// A port nothing listens on (for an SMTP server that is down).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
