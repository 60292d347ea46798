//! One sort for the engine and the calculator.
//!
//! Each call of the standard library's sort with its own element type or comparison is a copy
//! of the whole sort algorithm: seventeen copies made 64 KB of the calculator's WebAssembly
//! (13 KB of its gzipped download). In WebAssembly, [`sort_by`] orders positions with one
//! shared copy, through a comparison of positions, and then puts the elements in place (a swap
//! per element at most). Natively, where size does not matter and millions of events are
//! sorted, it is the standard stable sort, or for large elements (a rated line) the same
//! positions first. Every path gives the order of a stable sort, so the two targets agree
//! element for element even when the comparison finds two elements equal.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, keeping elements that compare equal in their order (a stable sort).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    if std::mem::size_of::<T>() <= LARGE {
        v.sort_by(|a, b| cmp(a, b));
        return;
    }
    // In WebAssembly always (one shared copy of the sort); natively for a large element (a
    // rated line), which costs more to move than its position.
    let order = positions(v.len(), &mut |i, j| match (v.get(i), v.get(j)) {
        (Some(a), Some(b)) => cmp(a, b),
        _ => Ordering::Equal,
    });
    permute(v, order);
}

/// The size in bytes above which the native sort orders positions instead of elements.
#[cfg(not(target_arch = "wasm32"))]
const LARGE: usize = 64;

/// Sorts `v` in its natural order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The positions of `n` elements in sorted order: `order[k]` is the position of the element
/// that goes to `k`. Ties keep their order. Not generic, so there is one copy of the sort.
#[inline(never)]
fn positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    // With the position as the last key no two elements are equal, so the unstable sort gives
    // the one order, the stable one.
    order.sort_unstable_by(|&i, &j| cmp(i, j).then(i.cmp(&j)));
    order
}

/// Moves the elements so that position `k` holds the one that was at `order[k]`, following
/// each cycle of the permutation once (a swap per element at most).
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    debug_assert_eq!(v.len(), order.len());
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while let Some(from) = order.get_mut(at).map(|o| std::mem::replace(o, DONE)) {
            if from == DONE || from == start {
                break;
            }
            // `v[at]` takes the element from `from`; what `at` held (the one `start` wants in
            // the end) moves on to `from`, the next place to fill.
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position-ordering path (the one WebAssembly takes) against the standard stable sort,
    /// on many shapes of input, ties included.
    #[test]
    fn positions_and_permute_give_the_stable_order() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0usize, 1, 2, 3, 7, 20, 33, 100, 1000] {
            for spread in [1u64, 3, 50, 1 << 40] {
                // (key, original position): sorting by key alone must keep positions in order.
                let v: Vec<(u64, usize)> = (0..n).map(|i| (next() % spread, i)).collect();
                let mut want = v.clone();
                want.sort_by_key(|a| a.0);
                let mut got = v.clone();
                let order = positions(got.len(), &mut |i, j| got[i].0.cmp(&got[j].0));
                permute(&mut got, order);
                assert_eq!(got, want, "n = {n}, spread = {spread}");
            }
        }
    }

    /// Large elements take the positions path natively: the same stable order.
    #[test]
    fn large_elements_sort_stably() {
        let v: Vec<([u64; 16], usize)> = (0..500)
            .map(|i| ([(i * 7919 % 13) as u64; 16], i))
            .collect();
        assert!(std::mem::size_of::<([u64; 16], usize)>() > 64);
        let mut want = v.clone();
        want.sort_by_key(|a| a.0[0]);
        let mut got = v;
        sort_by(&mut got, |a, b| a.0[0].cmp(&b.0[0]));
        assert_eq!(got, want);
    }

    #[test]
    fn sort_by_is_stable() {
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
        let mut w = vec!["b".to_string(), "a".into(), "c".into(), "a".into()];
        sort(&mut w);
        assert_eq!(w, ["a", "a", "b", "c"]);
    }
}
