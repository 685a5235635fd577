//! The `tessera` binary as an operator runs it: a separate process on the
//! database of a running server.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tessera(
    database_url: &str,
    secret_file: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("TESSERA_SECRET_KEY", super::SECRET)
        .env("TESSERA_SECRET_KEY_FILE", secret_file)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tessera binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub async fn run(
    database_url: &str,
    secret_file: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> Output {
    let (url, file) = (database_url.to_owned(), secret_file.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tessera(&url, &file, &args, &stdin)
    })
    .await
    .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
