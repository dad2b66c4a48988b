//! Metadata that reads but is malformed is refused with an error naming the file, the type or
//! function, the table and the row. windows-bindgen recurses on type cycles until the stack
//! overflows, which aborts the whole process (a `build.rs` included), so the cycle tests would
//! crash, not fail, if the check were missing; the packing and import tests would otherwise
//! exit 0 with Rust that does not compile.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use windows_metadata::writer::{File, TypeDef, TypeDefOrRef};
use windows_metadata::{
    FieldAttributes, MethodAttributes, MethodImplAttributes, PInvokeAttributes, ParamAttributes,
    Signature, Type, TypeAttributes,
};
use winsync_gen::{Error, Input, Options, bundled, generate};

const NAMESPACE: &str = "Test.Malformed";

fn value_type(file: &mut File) -> TypeDefOrRef {
    TypeDefOrRef::TypeRef(file.TypeRef("System", "ValueType"))
}

fn structure(file: &mut File, namespace: &str, name: &str) -> TypeDef {
    let extends = value_type(file);
    file.TypeDef(
        namespace,
        name,
        extends,
        TypeAttributes::Public | TypeAttributes::SequentialLayout,
    )
}

fn field(file: &mut File, name: &str, ty: &Type) {
    file.Field(name, ty, FieldAttributes::Public);
}

fn interface(file: &mut File, name: &str, base: &str) {
    let def = file.TypeDef(
        NAMESPACE,
        name,
        TypeDefOrRef::default(),
        TypeAttributes::Public | TypeAttributes::Interface | TypeAttributes::Abstract,
    );
    file.InterfaceImpl(def, &Type::class_named(NAMESPACE, base));
}

/// Generates from the bundled metadata plus `extra`, which must be refused.
fn refused(extra: Vec<u8>) -> String {
    let options = Options {
        inputs: vec![
            Input::Bytes {
                origin: "<bundled>".into(),
                bytes: bundled::WINMD.to_vec(),
            },
            Input::Bytes {
                origin: "malformed.winmd".into(),
                bytes: extra,
            },
        ],
        ..Options::default()
    };
    match generate(&options) {
        Ok(_) => panic!("metadata with a cycle must be refused"),
        Err(error @ Error::MalformedMetadata { .. }) => error.to_string(),
        Err(other) => panic!("expected a metadata error, got: {other}"),
    }
}

#[test]
fn the_same_types_without_a_cycle_are_accepted() {
    // The control: the shapes below, minus the cycle, load and generate.
    let mut file = File::new("Test.Malformed");
    let a = structure(&mut file, NAMESPACE, "A");
    field(&mut file, "b", &Type::value_named(NAMESPACE, "B"));
    let _ = a;
    let _b = structure(&mut file, NAMESPACE, "B");
    field(
        &mut file,
        "a",
        &Type::PtrMut(Box::new(Type::value_named(NAMESPACE, "A")), 1),
    );
    interface(&mut file, "IFirst", "ISecond");
    let second = file.TypeDef(
        NAMESPACE,
        "ISecond",
        TypeDefOrRef::default(),
        TypeAttributes::Public | TypeAttributes::Interface | TypeAttributes::Abstract,
    );
    file.InterfaceImpl(
        second,
        &Type::class_named("Windows.Win32.System.Com", "IUnknown"),
    );
    let options = Options {
        inputs: vec![
            Input::Bytes {
                origin: "<bundled>".into(),
                bytes: bundled::WINMD.to_vec(),
            },
            Input::Bytes {
                origin: "malformed.winmd".into(),
                bytes: file.into_stream(),
            },
        ],
        ..Options::default()
    };
    generate(&options).expect("acyclic metadata generates");
}

#[test]
fn a_struct_holding_itself_by_value_is_refused() {
    let mut file = File::new("Test.Malformed");
    structure(&mut file, NAMESPACE, "A");
    field(&mut file, "b", &Type::value_named(NAMESPACE, "B"));
    structure(&mut file, NAMESPACE, "B");
    field(
        &mut file,
        "a",
        &Type::ArrayFixed(Box::new(Type::value_named(NAMESPACE, "A")), 2),
    );
    let message = refused(file.into_stream());
    assert!(
        message.starts_with("malformed.winmd: the metadata is malformed: "),
        "{message}"
    );
    assert!(
        message.contains("holds itself by value (`A` -> `B` -> `A`; table Field)")
            || message.contains("holds itself by value (`B` -> `A` -> `B`; table Field)"),
        "{message}"
    );
    assert!(message.contains("type `Test.Malformed."), "{message}");
}

#[test]
fn an_interface_that_is_its_own_base_is_refused() {
    let mut file = File::new("Test.Malformed");
    interface(&mut file, "IFirst", "ISecond");
    interface(&mut file, "ISecond", "IFirst");
    let message = refused(file.into_stream());
    assert!(
        message.starts_with("malformed.winmd: the metadata is malformed: "),
        "{message}"
    );
    assert!(
        message.contains("is its own base interface through"),
        "{message}"
    );
    assert!(message.contains("(table InterfaceImpl)"), "{message}");
}

#[test]
fn a_name_that_is_not_an_identifier_is_refused() {
    // The bindings would spell the field out, and the generated Rust would not compile.
    let mut file = File::new("Test.Malformed");
    structure(&mut file, NAMESPACE, "Holder");
    field(&mut file, "p;wCount", &Type::U32);
    let message = refused(file.into_stream());
    assert_eq!(
        message,
        "malformed.winmd: the metadata is malformed: type `Test.Malformed.Holder` (TypeDef row \
         2): field `p;wCount` is not an identifier, and the Rust emitted for it would not \
         compile (table Field row 1)"
    );
}

#[test]
fn a_type_that_extends_itself_is_refused() {
    // `A` extends `B`, `B` extends `A` (by name, through TypeRef rows): neither has a category.
    let mut file = File::new("Test.Malformed");
    let b = TypeDefOrRef::TypeRef(file.TypeRef(NAMESPACE, "B"));
    file.TypeDef(NAMESPACE, "A", b, TypeAttributes::Public);
    let a = TypeDefOrRef::TypeRef(file.TypeRef(NAMESPACE, "A"));
    file.TypeDef(NAMESPACE, "B", a, TypeAttributes::Public);
    let message = refused(file.into_stream());
    assert!(
        message.starts_with("malformed.winmd: the metadata is malformed: "),
        "{message}"
    );
    assert!(message.contains("extends itself through"), "{message}");
    assert!(
        message.contains("(table TypeDef, column Extends)"),
        "{message}"
    );
}

#[test]
fn a_type_nested_in_itself_is_refused() {
    // The writer only writes well-formed nesting, so write `Inner` nested in `Outer` with row
    // numbers that give a byte pattern found once, then point the row at `Outer` itself.
    let mut file = File::new("Test.Malformed");
    for pad in 0..0x58 {
        structure(&mut file, NAMESPACE, &format!("Pad{pad}"));
    }
    let outer = structure(&mut file, NAMESPACE, "Outer");
    let inner = structure(&mut file, "", "Inner");
    file.NestedClass(inner, outer);
    let mut bytes = file.into_stream();
    // Row 1 of TypeDef is `<Module>`, so `Outer` is row 0x5A and `Inner` row 0x5B. NestedClass
    // rows are (inner, outer) as 1-based 2-byte TypeDef indexes.
    let row = [0x5B, 0x00, 0x5A, 0x00];
    let found: Vec<usize> = bytes
        .windows(row.len())
        .enumerate()
        .filter(|(_, window)| *window == row)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(found.len(), 1, "the NestedClass row is found once");
    bytes[found[0]] = 0x5A;
    let message = refused(bytes);
    assert_eq!(
        message,
        "malformed.winmd: the metadata is malformed: type `Test.Malformed.Outer` (TypeDef row 90) is nested in itself \
         (table NestedClass)"
    );
}

#[test]
fn a_packing_size_that_is_not_a_power_of_two_is_refused() {
    // `#[repr(C, packed(0))]` and `packed(3)` do not compile.
    for packing in [0, 3] {
        let mut file = File::new("Test.Malformed");
        let def = structure(&mut file, NAMESPACE, "Packed");
        field(&mut file, "x", &Type::U32);
        file.ClassLayout(def, packing, 0);
        let message = refused(file.into_stream());
        assert_eq!(
            message,
            format!(
                "malformed.winmd: the metadata is malformed: type `Test.Malformed.Packed` (TypeDef \
                 row 2) has packing size {packing}, not a power of two (table ClassLayout)"
            )
        );
    }
}

#[test]
fn an_import_without_a_library_name_is_refused() {
    // `link!("" "system" fn ...)` does not compile.
    let mut file = File::new("Test.Malformed");
    let object = TypeDefOrRef::TypeRef(file.TypeRef("System", "Object"));
    file.TypeDef(
        NAMESPACE,
        "Apis",
        object,
        TypeAttributes::Public | TypeAttributes::Abstract | TypeAttributes::Sealed,
    );
    let method = file.MethodDef(
        "SyncSomething",
        &Signature::default(),
        MethodAttributes::Public | MethodAttributes::Static | MethodAttributes::PInvokeImpl,
        MethodImplAttributes::PreserveSig,
    );
    file.ImplMap(method, PInvokeAttributes::NoMangle, "SyncSomething", "");
    let message = refused(file.into_stream());
    assert_eq!(
        message,
        "malformed.winmd: the metadata is malformed: function `Test.Malformed.SyncSomething` \
         (MethodDef row 1) has an empty library name (table ImplMap)"
    );
}

#[test]
fn a_parameter_row_past_the_signature_is_refused() {
    // windows-bindgen prints its own message about such a row and goes on without names.
    let mut file = File::new("Test.Malformed");
    let object = TypeDefOrRef::TypeRef(file.TypeRef("System", "Object"));
    file.TypeDef(
        NAMESPACE,
        "Apis",
        object,
        TypeAttributes::Public | TypeAttributes::Abstract | TypeAttributes::Sealed,
    );
    let signature = Signature {
        types: vec![Type::U32],
        ..Signature::default()
    };
    let method = file.MethodDef(
        "SyncSomething",
        &signature,
        MethodAttributes::Public | MethodAttributes::Static | MethodAttributes::PInvokeImpl,
        MethodImplAttributes::PreserveSig,
    );
    file.Param("count", 5, ParamAttributes::In);
    file.ImplMap(
        method,
        PInvokeAttributes::NoMangle,
        "SyncSomething",
        "sync.dll",
    );
    let message = refused(file.into_stream());
    assert!(
        message.starts_with(
            "malformed.winmd: the metadata is malformed: function `Test.Malformed.SyncSomething`: \
             method `SyncSomething` (MethodDef row 1) has parameter rows that do not match its \
             signature: "
        ),
        "{message}"
    );
    assert!(message.ends_with("(table Param)"), "{message}");
}

#[test]
fn a_signature_the_reader_cannot_decode_names_the_file_not_the_panic() {
    // A struct field of type `u32` has the signature blob `02 06 09` (length, FIELD, U4).
    // Make the type byte an element type that does not exist: the structural check passes (the
    // blob is in its heap), the metadata reader panics decoding it.
    let mut file = File::new("Test.Malformed");
    structure(&mut file, NAMESPACE, "Decoded");
    field(&mut file, "x", &Type::U32);
    let mut bytes = file.into_stream();
    let found: Vec<usize> = bytes
        .windows(3)
        .enumerate()
        .filter(|(_, window)| *window == [0x02, 0x06, 0x09])
        .map(|(at, _)| at)
        .collect();
    assert_eq!(found.len(), 1, "the field signature is found once");
    bytes[found[0] + 2] = 0x3f;
    let options = Options {
        inputs: vec![
            Input::Bytes {
                origin: "<bundled>".into(),
                bytes: bundled::WINMD.to_vec(),
            },
            Input::Bytes {
                origin: "malformed.winmd".into(),
                bytes,
            },
        ],
        ..Options::default()
    };
    let error = match generate(&options) {
        Ok(_) => panic!("an undecodable signature must be refused"),
        Err(error) => error,
    };
    assert!(matches!(error, Error::MalformedMetadata { .. }), "{error}");
    // Only the user's file is blamed, never the bundled subset; no panic text or path.
    assert_eq!(
        error.to_string(),
        "malformed.winmd: the metadata is malformed: a signature or attribute blob cannot be \
         decoded (while checking the metadata's types)"
    );
}
