//! Structured logs on stderr; `RUST_LOG` chooses what is shown,
//! `--log-format` how: lines for people, or one JSON object per line for a
//! log pipeline (Loki, Elasticsearch, CloudWatch…).

use tracing_subscriber::EnvFilter;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-01T10:00:00Z  INFO tessera: listening on …`
    #[default]
    Text,
    /// `{"timestamp":"…","level":"INFO","fields":{"message":"…"},"target":"…","span":{…}}`
    Json,
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: tests may call this several times in one process.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
