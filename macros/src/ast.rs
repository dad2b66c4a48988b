//! The derive input as a typed model: which derive, the type, and its attribute options.

use syn::spanned::Spanned;

/// Which derive runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#[derive(SyncProvider)]`.
    Provider,
    /// `#[derive(SyncCallback)]`.
    Callback,
    /// `#[derive(SyncMgrHandler)]`.
    Handler,
}

impl Kind {
    /// The derive's name, as users write it.
    pub fn derive_name(self) -> &'static str {
        match self {
            Self::Provider => "SyncProvider",
            Self::Callback => "SyncCallback",
            Self::Handler => "SyncMgrHandler",
        }
    }

    /// The helper attribute's name.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Provider => "sync_provider",
            Self::Callback => "sync_callback",
            Self::Handler => "sync_mgr_handler",
        }
    }
}

/// What the derive was applied to.
pub struct Input<'a> {
    /// Which derive.
    pub kind: Kind,
    /// The item.
    pub item: &'a syn::DeriveInput,
    /// `crate = path` from the helper attribute: the runtime crate's path.
    pub krate: Option<syn::Path>,
    /// `item_container` (`#[derive(SyncMgrHandler)]` only): the handler also implements
    /// `SyncMgrSyncItemContainer`.
    pub item_container: bool,
}

impl<'a> Input<'a> {
    /// Reads the helper attributes; every unknown or malformed one is an error at its span,
    /// all of them combined.
    pub fn from_syn(item: &'a syn::DeriveInput, kind: Kind) -> syn::Result<Self> {
        let mut krate = None;
        let mut item_container = false;
        let mut errors: Option<syn::Error> = None;
        let mut push = |error: syn::Error| match &mut errors {
            Some(all) => all.combine(error),
            None => errors = Some(error),
        };
        for attr in item
            .attrs
            .iter()
            .filter(|a| a.path().is_ident(kind.attribute()))
        {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let path: syn::Path = meta.value()?.parse()?;
                    if krate.replace(path).is_some() {
                        return Err(meta.error("`crate` is given twice"));
                    }
                    Ok(())
                } else if kind == Kind::Handler && meta.path.is_ident("item_container") {
                    if std::mem::replace(&mut item_container, true) {
                        return Err(meta.error("`item_container` is given twice"));
                    }
                    Ok(())
                } else {
                    let name = meta
                        .path
                        .get_ident()
                        .map_or_else(|| "?".to_string(), ToString::to_string);
                    let expected = if kind == Kind::Handler {
                        "the ones there are: `crate = path`, `item_container`"
                    } else {
                        "the only one is `crate = path`"
                    };
                    Err(syn::Error::new(
                        meta.path.span(),
                        format!(
                            "unknown `{}` attribute `{name}`; {expected}",
                            kind.attribute()
                        ),
                    ))
                }
            });
            if let Err(error) = parsed {
                push(error);
            }
        }
        match errors {
            Some(error) => Err(error),
            None => Ok(Self {
                kind,
                item,
                krate,
                item_container,
            }),
        }
    }
}
