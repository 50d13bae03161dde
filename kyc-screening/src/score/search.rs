//! The search: candidate retrieval from the index's postings, token
//! alignment and the pairwise scorer.

use std::cell::RefCell;

use super::*;

/// A scored candidate before thresholds (used by the benchmark too).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub(crate) name: u32,
    pub(crate) name_score: f32,
    pub(crate) phonetic: f32,
    pub(crate) score: f32,
    pub(crate) dob: DobAgreement,
    pub(crate) country: CountryAgreement,
    pub(crate) type_ok: bool,
}

pub(super) struct QTok {
    text: String,
    kind: TokenKind,
    phon: u64,
    /// vocabulary id when the token is listed somewhere
    vocab: Option<u32>,
}

/// A query made ready for scoring: its tokens, their expansions over the
/// vocabulary, its normalised country and the token-similarity cache.
pub(super) struct Prepared {
    q: Vec<QTok>,
    expansions: Vec<Vec<(u32, f32)>>,
    country: Option<String>,
    cache: std::collections::HashMap<(u32, u32), f32>,
}

pub(super) const MIN_TOKEN_SIM: f32 = 0.75;
/// Concatenated tokens (`abdulrahman` vs `abdul rahman`) must agree almost exactly.
pub(super) const MERGE_SIM: f32 = 0.92;
pub(super) const INITIAL_SIM: f32 = 0.75;
pub(super) const CLASS_SIM: f32 = 0.95;
pub(super) const PHONETIC_FLOOR: f32 = 0.88;
pub(super) const PHONETIC_BOOST: f32 = 0.3;
/// Postings longer than this are skipped in retrieval when a rarer query
/// token exists (they would touch most of the index for little signal).
pub(super) const MAX_DF: u32 = 2500;
pub(super) const MAX_TOKENS: usize = 24;

/// Per-thread retrieval buffers: accumulated evidence per name, names
/// touched, the current query token's best evidence per name, and its names.
pub(super) type Scratch = (Vec<f32>, Vec<u32>, Vec<f32>, Vec<u32>);

thread_local! {
    static SCRATCH: RefCell<Scratch> = const { RefCell::new((Vec::new(), Vec::new(), Vec::new(), Vec::new())) };
}

pub(super) fn token_sim_str(
    q: &str,
    q_kind: TokenKind,
    q_phon: u64,
    v: &str,
    v_kind: TokenKind,
    v_phon: u64,
) -> f32 {
    if q == v {
        return 1.0;
    }
    if q_kind == TokenKind::Number || v_kind == TokenKind::Number {
        return 0.0;
    }
    if q.len() == 1 || v.len() == 1 {
        return if q.as_bytes().first() == v.as_bytes().first() { INITIAL_SIM } else { 0.0 };
    }
    let phon_equal = q_phon == v_phon;
    if phon_equal && normalize::name_class(q).is_some() {
        return CLASS_SIM;
    }
    let (lq, lv) = (q.len(), v.len());
    if lq.abs_diff(lv) > 3.max(lq.max(lv) / 2) {
        return 0.0;
    }
    // one letter is a third of a three-letter token: tao/tai, yan/yun, jun/yun
    // are different names, not typos (exact and class matches are above)
    if lq <= 3 && lv <= 3 {
        return 0.0;
    }
    let jw = sim::jaro_winkler(q, v);
    // even an edit similarity of 1 could not lift this pair to a match
    if 0.5 * jw + 0.5 + PHONETIC_BOOST * 0.5 < MIN_TOKEN_SIM {
        return 0.0;
    }
    let edit = sim::edit_similarity(q, v);
    let mut s = 0.5 * edit + 0.5 * jw;
    // a phonetic key with fewer than two firm consonants (tao/tai, yan/yun)
    // says little: no phonetic evidence for such tokens
    if phon_equal && firm_consonants(q) >= 2 && firm_consonants(v) >= 2 {
        // romanisation variants (husayn/hussein): a boost, and a floor for
        // longer tokens that already look alike
        s += (1.0 - s) * PHONETIC_BOOST;
        if lq.min(lv) >= 5 && edit >= 0.7 {
            s = s.max(PHONETIC_FLOOR);
        }
    }
    s
}

/// Consonants other than the weak h, j, w, y.
pub(super) fn firm_consonants(t: &str) -> usize {
    t.bytes()
        .filter(|b| {
            b.is_ascii_alphabetic()
                && !matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'h' | b'j' | b'w')
        })
        .count()
}

/// Weight of a partial match against a name romanised from Han, kana or
/// Hangul (see [`is_ideographic`]).
pub(super) const ROMANISED_FACTOR: f32 = 0.94;

/// Whether a listed name is written mostly in Han, kana or Hangul, whose
/// machine romanisation is one reading among several.
pub(super) fn is_ideographic(name: &str) -> bool {
    let (mut ideo, mut letters) = (0usize, 0usize);
    for c in name.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        ideo += usize::from(matches!(u32::from(c),
            0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F));
    }
    letters > 0 && ideo * 2 > letters
}

pub(super) fn tok_sim(q: &QTok, v: &Token) -> f32 {
    token_sim_str(&q.text, q.kind, q.phon, &v.text, v.kind, v.phon)
}

/// Alignment of the query tokens with one candidate name.
pub(super) struct Alignment {
    qcov: f32,
    ccov: f32,
    phonetic: f32,
    aligned_informative: usize,
    informative: usize,
}

impl Index {
    pub(super) fn query_tokens(&self, name: &str) -> Vec<QTok> {
        let mut toks = normalize::tokens(name);
        toks.truncate(MAX_TOKENS);
        toks.into_iter()
            .map(|text| {
                let kind = normalize::token_kind(&text);
                let phon = index::hash(index::SALT_PHON, normalize::phonetic_key(&text).as_bytes());
                let vocab =
                    index::lookup(&self.exact, index::hash(index::SALT_EXACT, text.as_bytes()))
                        .find(|&v| self.vocab.get(v as usize).is_some_and(|t| t.text == text));
                QTok { text, kind, phon, vocab }
            })
            .collect()
    }

    /// Vocabulary tokens similar to `text`: exact, phonetic, one-deletion neighbours.
    pub(super) fn expand(
        &self,
        text: &str,
        kind: TokenKind,
        phon: u64,
        typos: bool,
        out: &mut Vec<(u32, f32)>,
    ) {
        out.clear();
        let consider = |v: u32, out: &mut Vec<(u32, f32)>| {
            if out.iter().any(|(x, _)| *x == v) {
                return;
            }
            if let Some(t) = self.vocab.get(v as usize) {
                let s = token_sim_str(text, kind, phon, &t.text, t.kind, t.phon);
                if s >= MIN_TOKEN_SIM {
                    out.push((v, s));
                }
            }
        };
        for v in index::lookup(&self.exact, index::hash(index::SALT_EXACT, text.as_bytes())) {
            consider(v, out);
        }
        if kind == TokenKind::Name {
            for v in index::lookup(&self.phon, phon) {
                consider(v, out);
            }
            if typos && text.len() >= index::DEL_MIN_LEN {
                let mut keys = Vec::with_capacity(text.len() + 1);
                index::deletions(text, |h| keys.push(h));
                for h in keys {
                    for v in index::lookup(&self.dels, h) {
                        consider(v, out);
                    }
                }
            }
        }
    }

    pub(super) fn unknown_weight(&self, kind: TokenKind) -> f32 {
        let idf = (1.0 + self.names.len().max(1) as f32).ln();
        match kind {
            TokenKind::Stop => idf * index::STOP_FACTOR,
            TokenKind::Initial => idf * index::INITIAL_FACTOR,
            TokenKind::Name | TokenKind::Number => idf * 0.85,
        }
    }

    /// Similarity of query token `i` and vocabulary token `v`: from the
    /// retrieval expansions when there, else computed for plausible pairs
    /// (same first letter, close lengths) and cached for the query.
    pub(super) fn pair_sim(
        &self,
        q: &[QTok],
        exp: &[Vec<(u32, f32)>],
        cache: &mut std::collections::HashMap<(u32, u32), f32>,
        i: usize,
        v: u32,
    ) -> f32 {
        if let Some(e) = exp.get(i)
            && let Ok(k) = e.binary_search_by_key(&v, |x| x.0)
        {
            return e[k].1;
        }
        let (Some(qt), Some(t)) = (q.get(i), self.vocab.get(v as usize)) else { return 0.0 };
        if qt.text.as_bytes().first() != t.text.as_bytes().first()
            || qt.text.len().abs_diff(t.text.len()) > 2
        {
            // initials still match their full token
            return if qt.text.len() == 1 || t.text.len() == 1 { tok_sim(qt, t) } else { 0.0 };
        }
        *cache.entry((i as u32, v)).or_insert_with(|| tok_sim(qt, t))
    }

    pub(super) fn align(
        &self,
        q: &[QTok],
        exp: &[Vec<(u32, f32)>],
        cache: &mut std::collections::HashMap<(u32, u32), f32>,
        name: &index::Name,
    ) -> Alignment {
        let ct = self.tokens_of(name);
        let ct = &ct[..ct.len().min(MAX_TOKENS)];
        let vt = |j: usize| ct.get(j).and_then(|&v| self.vocab.get(v as usize));
        // a name made only of generic words ("INDUSTRIAL BANK", "B-FINANCE
        // LTD") is matched on those words at full weight
        let all_generic = (0..ct.len())
            .filter_map(vt)
            .all(|t| !matches!(t.kind, TokenKind::Name | TokenKind::Number));
        let weight = |t: &Token| if all_generic { t.idf } else { t.weight };
        // options: (sim, query mask, candidate mask)
        let mut options: Vec<(f32, u32, u32)> = Vec::with_capacity(q.len() * ct.len() + 8);
        for (i, qt) in q.iter().enumerate() {
            let _ = qt;
            for (j, &v) in ct.iter().enumerate() {
                let s = self.pair_sim(q, exp, cache, i, v);
                if s >= MIN_TOKEN_SIM {
                    options.push((s, 1 << i, 1 << j));
                }
            }
        }
        // concatenations: query `abdulrahman` vs listed `abdul rahman`, and back
        let mut buf = String::new();
        for (i, qt) in q.iter().enumerate() {
            if qt.kind == TokenKind::Number {
                continue;
            }
            for j in 0..ct.len().saturating_sub(1) {
                let (Some(a), Some(b)) = (vt(j), vt(j + 1)) else { continue };
                if a.text.as_bytes().first() != qt.text.as_bytes().first()
                    || qt.text.len().abs_diff(a.text.len() + b.text.len()) > 2
                {
                    continue;
                }
                buf.clear();
                buf.push_str(&a.text);
                buf.push_str(&b.text);
                let s = token_sim_str(&qt.text, TokenKind::Name, 0, &buf, TokenKind::Name, 1);
                if s >= MERGE_SIM {
                    options.push((s, 1 << i, 0b11 << j));
                }
            }
        }
        for i in 0..q.len().saturating_sub(1) {
            let (a, b) = (&q[i], &q[i + 1]);
            for j in 0..ct.len() {
                let Some(v) = vt(j) else { continue };
                if v.text.as_bytes().first() != a.text.as_bytes().first()
                    || v.text.len().abs_diff(a.text.len() + b.text.len()) > 2
                {
                    continue;
                }
                buf.clear();
                buf.push_str(&a.text);
                buf.push_str(&b.text);
                let s = token_sim_str(&buf, TokenKind::Name, 0, &v.text, TokenKind::Name, 1);
                if s >= MERGE_SIM {
                    options.push((s, 0b11 << i, 1 << j));
                }
            }
        }
        // best similarity first; on a tie, the option covering more tokens
        options.sort_by(|x, y| {
            y.0.total_cmp(&x.0).then(
                (y.1.count_ones() + y.2.count_ones()).cmp(&(x.1.count_ones() + x.2.count_ones())),
            )
        });
        let (mut qused, mut cused) = (0u32, 0u32);
        let mut qw = vec![0.0f32; q.len()];
        let mut qsim = vec![0.0f32; q.len()];
        let mut qphon = vec![false; q.len()];
        let mut matched_c = 0.0f32;
        let mut phon_num = 0.0f32;
        for (s, qm, cm) in options {
            if qm & qused != 0 || cm & cused != 0 {
                continue;
            }
            qused |= qm;
            cused |= cm;
            let wc: f32 =
                (0..ct.len()).filter(|j| cm & (1 << j) != 0).filter_map(vt).map(weight).sum();
            matched_c += s * wc;
            let nq = qm.count_ones() as f32;
            for i in (0..q.len()).filter(|i| qm & (1 << i) != 0) {
                // a query token weighs what the listed token it matched weighs
                qw[i] = wc / nq;
                qsim[i] = s;
                let single = cm.count_ones() == 1 && qm.count_ones() == 1;
                qphon[i] = single
                    && (0..ct.len())
                        .filter(|j| cm & (1 << j) != 0)
                        .filter_map(vt)
                        .any(|t| t.phon == q[i].phon);
            }
        }
        let total_c: f32 = (0..ct.len()).filter_map(vt).map(weight).sum();
        let mut total_q = 0.0f32;
        let mut matched_q = 0.0f32;
        let (mut informative, mut aligned_informative) = (0usize, 0usize);
        for (i, qt) in q.iter().enumerate() {
            let informative_tok = matches!(qt.kind, TokenKind::Name | TokenKind::Number)
                || (all_generic && qt.kind == TokenKind::Stop);
            informative += usize::from(informative_tok);
            if qused & (1 << i) != 0 {
                total_q += qw[i];
                matched_q += qsim[i] * qw[i];
                if qphon[i] {
                    phon_num += qw[i];
                }
                aligned_informative += usize::from(informative_tok && qsim[i] >= 0.8);
            } else {
                let kind = if all_generic && qt.kind == TokenKind::Stop {
                    TokenKind::Name
                } else {
                    qt.kind
                };
                let w = qt
                    .vocab
                    .and_then(|v| self.vocab.get(v as usize))
                    .filter(|t| !t.pair)
                    .map(weight)
                    .unwrap_or_else(|| self.unknown_weight(kind));
                total_q += w;
            }
        }
        Alignment {
            qcov: if total_q > 0.0 { matched_q / total_q } else { 0.0 },
            ccov: if total_c > 0.0 { matched_c / total_c } else { 0.0 },
            phonetic: if matched_q > 0.0 { phon_num / total_q.max(1e-6) } else { 0.0 },
            aligned_informative,
            informative,
        }
    }

    pub(super) fn name_score(a: &Alignment) -> f32 {
        let mut s = 0.5 * (a.qcov + a.ccov);
        if a.aligned_informative == 0 {
            // only honorifics, legal forms or initials matched
            s *= 0.4;
        } else if a.informative >= 2 && a.aligned_informative == 1 {
            // one token of a multi-token name cannot carry a match
            s *= 0.7;
        }
        s
    }

    /// Retrieval + scoring of every candidate name; best name per entry,
    /// sorted by score, no threshold.
    /// The query's tokens and their expansions over the vocabulary.
    pub(super) fn prepare(&self, query: &Query) -> Result<Prepared> {
        let q = self.query_tokens(&query.name);
        if q.is_empty() {
            return Err(ScreeningError::InvalidQuery("the name has no letters or digits"));
        }
        let mut expansions: Vec<Vec<(u32, f32)>> = Vec::with_capacity(q.len() * 2);
        let mut buf = Vec::new();
        for t in &q {
            self.expand(&t.text, t.kind, t.phon, true, &mut buf);
            buf.sort_unstable_by_key(|x| x.0);
            expansions.push(buf.clone());
        }
        for w in q.windows(2) {
            let joined = format!("{}{}", w[0].text, w[1].text);
            let phon = index::hash(index::SALT_PHON, normalize::phonetic_key(&joined).as_bytes());
            self.expand(&joined, TokenKind::Name, phon, false, &mut buf);
            buf.retain(|(_, s)| *s >= MERGE_SIM);
            expansions.push(buf.clone());
        }
        let country = query.country.as_deref().map(crate::country::normalise);
        Ok(Prepared { q, expansions, country, cache: std::collections::HashMap::new() })
    }

    /// Every entry the retrieval finds, scored on its best name, best first.
    pub(super) fn score_all(
        &self,
        p: &mut Prepared,
        query: &Query,
        policy: &Policy,
    ) -> Result<Vec<Scored>> {
        let (q, expansions) = (&p.q, &p.expansions);
        let has_rare = expansions[..q.len()].iter().flatten().any(|(v, _)| {
            self.vocab.get(*v as usize).is_some_and(|t| t.df <= MAX_DF && t.kind != TokenKind::Stop)
        });
        let candidates: Vec<u32> = SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (acc, touched, cur, cur_touched) = &mut *guard;
            if acc.len() != self.names.len() {
                *acc = vec![0.0; self.names.len()];
            }
            touched.clear();
            if cur.len() != self.names.len() {
                *cur = vec![0.0; self.names.len()];
            }
            for exp in expansions {
                // a name counts once per query token: its best expansion
                cur_touched.clear();
                for &(v, s) in exp {
                    let Some(t) = self.vocab.get(v as usize) else { continue };
                    if has_rare && (t.df > MAX_DF || t.kind == TokenKind::Stop) {
                        continue;
                    }
                    let w = s * t.weight.max(0.05);
                    for &n in self.postings_of(v) {
                        let Some(c) = cur.get_mut(n as usize) else { continue };
                        if *c == 0.0 {
                            cur_touched.push(n);
                        }
                        if w > *c {
                            *c = w;
                        }
                    }
                }
                for &n in cur_touched.iter() {
                    let (Some(c), Some(a)) = (cur.get_mut(n as usize), acc.get_mut(n as usize))
                    else {
                        continue;
                    };
                    if *a == 0.0 {
                        touched.push(n);
                    }
                    *a += *c;
                    *c = 0.0;
                }
            }
            // rank by evidence, favouring names that the evidence mostly covers
            let mut cands: Vec<(f32, u32)> = touched
                .iter()
                .map(|&n| {
                    let a = acc[n as usize];
                    let total =
                        self.names.get(n as usize).map(|x| x.total_weight).unwrap_or(1.0).max(1e-3);
                    (a * (0.5 + 0.5 * (a / total).min(1.0)), n)
                })
                .collect();
            for &n in touched.iter() {
                acc[n as usize] = 0.0;
            }
            let k = policy.candidates.max(1);
            if cands.len() > k {
                cands.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
                cands.truncate(k);
            }
            let out: Vec<u32> = cands.into_iter().map(|(_, n)| n).collect();
            out
        });
        let mut best: Vec<Scored> = Vec::with_capacity(candidates.len());
        for n in candidates {
            let Some(s) = self.score_name(p, query, n) else { continue };
            let Some(entry) = self.names.get(n as usize).map(|x| x.entry) else { continue };
            match best
                .iter_mut()
                .find(|b| self.names.get(b.name as usize).is_some_and(|x| x.entry == entry))
            {
                Some(b) if b.score >= s.score => {}
                Some(b) => *b = s,
                None => best.push(s),
            }
        }
        best.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(best)
    }

    /// One entry's best-scoring name for a prepared query (an entry the
    /// retrieval did not reach, e.g. a linked listing of the same subject).
    pub(super) fn score_entry(
        &self,
        p: &mut Prepared,
        query: &Query,
        entry: u32,
    ) -> Option<Scored> {
        let first = self.names.partition_point(|n| n.entry < entry);
        let last = self.names.partition_point(|n| n.entry <= entry);
        (first..last)
            .filter_map(|n| self.score_name(p, query, n as u32))
            .max_by(|a, b| a.score.total_cmp(&b.score))
    }

    /// Scores one indexed name: alignment, then date of birth, country and
    /// type evidence.
    fn score_name(&self, p: &mut Prepared, query: &Query, n: u32) -> Option<Scored> {
        let name = self.names.get(n as usize)?;
        let entry = self.entries.get(name.entry as usize)?;
        let a = self.align(&p.q, &p.expansions, &mut p.cache, name);
        let mut name_score = Self::name_score(&a);
        if name.quality == AliasQuality::Weak {
            name_score *= 0.92;
        }
        // Han, kana and Hangul names are matched through a machine
        // romanisation that picks one reading of many (王 is Wang, Vuong
        // or Ong): only an exact reading is strong evidence, a partial one
        // is left to the entry's Latin-script names.
        if name_score < 0.97 && is_ideographic(self.name_text(name)) {
            name_score *= ROMANISED_FACTOR;
        }
        let dob = dob_agreement(query.dob, &entry.dates_of_birth);
        let country = country_agreement(p.country.as_deref(), entry);
        let type_ok = query.entity_type.is_none_or(|t| t.compatible(entry.entity_type));
        let mut score = name_score
            + match dob {
                DobAgreement::Exact => 0.06,
                DobAgreement::Year => 0.03,
                DobAgreement::WithinOneYear => 0.0,
                DobAgreement::Contradicts => -0.12,
                DobAgreement::Unknown => 0.0,
            }
            + match country {
                CountryAgreement::Agrees => 0.03,
                CountryAgreement::Address => 0.01,
                CountryAgreement::Contradicts => -0.04,
                CountryAgreement::Unknown => 0.0,
            };
        if !type_ok {
            score -= 0.25;
        }
        Some(Scored {
            name: n,
            name_score,
            phonetic: a.phonetic,
            score: score.clamp(0.0, 1.0),
            dob,
            country,
            type_ok,
        })
    }
}

/// Compares a query date of birth with an entry's listed dates.
pub fn dob_agreement(query: Option<BirthDate>, listed: &[BirthDate]) -> DobAgreement {
    let Some(q) = query else { return DobAgreement::Unknown };
    if listed.is_empty() {
        return DobAgreement::Unknown;
    }
    let (qa, qb) = q.years();
    let mut best = DobAgreement::Contradicts;
    for d in listed {
        let level =
            if matches!((q, d), (BirthDate::Exact { .. }, BirthDate::Exact { .. })) && q == *d {
                DobAgreement::Exact
            } else {
                let (la, lb) = d.years();
                if qa <= lb && la <= qb {
                    DobAgreement::Year
                } else if qa <= lb + 1 && la <= qb + 1 {
                    DobAgreement::WithinOneYear
                } else {
                    DobAgreement::Contradicts
                }
            };
        let rank = |a: DobAgreement| match a {
            DobAgreement::Exact => 3,
            DobAgreement::Year => 2,
            DobAgreement::WithinOneYear => 1,
            _ => 0,
        };
        if rank(level) > rank(best) {
            best = level;
        }
    }
    best
}

pub(super) fn country_agreement(q: Option<&str>, e: &Entry) -> CountryAgreement {
    let Some(q) = q else { return CountryAgreement::Unknown };
    if e.nationalities.iter().any(|n| n.eq_ignore_ascii_case(q)) {
        CountryAgreement::Agrees
    } else if e.address_countries.iter().any(|n| n.eq_ignore_ascii_case(q)) {
        CountryAgreement::Address
    } else if !e.nationalities.is_empty() && e.nationalities.iter().all(|n| n.len() == 2) {
        CountryAgreement::Contradicts
    } else {
        CountryAgreement::Unknown
    }
}
