//! Looking a call up in the gateway's caches without building an owned key first: the
//! caches are keyed by owned pairs, and a call holds borrowed parts of one.

use quick_cache::Equivalent;

/// The borrowed form of a cache key `(A, B)`. Hashes as the owned pair does (fields in
/// order; `str` as `String`, `&T` as `T`).
#[derive(Debug, Hash)]
pub(crate) struct PairRef<'a, A: ?Sized, B: ?Sized>(pub &'a A, pub &'a B);

impl<A, B, OwnedA, OwnedB> Equivalent<(OwnedA, OwnedB)> for PairRef<'_, A, B>
where
    A: ?Sized + PartialEq<OwnedA>,
    B: ?Sized + PartialEq<OwnedB>,
{
    fn equivalent(&self, key: &(OwnedA, OwnedB)) -> bool {
        *self.0 == key.0 && *self.1 == key.1
    }
}

#[cfg(test)]
mod tests {
    use super::PairRef;

    #[test]
    fn a_borrowed_pair_finds_what_the_owned_one_stored() {
        let cache: quick_cache::sync::Cache<(String, String), u8> =
            quick_cache::sync::Cache::new(4);
        cache.insert(("a".to_owned(), "b".to_owned()), 1);
        cache.insert(("ab".to_owned(), String::new()), 2);
        assert_eq!(cache.get(&PairRef("a", "b")), Some(1));
        assert_eq!(cache.get(&PairRef("ab", "")), Some(2));
        assert_eq!(cache.get(&PairRef("a", "")), None);
        assert_eq!(cache.get(&PairRef("", "ab")), None);
    }
}
