//! Microsoft's documentation ([`DocIndex`](crate::model::docs::DocIndex)) rendered as doc
//! comments and put into the printed bindings (windows-bindgen emits none) and skeletons.
//!
//! The text is inserted into the printed text, not into the syntax trees: thousands of doc
//! attributes would make the trees (and their printing) a third larger for text that needs
//! no formatting. [`plan_item`] (for a bindings item) and [`plan_skeletons`] say what goes
//! where, as [`Insertion`]s keyed by the printed lines they precede (`impl IFoo`,
//! `pub unsafe fn Method`, `pub field:`, `pub trait Name`, `fn method`), and [`apply`] puts
//! each doc comment above its line and above the attributes and docs already there, so the
//! page's text comes first.
//!
//! Each documented item gets its page's description, then `# Arguments` (each parameter under
//! its Rust name when the binding has it), `# Return codes`, `# Remarks`, `# See also`, and a
//! last line naming the page (UID, address) and the licence. Items: interface structs,
//! interface methods (the caller's wrapper and the `_Impl` trait method), enums (the newtype
//! struct, and each constant with its enum's text), structs and their fields, functions.

use std::collections::BTreeSet;

mod apply;
mod plan;
mod text;

pub use apply::{apply, line_key};
pub use plan::{Insertion, plan_item, plan_skeletons};
pub use text::{field_text, item_text, method_text};

use crate::model::docs::DocPage;

/// Which pages a rendering used, and how many items got a doc comment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocUse {
    /// UIDs of the pages attached somewhere.
    pub pages: BTreeSet<String>,
    /// Binding items (and fields, constants, methods) that got a doc comment.
    pub items: usize,
    /// The Windows names of the items generated (`IFoo`, `IFoo.Method`, `SYNC_VERSION`), with
    /// a page or not: a page is due where its item is generated.
    pub seen: BTreeSet<String>,
    /// Methods of the skeleton traits.
    pub skeleton_methods: usize,
    /// Methods of the skeleton traits that got their page's text.
    pub skeleton_documented: usize,
    /// Skeleton methods (`IFoo::Method`) Microsoft publishes no page for.
    pub skeleton_without_page: Vec<String>,
}

impl DocUse {
    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: Self) {
        self.pages.extend(other.pages);
        self.seen.extend(other.seen);
        self.items += other.items;
        self.skeleton_methods += other.skeleton_methods;
        self.skeleton_documented += other.skeleton_documented;
        self.skeleton_without_page
            .extend(other.skeleton_without_page);
    }

    fn used(&mut self, page: &DocPage) {
        self.items += 1;
        if !self.pages.contains(&page.uid) {
            self.pages.insert(page.uid.clone());
        }
    }
}
