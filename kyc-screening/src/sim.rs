//! String similarity on short ASCII tokens, allocation-free.

const MAX: usize = 48;

/// Optimal-string-alignment distance (Levenshtein plus adjacent
/// transpositions) for tokens up to 48 bytes; longer inputs are cut.
pub(crate) fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    let a = &a[..a.len().min(MAX)];
    let b = &b[..b.len().min(MAX)];
    let (n, m) = (a.len(), b.len());
    if n == 0 {
        return m;
    }
    if m == 0 {
        return n;
    }
    let (mut r0, mut r1, mut r2) = ([0u8; MAX + 1], [0u8; MAX + 1], [0u8; MAX + 1]);
    let (mut prev2, mut prev, mut cur) = (&mut r0, &mut r1, &mut r2);
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j as u8;
    }
    for i in 1..=n {
        cur[0] = i as u8;
        let ai = a[i - 1];
        for j in 1..=m {
            let cost = u8::from(ai != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    usize::from(prev[m])
}

/// 1 − distance / longer length.
pub(crate) fn edit_similarity(a: &str, b: &str) -> f32 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    1.0 - osa_distance(a.as_bytes(), b.as_bytes()) as f32 / longer.min(MAX) as f32
}

/// Jaro-Winkler similarity (prefix scale 0.1, up to 4 characters).
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f32 {
    let a = &a.as_bytes()[..a.len().min(MAX)];
    let b = &b.as_bytes()[..b.len().min(MAX)];
    if a.is_empty() || b.is_empty() {
        return if a.len() == b.len() { 1.0 } else { 0.0 };
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_m = [false; MAX];
    let mut b_m = [false; MAX];
    let mut matches = 0usize;
    for i in 0..a.len() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_m[j] && a[i] == b[j] {
                a_m[i] = true;
                b_m[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0usize;
    for i in 0..a.len() {
        if a_m[i] {
            while !b_m[k] {
                k += 1;
            }
            if a[i] != b[k] {
                transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f32;
    let jaro =
        (m / a.len() as f32 + m / b.len() as f32 + (m - transpositions as f32 / 2.0) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f32;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distances() {
        assert_eq!(osa_distance(b"kitten", b"sitting"), 3);
        assert_eq!(osa_distance(b"abcd", b"abdc"), 1);
        assert_eq!(osa_distance(b"", b"abc"), 3);
        assert!((jaro_winkler("martha", "marhta") - 0.961).abs() < 0.01);
        assert!((edit_similarity("hussein", "husein") - 6.0 / 7.0).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn similarities_are_bounded_and_symmetric(a in "[a-z]{0,60}", b in "[a-z]{0,60}") {
            let e = edit_similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&e));
            prop_assert_eq!(osa_distance(a.as_bytes(), b.as_bytes()), osa_distance(b.as_bytes(), a.as_bytes()));
            let j = jaro_winkler(&a, &b);
            prop_assert!((0.0..=1.0001).contains(&j));
        }
    }
}
