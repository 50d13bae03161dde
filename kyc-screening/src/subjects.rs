//! Subjects listed by several publishers.
//!
//! OFAC, the UN, the UK and the EU list many of the same people and
//! organisations, each under its own id and with its own spellings. Entries of
//! *different* lists that carry the same full name (the same informative
//! tokens, at least two, in any order) and whose types and years of birth do
//! not contradict are linked as one subject, transitively, so that a match on
//! any of them returns all of them side by side. A name that one list gives
//! to two different entries is ambiguous and links nothing; weak aliases
//! link nothing.

use std::collections::HashMap;

use crate::index::Index;
use crate::model::{AliasQuality, Entry, Source};
use crate::normalize::TokenKind;

/// Which entries are one listed subject. Derived from the entries (never
/// stored in the index file), so an index written before it existed still
/// loads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subjects {
    /// Per entry, its group in `groups`, or `u32::MAX` when it stands alone.
    of: Vec<u32>,
    /// Each group's entries (two or more), in index order.
    groups: Vec<Vec<u32>>,
}

impl Subjects {
    /// Links the entries of `index`.
    pub(crate) fn link(index: &Index) -> Subjects {
        let mut by_key: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
        for name in &index.names {
            if name.quality == AliasQuality::Weak {
                continue;
            }
            let mut key: Vec<u32> = index
                .tokens_of(name)
                .iter()
                .copied()
                .filter(|&v| {
                    index
                        .vocab
                        .get(v as usize)
                        .is_some_and(|t| matches!(t.kind, TokenKind::Name | TokenKind::Number))
                })
                .collect();
            key.sort_unstable();
            key.dedup();
            if key.len() < 2 {
                continue;
            }
            let entries = by_key.entry(key).or_default();
            if entries.last() != Some(&name.entry) {
                entries.push(name.entry);
            }
        }
        let mut parent: Vec<u32> = (0..index.entries.len() as u32).collect();
        for entries in by_key.values() {
            if entries.len() < 2 || ambiguous(index, entries) {
                continue;
            }
            for (i, &a) in entries.iter().enumerate() {
                for &b in &entries[i + 1..] {
                    let (Some(ea), Some(eb)) =
                        (index.entries.get(a as usize), index.entries.get(b as usize))
                    else {
                        continue;
                    };
                    if same_subject(ea, eb) {
                        union(&mut parent, a, b);
                    }
                }
            }
        }
        let mut of = vec![u32::MAX; parent.len()];
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut group_of_root: HashMap<u32, u32> = HashMap::new();
        let roots: Vec<u32> = (0..parent.len() as u32).map(|e| find(&mut parent, e)).collect();
        let mut sizes: HashMap<u32, u32> = HashMap::new();
        for &r in &roots {
            *sizes.entry(r).or_default() += 1;
        }
        for (e, &r) in roots.iter().enumerate() {
            if sizes.get(&r).copied().unwrap_or(0) < 2 {
                continue;
            }
            let g = *group_of_root.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() as u32 - 1
            });
            if let (Some(slot), Some(members)) = (of.get_mut(e), groups.get_mut(g as usize)) {
                *slot = g;
                members.push(e as u32);
            }
        }
        Subjects { of, groups }
    }

    /// The subject group of an entry, when other entries share it.
    pub(crate) fn group_of(&self, entry: u32) -> Option<u32> {
        self.of.get(entry as usize).copied().filter(|&g| g != u32::MAX)
    }

    /// A group's entries.
    pub(crate) fn members(&self, group: u32) -> &[u32] {
        self.groups.get(group as usize).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How many subjects span several entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }
}

/// A name that one list gives to two of its entries says nothing about who
/// is who on the other lists.
fn ambiguous(index: &Index, entries: &[u32]) -> bool {
    let mut seen: Vec<Source> = Vec::with_capacity(entries.len());
    for &e in entries {
        let Some(entry) = index.entries.get(e as usize) else { return true };
        if seen.contains(&entry.source) {
            return true;
        }
        seen.push(entry.source);
    }
    false
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while let Some(&p) = parent.get(x as usize) {
        if p == x {
            break;
        }
        let grand = parent.get(p as usize).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(x as usize) {
            *slot = grand;
        }
        x = grand;
    }
    x
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb
        && let Some(slot) = parent.get_mut(ra.max(rb) as usize)
    {
        *slot = ra.min(rb);
    }
}

/// Whether two entries with the same name can be the same subject: types
/// compatible, and dates of birth (when both have some) within a year.
pub(crate) fn same_subject(a: &Entry, b: &Entry) -> bool {
    if !a.entity_type.compatible(b.entity_type) {
        return false;
    }
    if a.dates_of_birth.is_empty() || b.dates_of_birth.is_empty() {
        return true;
    }
    a.dates_of_birth.iter().any(|x| {
        let (xa, xb) = x.years();
        b.dates_of_birth.iter().any(|y| {
            let (ya, yb) = y.years();
            xa <= yb + 1 && ya <= xb + 1
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BirthDate, EntityType, ListSnapshot};

    fn person(source: Source, id: &str, name: &str, year: Option<i32>) -> Entry {
        let mut e = Entry::new(source, id, name);
        e.entity_type = EntityType::Individual;
        e.dates_of_birth = year.map(|year| BirthDate::Year { year }).into_iter().collect();
        e
    }

    fn index(entries: Vec<Entry>) -> Index {
        let mut by_source: Vec<ListSnapshot> = Vec::new();
        for e in entries {
            match by_source.iter_mut().find(|l| l.source == e.source) {
                Some(l) => l.entries.push(e),
                None => by_source.push(ListSnapshot {
                    source: e.source,
                    version: None,
                    published: None,
                    origin: "test".into(),
                    entries: vec![e],
                }),
            }
        }
        Index::build(&by_source)
    }

    fn group(ix: &Index, source: Source, id: &str) -> Option<u32> {
        let e = ix.entries.iter().position(|e| e.source == source && e.id == id)?;
        ix.subjects.group_of(e as u32)
    }

    #[test]
    fn links_the_same_name_across_lists_in_any_order() {
        let ix = index(vec![
            person(Source::Ofac, "1", "PETROV, Ivan Sergeyevich", Some(1970)),
            person(Source::Uk, "RUS1", "PETROV Ivan Sergeyevich", None),
            person(Source::Un, "QDi.9", "Ivan Sergeyevich Petrov", Some(1971)),
            person(Source::Ofac, "2", "SMIRNOV, Oleg", None),
        ]);
        let g = group(&ix, Source::Ofac, "1");
        assert!(g.is_some());
        assert_eq!(group(&ix, Source::Uk, "RUS1"), g);
        assert_eq!(group(&ix, Source::Un, "QDi.9"), g);
        assert_eq!(group(&ix, Source::Ofac, "2"), None);
        assert_eq!(ix.subjects.len(), 1);
    }

    #[test]
    fn contradicting_births_types_and_ambiguous_names_link_nothing() {
        let mut org = Entry::new(Source::Uk, "ORG1", "Ivan Petrov");
        org.entity_type = EntityType::Entity;
        let ix = index(vec![
            person(Source::Ofac, "1", "PETROV, Ivan", Some(1950)),
            person(Source::Un, "QDi.1", "Ivan Petrov", Some(1980)),
            org,
            // one list, two people called Ali Hassan: who is the UN's?
            person(Source::Ofac, "7", "HASSAN, Ali", None),
            person(Source::Ofac, "8", "HASSAN, Ali", None),
            person(Source::Un, "QDi.7", "Ali Hassan", None),
        ]);
        assert_eq!(ix.subjects.len(), 0);
    }

    #[test]
    fn survives_a_round_trip_through_the_file_format() {
        let ix = index(vec![
            person(Source::Ofac, "1", "PETROV, Ivan Sergeyevich", None),
            person(Source::Uk, "RUS1", "PETROV Ivan Sergeyevich", None),
        ]);
        let bytes = ix.to_bytes().unwrap_or_default();
        let back = Index::from_bytes(&bytes, std::path::Path::new("t")).map(|i| i.subjects.len());
        assert_eq!(back.ok(), Some(1));
    }
}
