//! The HMAC signing key: given explicitly, or generated once and kept on disk.

use std::io::Write;
use std::path::Path;

/// RFC 8725 §3.5: an HMAC key must carry at least as much entropy as the hash
/// output; for HS256 that is 32 bytes.
pub const MIN_KEY_BYTES: usize = 32;
const GENERATED_KEY_BYTES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key has {0} bytes; at least {MIN_KEY_BYTES} are required")]
    TooShort(usize),
    #[error("the key file {path} is not valid hex")]
    NotHex { path: String },
    #[error("could not read or write the key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the system random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error(
        "the key file {path} can be read by other users (mode {mode:o}): \
         run `chmod 600 {path}`"
    )]
    Exposed { path: String, mode: u32 },
}

/// Where the key came from, so the caller can warn about a generated one.
#[derive(Debug, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File,
    Generated,
}

/// Returns the configured key, or the one in `file`, creating that file with a
/// fresh random key (mode 0600) when it does not exist yet.
pub fn load_or_generate(
    configured: Option<&str>,
    file: &Path,
) -> Result<(Vec<u8>, KeySource), SecretError> {
    if let Some(key) = configured {
        return configured_key(key).map(|key| (key, KeySource::Configured));
    }
    let io_error = |source| SecretError::Io {
        path: file.display().to_string(),
        source,
    };
    match std::fs::read_to_string(file) {
        Ok(text) => {
            check_private(file)?;
            let key = crate::core::hex::decode(text.trim()).ok_or_else(|| SecretError::NotHex {
                path: file.display().to_string(),
            })?;
            check_length(key).map(|key| (key, KeySource::File))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = random_bytes(GENERATED_KEY_BYTES)?;
            write_private_file(file, crate::core::hex::encode(&key).as_bytes())
                .map_err(io_error)?;
            Ok((key, KeySource::Generated))
        }
        Err(error) => Err(io_error(error)),
    }
}

/// A key given on the command line or in the environment, checked for length.
pub fn configured_key(key: &str) -> Result<Vec<u8>, SecretError> {
    check_length(key.as_bytes().to_vec())
}

/// Whoever can read the key can mint tokens for anyone: refuse a key file
/// that group or others may read or write.
fn check_private(file: &Path) -> Result<(), SecretError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(|source| SecretError::Io {
                path: file.display().to_string(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(SecretError::Exposed {
                path: file.display().to_string(),
                mode: mode & 0o777,
            });
        }
    }
    let _ = file;
    Ok(())
}

fn check_length(key: Vec<u8>) -> Result<Vec<u8>, SecretError> {
    if key.len() < MIN_KEY_BYTES {
        return Err(SecretError::TooShort(key.len()));
    }
    Ok(key)
}

/// One key per secret (the current one first), derived with HKDF-SHA256
/// for the purpose `info`: a marker's key never equals a link's, nor the
/// secret itself.
pub(crate) fn derived_keys<'a>(
    info: &[u8],
    current: &'a [u8],
    previous: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<[u8; 32]> {
    std::iter::once(current)
        .chain(previous)
        .map(|secret| {
            let mut key = [0u8; 32];
            hkdf::Hkdf::<sha2::Sha256>::new(None, secret)
                .expand(info, &mut key)
                .expect("32 bytes is far below HKDF-SHA256's limit");
            key
        })
        .collect()
}

pub(crate) fn random_bytes(count: usize) -> Result<Vec<u8>, SecretError> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).map_err(SecretError::Random)?;
    Ok(bytes)
}

fn write_private_file(file: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    // create_new: two processes starting at once must not overwrite each
    // other's key (the loser fails and can simply be restarted).
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(file)?;
    handle.write_all(contents)?;
    handle.write_all(b"\n")?;
    handle.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tessera-secret-{}-{}",
            std::process::id(),
            crate::core::hex::encode(&random_bytes(4).unwrap())
        ));
        dir.join(name)
    }

    #[test]
    fn a_configured_key_shorter_than_32_bytes_is_refused() {
        let error = load_or_generate(Some("short"), Path::new("unused")).unwrap_err();
        assert!(matches!(error, SecretError::TooShort(5)));
    }

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let file = temp_path("secret.key");
        let (first, source) = load_or_generate(None, &file).unwrap();
        assert_eq!(source, KeySource::Generated);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (second, source) = load_or_generate(None, &file).unwrap();
        assert_eq!(source, KeySource::File);
        assert_eq!(first, second);
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let file = temp_path("secret.key");
        load_or_generate(None, &file).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_or_generate(None, &file).unwrap_err();
        assert!(matches!(error, SecretError::Exposed { mode: 0o644, .. }));
        assert!(error.to_string().contains("chmod 600"), "{error}");
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }
}
