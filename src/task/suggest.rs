//! "Did you mean …?" for a task id that names no task: the ids closest to it.

/// Up to three ids close to `wanted` (a small edit distance, or one containing the other),
/// closest first.
pub(crate) fn close_ids<'a>(wanted: &str, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = ids
        .into_iter()
        .filter_map(|id| {
            let lower = id.to_lowercase();
            // A swap of two letters is one typo, not two.
            let distance = strsim::osa_distance(&wanted_lower, &lower);
            let limit = (wanted.chars().count() / 3).clamp(1, 3);
            let contains = wanted_lower.len() >= 3
                && (lower.contains(&wanted_lower) || wanted_lower.contains(&lower));
            (distance <= limit || contains).then_some((distance, id))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, id)| id.to_owned())
        .collect()
}

/// `; did you mean a, b?` or nothing.
pub(crate) fn did_you_mean(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_and_parts_are_suggested_and_strangers_are_not() {
        let ids = ["auth", "auth-login", "schema", "ui"];
        assert_eq!(close_ids("atuh", ids), ["auth"]);
        assert_eq!(close_ids("login", ids), ["auth-login"]);
        assert_eq!(close_ids("schma", ids), ["schema"]);
        assert!(close_ids("database", ids).is_empty());
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["auth".to_owned()]), "; did you mean auth?");
    }
}
