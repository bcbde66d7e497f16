//! Where a transcript was read up to: the offset of the first byte not yet counted, which
//! file that offset belongs to, and the keys of the last responses counted. Saved with the
//! job's usage, so a restarted supervisor neither reads a transcript again nor loses its
//! place.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

/// How many response keys are remembered. Claude Code writes the lines of one response
/// together, so a repeat is never far behind its first line; 1024 responses is many
/// passes' worth, and the saved cursor stays small (a key is one number).
pub(crate) const RECENT_KEYS: usize = 1024;

/// How many bytes before the offset are fingerprinted.
pub(crate) const FINGERPRINT_BYTES: u64 = 128;

/// A file's identity: a transcript replaced under the same name is another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileId {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// The keys of the last responses counted, oldest first, at most `RECENT_KEYS`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<u64>", into = "Vec<u64>")]
pub(crate) struct RecentKeys {
    order: VecDeque<u64>,
    set: HashSet<u64>,
}

impl PartialEq for RecentKeys {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

impl Eq for RecentKeys {}

impl From<Vec<u64>> for RecentKeys {
    fn from(keys: Vec<u64>) -> Self {
        let mut recent = Self::default();
        for key in keys {
            recent.insert(key);
        }
        recent
    }
}

impl From<RecentKeys> for Vec<u64> {
    fn from(recent: RecentKeys) -> Self {
        recent.order.into()
    }
}

impl RecentKeys {
    /// Remembers `key`; false when it was remembered already (a repeated response).
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if !self.set.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > RECENT_KEYS
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

/// A transcript's read position. `Cursor::default()` is the start of any file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// The first byte not yet read: always just after a newline, or inside an overlong
    /// line being skipped.
    pub(crate) offset: u64,
    /// The file `offset` belongs to; `None` before the first read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<FileId>,
    /// `fingerprint` of the `FINGERPRINT_BYTES` before `offset`: a file truncated and
    /// written again past the offset keeps its inode and its size, but not these bytes.
    #[serde(default)]
    pub(crate) before: u64,
    /// Inside a line longer than the limit: bytes up to its newline are dropped.
    #[serde(default)]
    pub(crate) skipping: bool,
    #[serde(default)]
    pub(crate) recent: RecentKeys,
}

/// FNV-1a, 64 bits: stable across Rust releases (std's hasher is not), which a saved key
/// needs. Not a defence against a crafted collision, which could only hide one response
/// of the agent's own.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // A separator no UTF-8 text holds, so ("ab", "c") and ("a", "bc") differ.
            hash ^= 0xff;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in *part {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_a_bounded_window_of_keys() {
        let mut recent = RecentKeys::default();
        assert!(recent.insert(1));
        assert!(!recent.insert(1));
        for key in 2..=(RECENT_KEYS as u64 + 1) {
            assert!(recent.insert(key));
        }
        assert_eq!(recent.len(), RECENT_KEYS);
        // The oldest key was forgotten, the newest are kept.
        assert!(recent.insert(1));
        assert!(!recent.insert(RECENT_KEYS as u64 + 1));
    }

    #[test]
    fn round_trips_as_a_small_list() {
        let mut cursor = Cursor {
            offset: 42,
            file: Some(FileId { dev: 1, ino: 2 }),
            before: 7,
            skipping: true,
            recent: RecentKeys::default(),
        };
        cursor.recent.insert(5);
        cursor.recent.insert(3);
        let json = serde_json::to_string(&cursor).expect("serialize");
        assert!(json.contains(r#""recent":[5,3]"#), "{json}");
        let back: Cursor = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, cursor);
        let mut back = back;
        assert!(!back.recent.insert(5), "the set is rebuilt on load");
        assert_eq!(
            serde_json::from_str::<Cursor>(r#"{"offset":0}"#).expect("old"),
            Cursor::default()
        );
    }

    #[test]
    fn fingerprints_are_stable_and_separate_parts() {
        // The FNV-1a test vector for "a".
        assert_eq!(fingerprint(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_ne!(fingerprint(&[b"abc"]), fingerprint(&[b"ab", b"c"]));
    }
}
