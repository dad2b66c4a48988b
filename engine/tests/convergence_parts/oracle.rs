//! The oracle: what a replica knows of an item's writes, and how a change must be classified.

use super::*;

impl World {
    /// The deletions of `item` replica `n` knows.
    pub(crate) fn deletions_known(&self, n: usize, item: &Item) -> Vec<WriteId> {
        self.nodes[n]
            .known
            .iter()
            .copied()
            .filter(|&w| self.writes[w].item == *item && self.writes[w].deleted)
            .collect()
    }

    /// The oracle's classification of a change of `item` from `s` to `d`.
    /// A node's unit writes of `item`.
    pub(crate) fn unit_writes(&self, n: usize, item: &Item) -> BTreeMap<u8, WriteId> {
        self.nodes[n]
            .units
            .range((*item, 0)..=(*item, u8::MAX))
            .map(|((_, u), w)| (*u, *w))
            .collect()
    }

    /// The oracle's classification of a change of `item` from `s` to `d`: unit by unit
    /// (`Some` unit) when the source has unit writes of it, the destination knows the
    /// source's write of the whole item and holds the item live; else whole (`None`).
    pub(crate) fn classify(&self, s: usize, d: usize, item: &Item) -> Classes {
        let ws = self.nodes[s].current[item];
        let theirs = self.unit_writes(s, item);
        let dest = &self.nodes[d];
        let live = dest
            .current
            .get(item)
            .is_some_and(|&w| !self.writes[w].deleted);
        if theirs.is_empty() || !dest.known.contains(&ws) || !live {
            return vec![(None, self.expected(s, d, item))];
        }
        let ours = self.unit_writes(d, item);
        theirs
            .iter()
            .map(|(&u, &su)| {
                let here = ours.get(&u).copied().unwrap_or(dest.current[item]);
                let e = if dest.known.contains(&su) {
                    Expected::Known
                } else if self.nodes[s].known.contains(&here) {
                    Expected::Apply
                } else {
                    Expected::Conflict
                };
                (Some(u), e)
            })
            .collect()
    }

    /// The oracle's classification of a change of `item` from `s` to `d` decided whole.
    pub(crate) fn expected(&self, s: usize, d: usize, item: &Item) -> Expected {
        let ws = self.nodes[s].current[item];
        if self.nodes[d].known.contains(&ws)
            && self
                .unit_writes(s, item)
                .values()
                .all(|w| self.nodes[d].known.contains(w))
        {
            return Expected::Known;
        }
        match self.nodes[d].current.get(item) {
            // The destination does not hold the item. If it knows the item's lifecycle, it
            // knows the item was deleted (else it would hold it): those deletions compete
            // with a live source write.
            None => {
                let creation = self.writes[ws].creation;
                if self.writes[ws].deleted || !self.nodes[d].known.contains(&creation) {
                    // A deletion, or a lifecycle the destination never saw (created again, or
                    // independently on two replicas): applied; reissued as the destination's
                    // write when the source may not know a deletion the destination forgot,
                    // else the deletions it knew stay unsuperseded (a lost write).
                    return Expected::Apply;
                }
                let unseen = self
                    .deletions_known(d, item)
                    .into_iter()
                    .any(|w| !self.nodes[s].known.contains(&w));
                if unseen {
                    Expected::Conflict
                } else {
                    // Forgotten knowledge over-approximates the deletion: a conflict may be
                    // seen where the source knew it.
                    Expected::ApplyOrConflict
                }
            }
            Some(wd)
                if self.nodes[s].known.contains(wd)
                    && self
                        .unit_writes(d, item)
                        .values()
                        .all(|w| self.nodes[s].known.contains(w)) =>
            {
                Expected::Apply
            }
            Some(_) => Expected::Conflict,
        }
    }
}
