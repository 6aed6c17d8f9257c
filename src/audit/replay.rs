//! What `dsr replay` needs after a restore (DESIGN §9), sealed into the
//! audit record's details: the tenant secret and, for an erasure or a sweep
//! batch, the keys of the rows it changed and what it did to each.
//!
//! Sealed with ChaCha20-Poly1305 under the tenant's replay key
//! (`replay_key_file`, 32 random bytes, 0600), a random nonce per record,
//! and the record's place in the chain (`seq` and `prev_hash`) as
//! associated data, so a sealed payload moved to another record does not
//! open. It lives in `details.replay` rather than only in the mirror line:
//! the mirror is written from the store's records (after the commit, or by
//! the next command's catch-up), so a payload the store did not hold would
//! be lost whenever the mirror lagged; in the details it is also covered by
//! the chain's hash. The store holds it only sealed, and the key is never
//! in the store, so neither the store nor the mirror holds a plain key
//! value or identifier.

use crate::error::{io_reason, Error, Result};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload as AeadPayload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The details field that holds the sealed payload.
pub const FIELD: &str = "replay";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// The tenant's replay key.
pub struct ReplayKey {
    key: [u8; KEY_LEN],
    /// A short public name of the key (not the key), to tell a wrong key
    /// from a damaged record.
    pub id: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplayKey({}, id {})", self.path.display(), self.id)
    }
}

/// What one record did, in the terms replay needs. Keys are the rows'
/// primary keys as compact JSON arrays ([`crate::store::write::key_text`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The tenant secret (`hash` erasure, subject references).
    pub secret: String,
    /// Per table name: what was done to which rows.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, TableChanges>,
    /// Mentions erased from free text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<MentionEdit>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableChanges {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anonymized: Vec<String>,
    /// The columns anonymizing rewrote (the map's strategies then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Rows under a hold, with the action they get once it ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<(String, String)>,
}

/// One free-text value whose mentions were replaced: the exact text
/// replaced, so that it is found again even where the row changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionEdit {
    pub table: String,
    pub column: String,
    pub key: String,
    pub erased: Vec<String>,
}

impl Payload {
    /// Whether it records any change (not only the secret).
    pub fn changes(&self) -> bool {
        !self.tables.is_empty() || !self.mentions.is_empty()
    }
}

fn associated(seq: i64, prev_hash: &str) -> String {
    format!("dsr.replay/1\n{seq}\n{prev_hash}")
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl ReplayKey {
    pub fn from_bytes(key: [u8; KEY_LEN], path: PathBuf) -> ReplayKey {
        let id = super::hmac_bytes(&key, b"dsr replay key id")[..16].to_string();
        ReplayKey { key, id, path }
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.key))
    }

    /// The sealed payload of the record `seq` chained on `prev_hash`, as the
    /// JSON that goes into its details.
    pub fn seal(&self, seq: i64, prev_hash: &str, p: &Payload) -> Result<serde_json::Value> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|e| {
            Error::Runtime(format!(
                "the operating system gave no random bytes for the replay record ({e}); nothing was changed"
            ))
        })?;
        let plain = serde_json::to_vec(p)
            .map_err(|e| Error::Runtime(format!("the replay record cannot be written: {e}")))?;
        let aad = associated(seq, prev_hash);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                AeadPayload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Runtime("the replay record could not be sealed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(serde_json::json!({ "key_id": self.id, "sealed": b64().encode(out) }))
    }

    /// Opens the sealed payload of record `seq` chained on `prev_hash`. The
    /// error says which of: another key, a damaged or moved payload.
    pub fn open(
        &self,
        seq: i64,
        prev_hash: &str,
        v: &serde_json::Value,
    ) -> std::result::Result<Payload, String> {
        let id = v.get("key_id").and_then(|x| x.as_str()).unwrap_or("");
        if id != self.id {
            return Err(format!(
                "it was sealed under another replay key (id {id}, the key given is {}): give the tenant's replay_key_file",
                self.id
            ));
        }
        let raw = v
            .get("sealed")
            .and_then(|x| x.as_str())
            .and_then(|s| b64().decode(s).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or("its replay payload is not sealed data (it was damaged)")?;
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let aad = associated(seq, prev_hash);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                AeadPayload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                "its replay payload does not open under the key (it was changed, or moved from another record)".to_string()
            })?;
        serde_json::from_slice(&plain)
            .map_err(|_| "its replay payload opens but is not a replay record".to_string())
    }
}

/// Writes a new replay key: 32 random bytes, mode 0600, never over an
/// existing file.
pub fn new_key(path: &Path) -> Result<ReplayKey> {
    let show = path.display();
    let mut key = [0u8; KEY_LEN];
    getrandom::getrandom(&mut key).map_err(|e| {
        Error::Runtime(format!(
            "the operating system gave no random bytes for the replay key ({e}); nothing was written"
        ))
    })?;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Usage(format!(
                "the replay_key_file {show} exists already; a replay key is never replaced (the records sealed under it would no longer open): keep it, or name another file in the config"
            ))
        } else {
            Error::Runtime(format!(
                "cannot create the replay_key_file {show}: {}; check the directory exists and is writable",
                io_reason(&e)
            ))
        }
    })?;
    use std::io::Write;
    f.write_all(&key).and_then(|_| f.sync_all()).map_err(|e| {
        Error::Runtime(format!(
            "cannot write the replay_key_file {show}: {}; remove the partial file and try again",
            io_reason(&e)
        ))
    })?;
    Ok(ReplayKey::from_bytes(key, path.to_path_buf()))
}

/// Reads the replay key: a regular file, readable by its owner only, of
/// exactly 32 bytes. Every refusal is a configuration error (exit 2).
pub fn load(path: &Path) -> Result<ReplayKey> {
    let bytes = super::key::read_private(
        path,
        "replay_key_file",
        "create it with `dsr replay --new-key` (once, and keep it off the store's host and its backups)",
    )?;
    let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        Error::Usage(format!(
            "the tenant's replay_key_file {} holds {} bytes, not the {KEY_LEN} of a replay key; write one with `dsr replay --new-key`",
            path.display(),
            bytes.len()
        ))
    })?;
    Ok(ReplayKey::from_bytes(key, path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Payload {
        let mut tables = BTreeMap::new();
        tables.insert(
            "customers".to_string(),
            TableChanges {
                anonymized: vec![r#"["anna@example.se"]"#.into()],
                columns: vec!["name".into(), "pnr".into()],
                ..Default::default()
            },
        );
        tables.insert(
            "tickets".to_string(),
            TableChanges {
                deleted: vec!["[9]".into(), "[10]".into()],
                held: vec![("[11]".into(), "delete".into())],
                ..Default::default()
            },
        );
        Payload {
            secret: "5ec2e7".repeat(10),
            tables,
            mentions: vec![MentionEdit {
                table: "notes".into(),
                column: "body".into(),
                key: "[3]".into(),
                erased: vec!["198112189876".into()],
            }],
        }
    }

    fn key(b: u8) -> ReplayKey {
        ReplayKey::from_bytes([b; 32], PathBuf::from("k"))
    }

    #[test]
    fn a_sealed_payload_opens_to_itself_and_hides_every_value() {
        let k = key(1);
        let v = k.seal(7, "ab", &sample()).expect("seal");
        assert_eq!(k.open(7, "ab", &v), Ok(sample()));
        let line = v.to_string();
        for plain in [
            "anna@example.se",
            "198112189876",
            "5ec2e7",
            "customers",
            "tickets",
            "[9]",
        ] {
            assert!(!line.contains(plain), "{plain} in {line}");
        }
        // A new nonce each time.
        assert_ne!(k.seal(7, "ab", &sample()).expect("seal"), v);
    }

    #[test]
    fn a_wrong_key_is_told_from_a_damaged_payload() {
        let v = key(1).seal(7, "ab", &sample()).expect("seal");
        let e = key(2).open(7, "ab", &v).expect_err("wrong key");
        assert!(e.contains("another replay key"), "{e}");
        // Another key that claims the same id: the seal does not open.
        let mut forged = key(2);
        forged.id = key(1).id;
        let e = forged.open(7, "ab", &v).expect_err("forged id");
        assert!(e.contains("does not open"), "{e}");
    }

    #[test]
    fn a_changed_or_moved_payload_does_not_open() {
        let k = key(1);
        let v = k.seal(7, "ab", &sample()).expect("seal");
        assert!(k.open(8, "ab", &v).is_err(), "another seq");
        assert!(k.open(7, "cd", &v).is_err(), "another prev_hash");
        let s = v["sealed"].as_str().expect("text");
        let mut raw = b64().decode(s).expect("b64");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = serde_json::json!({ "key_id": k.id, "sealed": b64().encode(&raw) });
        let e = k.open(7, "ab", &tampered).expect_err("tampered");
        assert!(e.contains("does not open"), "{e}");
        let cut = serde_json::json!({ "key_id": k.id, "sealed": "AAAA" });
        let e = k.open(7, "ab", &cut).expect_err("truncated");
        assert!(e.contains("not sealed data"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_key_is_private_never_replaced_and_refused_when_others_may_read_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("replay.key");
        let k = new_key(&p).expect("new key");
        let meta = std::fs::metadata(&p).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        assert_eq!(load(&p).expect("load").id, k.id);
        let before = std::fs::read(&p).expect("read");
        let e = new_key(&p).expect_err("exists");
        assert!(e.to_string().contains("exists already"), "{e}");
        assert_eq!(std::fs::read(&p).expect("read"), before);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let e = load(&p).expect_err("readable by group");
        assert!(
            matches!(e, Error::Usage(_)) && e.to_string().contains("chmod 600"),
            "{e}"
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&p, b"short").expect("write");
        assert!(load(&p).expect_err("short").to_string().contains("5 bytes"));
    }
}
