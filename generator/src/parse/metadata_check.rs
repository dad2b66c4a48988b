//! Checks the metadata for what windows-bindgen would mishandle without a panic to contain:
//!
//! - cycles it would follow without end: a type nested in itself, an interface that is its own
//!   base, a struct that holds itself by value. It recurses or loops on each; the recursion ends
//!   in a stack overflow, which aborts the process and cannot be contained like a panic;
//! - values it copies into Rust that does not compile: a ClassLayout packing size that is not a
//!   power of two (`#[repr(C, packed(0))]`), an ImplMap with an empty library or entry-point
//!   name (`link!("" ...)`).

use std::collections::BTreeSet;

use windows_metadata::Type;
use windows_metadata::reader::{AsRow, Index, Item, MethodDef, TypeCategory, TypeDef};

/// The deepest nesting or by-value containment accepted. Windows metadata nests a few levels;
/// a deeper chain is corrupt, and walking it (here or in windows-bindgen) could exhaust the stack.
const MAX_DEPTH: usize = 64;

/// A problem found in the metadata: the file it is in (position in the input order) and what
/// is wrong, naming the type and the ECMA-335 table and row.
#[derive(Debug)]
pub struct Problem {
    /// Position of the file in the inputs.
    pub file: usize,
    /// What is wrong, e.g. ``type `N.A` (TypeDef row 2) is nested in itself (table NestedClass)``.
    pub reason: String,
}

/// Checks every type and function of `index`. Visits each nested type, base interface and
/// by-value struct field once per walk; linear in the size of the metadata.
pub fn check(index: &Index) -> Result<(), Problem> {
    let mut roots = Vec::new();
    let mut functions = Vec::new();
    for (namespace, _, item) in index.iter_items() {
        match item {
            Item::Type(def) => roots.push(def),
            Item::Fn(method) => functions.push((namespace, method)),
            Item::Const(field) => {
                if !is_identifier(field.name()) {
                    let at = field.to_row();
                    return Err(not_identifier(
                        at.file,
                        &format!("constant in `{namespace}`"),
                        "its name",
                        field.name(),
                        "Field",
                        at.pos + 1,
                    ));
                }
            }
        }
    }
    roots.sort();
    roots.dedup();
    functions.sort_by_key(|(_, method)| *method);
    for (namespace, method) in functions {
        check_import(namespace, method)?;
        let owner = format!("function `{namespace}.{}`", method.name());
        check_method_names(&owner, method)?;
        check_param_sequences(&owner, method, &[])?;
    }

    // Nested types, and every struct (top-level or nested) for the by-value walk below.
    let mut structs = Vec::new();
    let mut nested_done = BTreeSet::new();
    for &root in &roots {
        walk_nested(index, root, &mut Vec::new(), &mut nested_done, &mut structs)?;
    }
    for &root in &roots {
        check_extends(index, root)?;
        if root.category() == TypeCategory::Interface {
            check_bases(index, root)?;
        }
    }
    for &def in roots.iter().chain(&structs) {
        check_type_names(def)?;
    }
    let mut value_done = BTreeSet::new();
    for &def in &structs {
        check_packing(def)?;
        walk_values(index, def, &mut Vec::new(), &mut value_done)?;
    }
    Ok(())
}

/// A packing size becomes `#[repr(C, packed(N))]`, which takes a power of two only.
fn check_packing(def: TypeDef) -> Result<(), Problem> {
    if let Some(layout) = def.class_layout() {
        let packing = layout.packing_size();
        if !packing.is_power_of_two() {
            return Err(problem(
                def,
                format!(
                    "{} has packing size {packing}, not a power of two (table ClassLayout)",
                    describe(def)
                ),
            ));
        }
    }
    Ok(())
}

/// A function's ImplMap row becomes `link!("library" "abi" "entry point" fn ...)`; an empty
/// library or entry-point name gives Rust that does not compile. Rows windows-bindgen skips
/// (`FORCEINLINE`, ordinal imports) are not checked.
fn check_import(namespace: &str, method: MethodDef) -> Result<(), Problem> {
    let Some(map) = method.impl_map() else {
        return Ok(());
    };
    let library = map.import_scope().name();
    let entry_point = map.import_name();
    if library == "FORCEINLINE" || entry_point.starts_with('#') {
        return Ok(());
    }
    let missing = if library.trim().is_empty() {
        "library name"
    } else if entry_point.trim().is_empty() {
        "entry-point name"
    } else {
        return Ok(());
    };
    Err(Problem {
        file: method.to_row().file,
        reason: format!(
            "function `{namespace}.{}` (MethodDef row {}) has an empty {missing} (table ImplMap)",
            method.name(),
            method.to_row().pos + 1
        ),
    })
}

/// Whether windows-bindgen can write `name` as a Rust identifier (a WinRT generic's arity
/// suffix, `` `1 ``, aside).
fn is_identifier(name: &str) -> bool {
    let base = match name.split_once('`') {
        Some((base, arity)) if !arity.is_empty() && arity.bytes().all(|b| b.is_ascii_digit()) => {
            base
        }
        Some(_) => return false,
        None => name,
    };
    let mut chars = base.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn not_identifier(
    file: usize,
    owner: &str,
    what: &str,
    name: &str,
    table: &str,
    row: usize,
) -> Problem {
    Problem {
        file,
        reason: format!(
            "{owner}: {what} `{}` is not an identifier, and the Rust emitted for it would not \
             compile (table {table} row {row})",
            name.escape_debug()
        ),
    }
}

/// The names of a type, its fields, methods and parameters, which the bindings spell out.
fn check_type_names(def: TypeDef) -> Result<(), Problem> {
    if def.category() == TypeCategory::Attribute {
        return Ok(());
    }
    let owner = describe(def);
    let row = def.to_row();
    if !is_identifier(def.name()) {
        return Err(not_identifier(
            row.file,
            &owner,
            "its name",
            def.name(),
            "TypeDef",
            row.pos + 1,
        ));
    }
    for field in def.fields() {
        if !is_identifier(field.name()) {
            let at = field.to_row();
            return Err(not_identifier(
                at.file,
                &owner,
                "field",
                field.name(),
                "Field",
                at.pos + 1,
            ));
        }
    }
    let generics: Vec<Type> = def
        .generic_params()
        .map(|param| Type::Generic(param.name().to_string(), param.sequence()))
        .collect();
    for method in def.methods() {
        check_method_names(&owner, method)?;
        check_param_sequences(&owner, method, &generics)?;
    }
    Ok(())
}

/// Param rows' sequence numbers against the signature: windows-bindgen reports a row past the
/// signature's parameters on stderr and goes on without the parameters' names and attributes.
fn check_param_sequences(owner: &str, method: MethodDef, generics: &[Type]) -> Result<(), Problem> {
    let count = method.signature(generics).types.len();
    match method.params_by_sequence(count) {
        Ok(_) => Ok(()),
        Err(error) => {
            let at = method.to_row();
            Err(Problem {
                file: at.file,
                reason: format!(
                    "{owner}: method `{}` (MethodDef row {}) has parameter rows that do not \
                     match its signature: {error} (table Param)",
                    method.name(),
                    at.pos + 1
                ),
            })
        }
    }
}

/// A method's name (constructors aside) and its parameters' names.
fn check_method_names(owner: &str, method: MethodDef) -> Result<(), Problem> {
    let at = method.to_row();
    if !method.name().starts_with('.') && !is_identifier(method.name()) {
        return Err(not_identifier(
            at.file,
            owner,
            "method",
            method.name(),
            "MethodDef",
            at.pos + 1,
        ));
    }
    for param in method.params() {
        let name = param.name();
        if !name.is_empty() && !is_identifier(name) {
            let row = param.to_row();
            return Err(not_identifier(
                row.file,
                owner,
                "parameter",
                name,
                "Param",
                row.pos + 1,
            ));
        }
    }
    Ok(())
}

fn describe(def: TypeDef) -> String {
    let row = def.to_row().pos + 1;
    if def.namespace().is_empty() {
        format!("nested type `{}` (TypeDef row {row})", def.name())
    } else {
        format!(
            "type `{}.{}` (TypeDef row {row})",
            def.namespace(),
            def.name()
        )
    }
}

fn problem(def: TypeDef, reason: String) -> Problem {
    Problem {
        file: def.to_row().file,
        reason,
    }
}

/// Depth-first over the NestedClass table; `path` holds the enclosing types of `def`.
fn walk_nested<'a>(
    index: &'a Index,
    def: TypeDef<'a>,
    path: &mut Vec<TypeDef<'a>>,
    done: &mut BTreeSet<TypeDef<'a>>,
    structs: &mut Vec<TypeDef<'a>>,
) -> Result<(), Problem> {
    if path.contains(&def) {
        return Err(problem(
            def,
            format!("{} is nested in itself (table NestedClass)", describe(def)),
        ));
    }
    if !done.insert(def) {
        return Ok(());
    }
    if path.len() >= MAX_DEPTH {
        return Err(problem(
            def,
            format!(
                "{} is nested more than {MAX_DEPTH} types deep (table NestedClass)",
                describe(def)
            ),
        ));
    }
    // Generic structs (WinRT) hold their parameters' types, which need the instantiation to
    // read; windows-bindgen does not emit C++-style layouts for them.
    if def.category() == TypeCategory::Struct && def.generic_params().next().is_none() {
        structs.push(def);
    }
    path.push(def);
    let inner: Vec<_> = index.nested(def).collect();
    for inner in inner {
        walk_nested(index, inner, path, done, structs)?;
    }
    path.pop();
    Ok(())
}

/// Follows a type's Extends column through the types of `index`: a type that extends itself
/// (directly or through others) has no category (an interface whose Extends names itself reads
/// as a class, and its contract data as naming an unknown interface).
fn check_extends<'a>(index: &'a Index, def: TypeDef<'a>) -> Result<(), Problem> {
    use windows_metadata::reader::TypeDefOrRef;
    follow(
        def,
        "extends itself",
        "table TypeDef, column Extends",
        |current| match current.extends()? {
            TypeDefOrRef::TypeDef(next) => Some(next),
            TypeDefOrRef::TypeRef(name) => index.get(name.namespace(), name.name()).next(),
            _ => None,
        },
    )
}

/// Follows the first InterfaceImpl row of each interface, the base windows-bindgen follows.
fn check_bases<'a>(index: &'a Index, def: TypeDef<'a>) -> Result<(), Problem> {
    follow(
        def,
        "is its own base interface",
        "table InterfaceImpl",
        |current| {
            let base = current.interface_impls().next()?;
            // A generic interface (WinRT) names its parameters in its base's arguments.
            let generics: Vec<Type> = current
                .generic_params()
                .map(|param| Type::Generic(param.name().to_string(), param.sequence()))
                .collect();
            let Type::ClassName(name) = base.interface(&generics) else {
                return None;
            };
            index
                .get(&name.namespace, &name.name)
                .find(|def| def.category() == TypeCategory::Interface)
        },
    )
}

/// Follows `next` from `def` until it gives `None`; a type met twice is a cycle, reported as
/// ``type `N.A` (TypeDef row 2) {what} through `B` -> `A` ({table})``.
fn follow<'a>(
    def: TypeDef<'a>,
    what: &str,
    table: &str,
    mut next: impl FnMut(TypeDef<'a>) -> Option<TypeDef<'a>>,
) -> Result<(), Problem> {
    let mut seen = vec![def];
    let mut current = def;
    while let Some(following) = next(current) {
        if seen.contains(&following) {
            let path = seen
                .iter()
                .skip(1)
                .chain([&following])
                .map(|def| format!("`{}`", def.name()))
                .collect::<Vec<_>>()
                .join(" -> ");
            return Err(problem(
                def,
                format!("{} {what} through {path} ({table})", describe(def)),
            ));
        }
        seen.push(following);
        current = following;
    }
    Ok(())
}

/// The struct a field holds by value (directly or in a fixed-size array), resolved the way
/// windows-bindgen resolves it: a name without namespace is a type nested in the field's
/// struct.
fn value_struct<'a>(index: &'a Index, owner: TypeDef<'a>, ty: &Type) -> Option<TypeDef<'a>> {
    match ty {
        Type::ArrayFixed(inner, _) => value_struct(index, owner, inner),
        Type::ValueName(name) if name.namespace.is_empty() => index
            .nested(owner)
            .find(|def| def.name() == name.name && def.category() == TypeCategory::Struct),
        Type::ValueName(name) if name.generics.is_empty() => index
            .get(&name.namespace, &name.name)
            .find(|def| def.category() == TypeCategory::Struct),
        _ => None,
    }
}

/// Depth-first over by-value struct fields; `path` holds the structs that contain `def`.
fn walk_values<'a>(
    index: &'a Index,
    def: TypeDef<'a>,
    path: &mut Vec<TypeDef<'a>>,
    done: &mut BTreeSet<TypeDef<'a>>,
) -> Result<(), Problem> {
    if let Some(at) = path.iter().position(|seen| *seen == def) {
        let chain = path[at..]
            .iter()
            .chain([&def])
            .map(|def| format!("`{}`", def.name()))
            .collect::<Vec<_>>()
            .join(" -> ");
        return Err(problem(
            def,
            format!(
                "{} holds itself by value ({chain}; table Field)",
                describe(def)
            ),
        ));
    }
    if done.contains(&def) {
        return Ok(());
    }
    if path.len() >= MAX_DEPTH {
        return Err(problem(
            def,
            format!(
                "{} is held by value more than {MAX_DEPTH} structs deep (table Field)",
                describe(def)
            ),
        ));
    }
    path.push(def);
    for field in def.fields() {
        if let Some(inner) = value_struct(index, def, &field.ty()) {
            walk_values(index, inner, path, done)?;
        }
    }
    path.pop();
    done.insert(def);
    Ok(())
}
