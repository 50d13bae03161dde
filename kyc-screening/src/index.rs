//! The prebuilt name index: vocabulary, postings, phonetic and typo
//! (deletion-neighbourhood) lookup tables, serialised to one file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScreeningError};
use crate::model::{AliasQuality, EntityType, Entry, ListSnapshot, Source};
use crate::normalize::{self, TokenKind};
use crate::subjects::Subjects;

const MAGIC: &[u8; 8] = b"KYCSIDX\0";
const FORMAT: u32 = 1;

/// Weight factor of stop tokens (honorifics, legal forms, connectives).
pub(crate) const STOP_FACTOR: f32 = 0.08;
/// Weight factor of initials.
pub(crate) const INITIAL_FACTOR: f32 = 0.35;

/// 64-bit FNV-1a with a table salt.
pub(crate) fn hash(salt: u8, s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(salt);
    for b in s {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(crate) const SALT_EXACT: u8 = 1;
pub(crate) const SALT_PHON: u8 = 2;
pub(crate) const SALT_DEL: u8 = 3;

/// Deletion neighbourhood (the token and every one-deletion) of a token.
pub(crate) fn deletions(token: &str, mut f: impl FnMut(u64)) {
    let b = token.as_bytes();
    f(hash(SALT_DEL, b));
    let mut buf = Vec::with_capacity(b.len());
    for i in 0..b.len() {
        buf.clear();
        buf.extend_from_slice(&b[..i]);
        buf.extend_from_slice(&b[i + 1..]);
        f(hash(SALT_DEL, &buf));
    }
}

/// Minimum token length indexed for typo lookup.
pub(crate) const DEL_MIN_LEN: usize = 4;

/// One vocabulary token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub(crate) text: String,
    pub(crate) phon: u64,
    pub(crate) kind: TokenKind,
    /// A concatenation of two adjacent name tokens (`abdul`+`rahman`), only in
    /// postings, never in a name's token list.
    pub(crate) pair: bool,
    pub(crate) df: u32,
    /// ln(1 + names / df)
    pub(crate) idf: f32,
    /// `idf` times the kind factor (stop tokens and initials weigh little)
    pub(crate) weight: f32,
}

/// One indexed name (primary name or alias).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Name {
    pub(crate) entry: u32,
    /// 0 = primary name, k = `aliases[k - 1]`.
    pub(crate) alias: u32,
    pub(crate) quality: AliasQuality,
    pub(crate) tok_start: u32,
    pub(crate) tok_len: u16,
    /// Sum of the token weights (for candidate ranking).
    pub(crate) total_weight: f32,
}

/// Per-list summary reported by [`Index::info`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListInfo {
    /// The list.
    pub source: Source,
    /// The publisher's version string, when known.
    pub version: Option<String>,
    /// Publication date `YYYY-MM-DD`, when known.
    pub published: Option<String>,
    /// File name(s) it was read from.
    pub origin: String,
    /// Number of entries.
    pub entries: usize,
    /// Number of entries that are individuals.
    pub individuals: usize,
    /// Number of names indexed (primary names and aliases).
    pub names: usize,
}

/// What an index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexInfo {
    /// One line per list.
    pub lists: Vec<ListInfo>,
    /// All entries.
    pub entries: usize,
    /// All names.
    pub names: usize,
    /// Distinct name tokens.
    pub tokens: usize,
}

/// The screening index. Build it with [`Index::build`], persist it with
/// [`Index::save`] and [`Index::load`], query it with
/// [`Index::screen`](crate::Index::screen). Immutable once built, `Send + Sync`.
#[derive(Clone, Serialize, Deserialize)]
pub struct Index {
    pub(crate) lists: Vec<ListInfo>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) names: Vec<Name>,
    pub(crate) name_tokens: Vec<u32>,
    pub(crate) vocab: Vec<Token>,
    pub(crate) post_start: Vec<u32>,
    pub(crate) postings: Vec<u32>,
    /// (hash of text, vocab id), sorted.
    pub(crate) exact: Vec<(u64, u32)>,
    /// (phonetic hash, vocab id), sorted.
    pub(crate) phon: Vec<(u64, u32)>,
    /// (deletion hash, vocab id), sorted.
    pub(crate) dels: Vec<(u64, u32)>,
    /// Entries of several lists that are one subject (derived on build and
    /// load, not stored).
    #[serde(skip)]
    pub(crate) subjects: Subjects,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("entries", &self.entries.len())
            .field("names", &self.names.len())
            .field("tokens", &self.vocab.len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn lookup(table: &[(u64, u32)], key: u64) -> impl Iterator<Item = u32> + '_ {
    let start = table.partition_point(|(h, _)| *h < key);
    table[start..].iter().take_while(move |(h, _)| *h == key).map(|(_, v)| *v)
}

fn entry_name(e: &Entry, alias: u32) -> &str {
    match alias {
        0 => &e.primary_name,
        k => e.aliases.get(k as usize - 1).map(|a| a.name.as_str()).unwrap_or(""),
    }
}

impl Index {
    /// Builds an index over every name of every entry. Entries with the same
    /// source and id in several snapshots are kept once (the first).
    pub fn build(snapshots: &[ListSnapshot]) -> Index {
        let mut lists = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashSet<(Source, String)> = HashSet::new();
        for s in snapshots {
            let mut info = ListInfo {
                source: s.source,
                version: s.version.clone(),
                published: s.published.clone(),
                origin: s.origin.clone(),
                entries: 0,
                individuals: 0,
                names: 0,
            };
            for e in &s.entries {
                if !seen.insert((e.source, e.id.clone())) {
                    continue;
                }
                info.entries += 1;
                info.individuals += usize::from(e.entity_type == EntityType::Individual);
                info.names += 1 + e.aliases.len();
                entries.push(e.clone());
            }
            lists.push(info);
        }

        let mut vocab_ids: HashMap<String, u32> = HashMap::new();
        let mut vocab: Vec<Token> = Vec::new();
        let mut intern = |text: &str, pair: bool, vocab: &mut Vec<Token>| -> u32 {
            if let Some(&id) = vocab_ids.get(text) {
                // a concatenation that is also a real token is a real token
                if let (false, Some(t)) = (pair, vocab.get_mut(id as usize)) {
                    t.pair = false;
                }
                return id;
            }
            let id = vocab.len() as u32;
            let kind = normalize::token_kind(text);
            vocab.push(Token {
                text: text.to_owned(),
                phon: hash(SALT_PHON, normalize::phonetic_key(text).as_bytes()),
                kind,
                pair,
                df: 0,
                idf: 0.0,
                weight: 0.0,
            });
            vocab_ids.insert(text.to_owned(), id);
            id
        };
        let mut names = Vec::new();
        let mut name_tokens = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new(); // (vocab, name)
        let mut seen_keys: HashSet<String> = HashSet::new();
        for (ei, e) in entries.iter().enumerate() {
            seen_keys.clear();
            for alias in 0..=e.aliases.len() as u32 {
                let text = entry_name(e, alias);
                let toks = normalize::tokens(text);
                if toks.is_empty() || toks.len() > u16::MAX as usize {
                    continue;
                }
                // the same normalised name twice in one entry adds nothing
                if !seen_keys.insert(toks.join(" ")) {
                    continue;
                }
                let quality = match alias {
                    0 => AliasQuality::Strong,
                    k => e
                        .aliases
                        .get(k as usize - 1)
                        .map(|a| a.quality)
                        .unwrap_or(AliasQuality::Unknown),
                };
                let ni = names.len() as u32;
                let start = name_tokens.len() as u32;
                for t in &toks {
                    let id = intern(t, false, &mut vocab);
                    name_tokens.push(id);
                    pairs.push((id, ni));
                }
                for w in toks.windows(2) {
                    if w[0].len() + w[1].len() >= 6
                        && normalize::token_kind(&w[1]) != TokenKind::Number
                    {
                        let joined = format!("{}{}", w[0], w[1]);
                        let id = intern(&joined, true, &mut vocab);
                        pairs.push((id, ni));
                    }
                }
                names.push(Name {
                    entry: ei as u32,
                    alias,
                    quality,
                    tok_start: start,
                    tok_len: toks.len() as u16,
                    total_weight: 0.0,
                });
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut post_start = Vec::with_capacity(vocab.len() + 1);
        let mut postings = Vec::with_capacity(pairs.len());
        let mut p = 0;
        for v in 0..vocab.len() as u32 {
            post_start.push(postings.len() as u32);
            while p < pairs.len() && pairs[p].0 == v {
                postings.push(pairs[p].1);
                p += 1;
            }
        }
        post_start.push(postings.len() as u32);
        let n = names.len().max(1) as f32;
        for (v, t) in vocab.iter_mut().enumerate() {
            t.df = post_start[v + 1] - post_start[v];
            let idf = (1.0 + n / t.df.max(1) as f32).ln();
            t.idf = idf;
            t.weight = idf
                * match t.kind {
                    TokenKind::Stop => STOP_FACTOR,
                    TokenKind::Initial => INITIAL_FACTOR,
                    TokenKind::Name | TokenKind::Number => 1.0,
                };
        }
        for name in &mut names {
            let s = name.tok_start as usize;
            let toks = name_tokens.get(s..s + name.tok_len as usize).unwrap_or(&[]);
            name.total_weight =
                toks.iter().filter_map(|&v| vocab.get(v as usize)).map(|t| t.weight).sum();
        }
        let mut exact = Vec::with_capacity(vocab.len());
        let mut phon = Vec::with_capacity(vocab.len());
        let mut dels = Vec::new();
        for (v, t) in vocab.iter().enumerate() {
            let v = v as u32;
            exact.push((hash(SALT_EXACT, t.text.as_bytes()), v));
            if t.kind == TokenKind::Name {
                phon.push((t.phon, v));
                if !t.pair && t.text.len() >= DEL_MIN_LEN {
                    deletions(&t.text, |h| dels.push((h, v)));
                }
            }
        }
        exact.sort_unstable();
        phon.sort_unstable();
        dels.sort_unstable();
        dels.dedup();
        let mut index = Index {
            lists,
            entries,
            names,
            name_tokens,
            vocab,
            post_start,
            postings,
            exact,
            phon,
            dels,
            subjects: Subjects::default(),
        };
        index.subjects = Subjects::link(&index);
        index
    }

    /// What the index holds: lists, versions, published dates, counts.
    pub fn info(&self) -> IndexInfo {
        IndexInfo {
            lists: self.lists.clone(),
            entries: self.entries.len(),
            names: self.names.len(),
            tokens: self.vocab.iter().filter(|t| !t.pair).count(),
        }
    }

    /// Every indexed entry.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this source and id.
    pub fn entry(&self, source: Source, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.source == source && e.id == id)
    }

    pub(crate) fn name_text(&self, name: &Name) -> &str {
        self.entries.get(name.entry as usize).map(|e| entry_name(e, name.alias)).unwrap_or("")
    }

    pub(crate) fn tokens_of(&self, name: &Name) -> &[u32] {
        let s = name.tok_start as usize;
        self.name_tokens.get(s..s + name.tok_len as usize).unwrap_or(&[])
    }

    pub(crate) fn postings_of(&self, v: u32) -> &[u32] {
        let v = v as usize;
        match (self.post_start.get(v), self.post_start.get(v + 1)) {
            (Some(&a), Some(&b)) => self.postings.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Serialises the index to bytes (magic, format version, length, CRC-32,
    /// postcard payload).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = postcard::to_stdvec(self).map_err(|e| ScreeningError::IndexCorrupt {
            path: "<memory>".into(),
            reason: format!("cannot encode: {e}"),
        })?;
        let mut out = Vec::with_capacity(payload.len() + 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decodes bytes written by [`Index::to_bytes`]; `path` names the source
    /// in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Index> {
        let corrupt =
            |reason: String| ScreeningError::IndexCorrupt { path: path.to_owned(), reason };
        if bytes.len() < 24 || &bytes[..8] != MAGIC {
            return Err(corrupt("not a kyc-screening index (bad magic)".to_owned()));
        }
        let word = |r: std::ops::Range<usize>| bytes.get(r).unwrap_or(&[]).to_vec();
        let format = u32::from_le_bytes(
            word(8..12).try_into().map_err(|_| corrupt("short header".to_owned()))?,
        );
        if format != FORMAT {
            return Err(corrupt(format!(
                "format version {format}, expected {FORMAT}: rebuild the index"
            )));
        }
        let len = u64::from_le_bytes(
            word(12..20).try_into().map_err(|_| corrupt("short header".to_owned()))?,
        );
        let crc = u32::from_le_bytes(
            word(20..24).try_into().map_err(|_| corrupt("short header".to_owned()))?,
        );
        let payload = &bytes[24..];
        if payload.len() as u64 != len {
            return Err(corrupt(format!(
                "payload is {} bytes, header says {len} (truncated?)",
                payload.len()
            )));
        }
        if crc32fast::hash(payload) != crc {
            return Err(corrupt("checksum mismatch".to_owned()));
        }
        let mut index: Index =
            postcard::from_bytes(payload).map_err(|e| corrupt(format!("cannot decode: {e}")))?;
        index.validate().map_err(corrupt)?;
        index.subjects = Subjects::link(&index);
        Ok(index)
    }

    /// Structural checks so that a decoded index can never index out of range.
    fn validate(&self) -> std::result::Result<(), String> {
        let (nv, nn, ne) = (self.vocab.len(), self.names.len(), self.entries.len());
        if self.post_start.len() != nv + 1
            || self.post_start.last().copied() != Some(self.postings.len() as u32)
        {
            return Err("postings table does not match the vocabulary".to_owned());
        }
        if self.post_start.windows(2).any(|w| w[0] > w[1]) {
            return Err("postings offsets are not sorted".to_owned());
        }
        if self.postings.iter().any(|&n| n as usize >= nn) {
            return Err("posting points past the names".to_owned());
        }
        if self.name_tokens.iter().any(|&t| t as usize >= nv) {
            return Err("name token points past the vocabulary".to_owned());
        }
        for n in &self.names {
            if n.entry as usize >= ne
                || n.tok_start as usize + n.tok_len as usize > self.name_tokens.len()
            {
                return Err("name record out of range".to_owned());
            }
        }
        for table in [&self.exact, &self.phon, &self.dels] {
            if table.iter().any(|(_, v)| *v as usize >= nv) || table.windows(2).any(|w| w[0] > w[1])
            {
                return Err("lookup table out of range or unsorted".to_owned());
            }
        }
        Ok(())
    }

    /// Writes the index atomically: a temporary file in the same directory,
    /// fsync, then rename over `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".to_owned());
        crate::atomic::replace(path, &file_name, &[&bytes]).map_err(|e| ScreeningError::io(path, e))
    }

    /// Loads an index written by [`Index::save`].
    pub fn load(path: &Path) -> Result<Index> {
        let bytes = std::fs::read(path).map_err(|e| ScreeningError::io(path, e))?;
        Index::from_bytes(&bytes, path)
    }
}
