//! Word error rate: (substitutions + deletions + insertions) / reference
//! words, after both texts are normalised the same way (lower case, no
//! punctuation, digits kept).

/// Splits text into comparable words.
pub fn normalise(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(|w| w.trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Edit distance in words between the reference and the hypothesis, and the
/// number of reference words.
pub fn errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = normalise(reference);
    let h = normalise(hypothesis);
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    let mut cur = vec![0; h.len() + 1];
    for (i, rw) in r.iter().enumerate() {
        cur[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let sub = prev[j] + usize::from(rw != hw);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[h.len()], r.len())
}

/// The word error rate of one pair (0.0 is perfect; it can exceed 1.0).
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let (e, n) = errors(reference, hypothesis);
    e as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_substitutions_deletions_and_insertions() {
        assert_eq!(errors("the cat sat", "the cat sat"), (0, 3));
        assert_eq!(errors("The cat, sat.", "the cat sat"), (0, 3));
        assert_eq!(errors("the cat sat", "the bat sat"), (1, 3));
        assert_eq!(errors("the cat sat", "the sat"), (1, 3));
        assert_eq!(errors("the cat sat", "the cat sat down"), (1, 3));
        assert_eq!(errors("a b c d", ""), (4, 4));
        assert!((word_error_rate("one two three four", "one too three") - 0.5).abs() < 1e-9);
        assert_eq!(
            errors("feber 38,9 på stue 12", "Feber 38,9 på stue 12."),
            (0, 6)
        );
    }
}
