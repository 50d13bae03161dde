//! Assembling a result: one match per listed subject, with every list's
//! entry for it.

use super::search::Scored;
use super::*;
use crate::subjects::same_subject;

impl Index {
    /// Screens one query against every name of every listed entry.
    ///
    /// Errors only on a query without any letter or digit.
    pub fn screen(&self, query: &Query, policy: &Policy) -> Result<ScreeningResult> {
        let mut prepared = self.prepare(query)?;
        let scored = self.score_all(&mut prepared, query, policy)?;
        let mut matches: Vec<Match> = Vec::new();
        // per match: its sorted name tokens, its entry, its subject group
        let mut keys: Vec<(Vec<u32>, usize, Option<u32>)> = Vec::new();
        for s in scored.iter().filter(|s| s.score >= policy.potential_match) {
            let Some(name) = self.names.get(s.name as usize) else { continue };
            let Some(entry) = self.entries.get(name.entry as usize) else { continue };
            // grouping key: the name's informative tokens ("JOZA INDUSTRIAL
            // CO." and "JOZA INDUSTRIAL COMPANY" are one subject)
            let toks = self.tokens_of(name);
            let mut key: Vec<u32> = toks
                .iter()
                .copied()
                .filter(|&v| {
                    self.vocab
                        .get(v as usize)
                        .is_some_and(|t| matches!(t.kind, TokenKind::Name | TokenKind::Number))
                })
                .collect();
            if key.is_empty() {
                key = toks.to_vec();
            }
            key.sort_unstable();
            let group = self.subjects.group_of(name.entry);
            let same = keys.iter().position(|(k, e, g)| {
                (group.is_some() && *g == group)
                    || (*k == key
                        && self.entries.get(*e).is_some_and(|other| same_subject(other, entry)))
            });
            let full = matches.len() >= policy.max_matches;
            match same.and_then(|i| matches.get_mut(i)) {
                Some(m) => m.also_listed.push(self.listed_ref(s, entry, false)),
                None if !full => {
                    keys.push((key, name.entry as usize, group));
                    matches.push(self.to_match(s, name, entry));
                }
                None => {}
            }
        }
        // every list's entry for a matched subject, scored on its own names
        for (m, (_, _, group)) in matches.iter_mut().zip(&keys) {
            let Some(group) = *group else { continue };
            for &e in self.subjects.members(group) {
                let Some(entry) = self.entries.get(e as usize) else { continue };
                let present = |source: Source, id: &str| source == entry.source && id == entry.id;
                if present(m.source, &m.id)
                    || m.also_listed.iter().any(|r| present(r.source, &r.id))
                {
                    continue;
                }
                if let Some(s) = self.score_entry(&mut prepared, query, e) {
                    m.also_listed.push(self.listed_ref(&s, entry, true));
                }
            }
            m.also_listed.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        let status = match scored.first() {
            Some(s) if s.score >= policy.match_threshold => Status::Match,
            Some(s) if s.score >= policy.potential_match => Status::PotentialMatch,
            _ => Status::Clear,
        };
        Ok(ScreeningResult { status, matches })
    }

    fn listed_ref(&self, s: &Scored, entry: &Entry, linked: bool) -> ListedRef {
        ListedRef {
            source: entry.source,
            id: entry.id.clone(),
            name: self
                .names
                .get(s.name as usize)
                .map(|n| self.name_text(n))
                .unwrap_or("")
                .to_owned(),
            score: (s.score * 1000.0).round() / 1000.0,
            linked,
        }
    }

    fn to_match(&self, s: &Scored, name: &index::Name, entry: &Entry) -> Match {
        let listed = self.name_text(name).to_owned();
        let which = if name.alias == 0 { "primary name" } else { "alias" };
        let mut explanation = format!(
            "{which} \"{listed}\" of {}:{}: token similarity {:.2}, phonetic agreement {:.2}",
            entry.source, entry.id, s.name_score, s.phonetic
        );
        if name.quality == AliasQuality::Weak {
            explanation.push_str(", weak alias");
        }
        explanation.push_str(match s.dob {
            DobAgreement::Exact => "; date of birth agrees exactly",
            DobAgreement::Year => "; year of birth agrees",
            DobAgreement::WithinOneYear => "; year of birth within one year",
            DobAgreement::Contradicts => "; date of birth contradicts",
            DobAgreement::Unknown => "",
        });
        explanation.push_str(match s.country {
            CountryAgreement::Agrees => "; nationality agrees",
            CountryAgreement::Address => "; country matches an address",
            CountryAgreement::Contradicts => "; nationality differs",
            CountryAgreement::Unknown => "",
        });
        if !s.type_ok {
            explanation.push_str("; entity type differs");
        }
        Match {
            source: entry.source,
            id: entry.id.clone(),
            name: listed,
            matched_alias_quality: name.quality,
            entity_type: entry.entity_type,
            score: (s.score * 1000.0).round() / 1000.0,
            components: Components {
                token_similarity: (s.name_score * 1000.0).round() / 1000.0,
                phonetic_agreement: (s.phonetic * 1000.0).round() / 1000.0,
                dob_agreement: s.dob,
                country_agreement: s.country,
                entity_type_agrees: s.type_ok,
            },
            explanation,
            also_listed: Vec::new(),
        }
    }
}
