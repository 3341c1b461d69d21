//! The deadlines of open instances, earliest first. A fixed `within` after
//! triggers taken in time order gives deadlines in order, so they go to a
//! plain queue (constant time each); any that come out of order (keys
//! re-added after forgetting, a calendar's odd day) go to a binary heap.
//! Popping takes the smaller of the two heads: the order is exactly a
//! single heap's, by deadline, then key offset.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use jiff::Timestamp;

/// A deadline and the key offset of its instance.
pub(crate) type Timer = (Timestamp, u64);

#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// Timers pushed in order.
    queue: VecDeque<Timer>,
    /// The others.
    heap: BinaryHeap<Reverse<Timer>>,
}

impl Timers {
    pub(crate) fn push(&mut self, t: Timer) {
        if self.queue.back().is_none_or(|last| *last <= t) {
            self.queue.push_back(t);
        } else {
            self.heap.push(Reverse(t));
        }
    }

    /// The earliest timer.
    pub(crate) fn peek(&self) -> Option<Timer> {
        match (self.queue.front(), self.heap.peek()) {
            (Some(q), Some(Reverse(h))) => Some(*q.min(h)),
            (Some(q), None) => Some(*q),
            (None, Some(Reverse(h))) => Some(*h),
            (None, None) => None,
        }
    }

    /// Removes the earliest timer.
    pub(crate) fn pop(&mut self) -> Option<Timer> {
        let from_queue = match (self.queue.front(), self.heap.peek()) {
            (Some(q), Some(Reverse(h))) => q <= h,
            (q, _) => q.is_some(),
        };
        if from_queue {
            self.queue.pop_front()
        } else {
            self.heap.pop().map(|Reverse(t)| t)
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// Pops in the order one binary heap pops, whatever the push order.
    #[test]
    fn timers_pop_as_one_heap_would() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..200 {
            let (mut t, mut heap) = (Timers::default(), BinaryHeap::new());
            let mut clock = 0i64;
            for _ in 0..300 {
                // Mostly in order (a trigger's deadline), some out of
                // order, some ties; pops in between.
                clock += i64::try_from(next() % 3).unwrap();
                let d = if next() % 5 == 0 {
                    clock - i64::try_from(next() % 50).unwrap()
                } else {
                    clock + round % 7
                };
                let timer = (Timestamp::from_second(d).unwrap(), next() % 4);
                t.push(timer);
                heap.push(Reverse(timer));
                if next() % 3 == 0 {
                    assert_eq!(t.peek(), heap.peek().map(|r| r.0));
                    assert_eq!(t.pop(), heap.pop().map(|r| r.0));
                }
            }
            while let Some(Reverse(want)) = heap.pop() {
                assert_eq!(t.pop(), Some(want));
            }
            assert_eq!((t.peek(), t.pop()), (None, None));
        }
    }
}
