//! The ECMA-335 table schema (Partition II, §22) and coded indexes (§24.2.6): the column
//! shapes a row check needs, with the names the standard gives tables and columns.

/// What a column holds.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A constant of this many bytes (flags, versions, RVAs).
    Fixed(usize),
    /// An offset into the `#Strings` heap.
    Str,
    /// A 1-based index into the `#GUID` heap (0: none).
    Guid,
    /// An offset into the `#Blob` heap.
    Blob,
    /// A 1-based row of one table; `null` says whether 0 (no row) is allowed.
    Index {
        /// The table the row is in.
        table: u8,
        /// Whether 0 is allowed.
        null: bool,
    },
    /// The first row of a run in another table (1-based; one past the end ends the run).
    List(u8),
    /// A coded index; `null` says whether 0 (no row) is allowed.
    Coded {
        /// The coding.
        coding: &'static Coding,
        /// Whether 0 is allowed.
        null: bool,
    },
}

/// One column of a table.
#[derive(Debug)]
pub struct Column {
    /// The standard's name, e.g. `TypeName`.
    pub name: &'static str,
    /// What the column holds.
    pub kind: Kind,
}

/// A coded index: the low `bits` of the value say which table, the rest is the 1-based row.
#[derive(Debug)]
pub struct Coding {
    /// The standard's name, e.g. `TypeDefOrRef`.
    pub name: &'static str,
    /// Tag bits.
    pub bits: u32,
    /// The table of each tag; `None` for tags the standard leaves unused.
    pub tables: &'static [Option<u8>],
}

/// One table: its number, name and columns.
#[derive(Debug)]
pub struct Table {
    /// The table number (the bit in the `Valid` mask).
    pub id: u8,
    /// The standard's name.
    pub name: &'static str,
    /// The columns in order.
    pub columns: &'static [Column],
}

pub const MODULE: u8 = 0x00;
pub const TYPE_REF: u8 = 0x01;
pub const TYPE_DEF: u8 = 0x02;
pub const FIELD: u8 = 0x04;
pub const METHOD_DEF: u8 = 0x06;
pub const PARAM: u8 = 0x08;
pub const INTERFACE_IMPL: u8 = 0x09;
pub const MEMBER_REF: u8 = 0x0a;
pub const DECL_SECURITY: u8 = 0x0e;
pub const STAND_ALONE_SIG: u8 = 0x11;
pub const EVENT: u8 = 0x14;
pub const PROPERTY: u8 = 0x17;
pub const MODULE_REF: u8 = 0x1a;
pub const TYPE_SPEC: u8 = 0x1b;
pub const ASSEMBLY: u8 = 0x20;
pub const ASSEMBLY_REF: u8 = 0x23;
pub const FILE: u8 = 0x26;
pub const EXPORTED_TYPE: u8 = 0x27;
pub const MANIFEST_RESOURCE: u8 = 0x28;
pub const GENERIC_PARAM: u8 = 0x2a;
pub const METHOD_SPEC: u8 = 0x2b;
pub const GENERIC_PARAM_CONSTRAINT: u8 = 0x2c;

const fn coding(name: &'static str, bits: u32, tables: &'static [Option<u8>]) -> Coding {
    Coding { name, bits, tables }
}

pub static TYPE_DEF_OR_REF: Coding = coding(
    "TypeDefOrRef",
    2,
    &[Some(TYPE_DEF), Some(TYPE_REF), Some(TYPE_SPEC)],
);
pub static HAS_CONSTANT: Coding = coding(
    "HasConstant",
    2,
    &[Some(FIELD), Some(PARAM), Some(PROPERTY)],
);
pub static HAS_CUSTOM_ATTRIBUTE: Coding = coding(
    "HasCustomAttribute",
    5,
    &[
        Some(METHOD_DEF),
        Some(FIELD),
        Some(TYPE_REF),
        Some(TYPE_DEF),
        Some(PARAM),
        Some(INTERFACE_IMPL),
        Some(MEMBER_REF),
        Some(MODULE),
        Some(DECL_SECURITY),
        Some(PROPERTY),
        Some(EVENT),
        Some(STAND_ALONE_SIG),
        Some(MODULE_REF),
        Some(TYPE_SPEC),
        Some(ASSEMBLY),
        Some(ASSEMBLY_REF),
        Some(FILE),
        Some(EXPORTED_TYPE),
        Some(MANIFEST_RESOURCE),
        Some(GENERIC_PARAM),
        Some(GENERIC_PARAM_CONSTRAINT),
        Some(METHOD_SPEC),
    ],
);
pub static HAS_FIELD_MARSHAL: Coding = coding("HasFieldMarshal", 1, &[Some(FIELD), Some(PARAM)]);
pub static HAS_DECL_SECURITY: Coding = coding(
    "HasDeclSecurity",
    2,
    &[Some(TYPE_DEF), Some(METHOD_DEF), Some(ASSEMBLY)],
);
pub static MEMBER_REF_PARENT: Coding = coding(
    "MemberRefParent",
    3,
    &[
        Some(TYPE_DEF),
        Some(TYPE_REF),
        Some(MODULE_REF),
        Some(METHOD_DEF),
        Some(TYPE_SPEC),
    ],
);
pub static HAS_SEMANTICS: Coding = coding("HasSemantics", 1, &[Some(EVENT), Some(PROPERTY)]);
pub static METHOD_DEF_OR_REF: Coding =
    coding("MethodDefOrRef", 1, &[Some(METHOD_DEF), Some(MEMBER_REF)]);
pub static MEMBER_FORWARDED: Coding =
    coding("MemberForwarded", 1, &[Some(FIELD), Some(METHOD_DEF)]);
pub static IMPLEMENTATION: Coding = coding(
    "Implementation",
    2,
    &[Some(FILE), Some(ASSEMBLY_REF), Some(EXPORTED_TYPE)],
);
pub static CUSTOM_ATTRIBUTE_TYPE: Coding = coding(
    "CustomAttributeType",
    3,
    &[None, None, Some(METHOD_DEF), Some(MEMBER_REF), None],
);
pub static RESOLUTION_SCOPE: Coding = coding(
    "ResolutionScope",
    2,
    &[
        Some(MODULE),
        Some(MODULE_REF),
        Some(ASSEMBLY_REF),
        Some(TYPE_REF),
    ],
);
pub static TYPE_OR_METHOD_DEF: Coding =
    coding("TypeOrMethodDef", 1, &[Some(TYPE_DEF), Some(METHOD_DEF)]);

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}
const fn fixed(name: &'static str, bytes: usize) -> Column {
    col(name, Kind::Fixed(bytes))
}
const fn string(name: &'static str) -> Column {
    col(name, Kind::Str)
}
const fn blob(name: &'static str) -> Column {
    col(name, Kind::Blob)
}
/// A row the metadata reader follows: 0 makes it compute row -1.
const fn row(name: &'static str, table: u8) -> Column {
    col(name, Kind::Index { table, null: false })
}
/// A row the standard allows to be absent.
const fn row_or_null(name: &'static str, table: u8) -> Column {
    col(name, Kind::Index { table, null: true })
}
const fn list(name: &'static str, table: u8) -> Column {
    col(name, Kind::List(table))
}
/// A coded index the metadata reader decodes: 0 makes it compute row -1.
const fn coded(name: &'static str, coding: &'static Coding) -> Column {
    col(
        name,
        Kind::Coded {
            coding,
            null: false,
        },
    )
}
const fn coded_or_null(name: &'static str, coding: &'static Coding) -> Column {
    col(name, Kind::Coded { coding, null: true })
}
const fn table(id: u8, name: &'static str, columns: &'static [Column]) -> Table {
    Table { id, name, columns }
}

/// Every table of compressed (`#~`) metadata, in table-number order. Tables 0x03, 0x05, 0x07,
/// 0x13, 0x16 (pointer tables), 0x1e and 0x1f (edit-and-continue) occur only in uncompressed
/// metadata, which the metadata reader does not read.
pub static TABLES: &[Table] = &[
    table(
        MODULE,
        "Module",
        &[
            fixed("Generation", 2),
            string("Name"),
            col("Mvid", Kind::Guid),
            col("EncId", Kind::Guid),
            col("EncBaseId", Kind::Guid),
        ],
    ),
    table(
        TYPE_REF,
        "TypeRef",
        &[
            coded("ResolutionScope", &RESOLUTION_SCOPE),
            string("TypeName"),
            string("TypeNamespace"),
        ],
    ),
    table(
        TYPE_DEF,
        "TypeDef",
        &[
            fixed("Flags", 4),
            string("TypeName"),
            string("TypeNamespace"),
            coded_or_null("Extends", &TYPE_DEF_OR_REF),
            list("FieldList", FIELD),
            list("MethodList", METHOD_DEF),
        ],
    ),
    table(
        FIELD,
        "Field",
        &[fixed("Flags", 2), string("Name"), blob("Signature")],
    ),
    table(
        METHOD_DEF,
        "MethodDef",
        &[
            fixed("RVA", 4),
            fixed("ImplFlags", 2),
            fixed("Flags", 2),
            string("Name"),
            blob("Signature"),
            list("ParamList", PARAM),
        ],
    ),
    table(
        PARAM,
        "Param",
        &[fixed("Flags", 2), fixed("Sequence", 2), string("Name")],
    ),
    table(
        INTERFACE_IMPL,
        "InterfaceImpl",
        &[row("Class", TYPE_DEF), coded("Interface", &TYPE_DEF_OR_REF)],
    ),
    table(
        MEMBER_REF,
        "MemberRef",
        &[
            coded("Class", &MEMBER_REF_PARENT),
            string("Name"),
            blob("Signature"),
        ],
    ),
    table(
        0x0b,
        "Constant",
        &[
            fixed("Type", 2),
            coded("Parent", &HAS_CONSTANT),
            blob("Value"),
        ],
    ),
    table(
        0x0c,
        "CustomAttribute",
        &[
            coded("Parent", &HAS_CUSTOM_ATTRIBUTE),
            coded("Type", &CUSTOM_ATTRIBUTE_TYPE),
            blob("Value"),
        ],
    ),
    table(
        0x0d,
        "FieldMarshal",
        &[
            coded_or_null("Parent", &HAS_FIELD_MARSHAL),
            blob("NativeType"),
        ],
    ),
    table(
        DECL_SECURITY,
        "DeclSecurity",
        &[
            fixed("Action", 2),
            coded_or_null("Parent", &HAS_DECL_SECURITY),
            blob("PermissionSet"),
        ],
    ),
    table(
        0x0f,
        "ClassLayout",
        &[
            fixed("PackingSize", 2),
            fixed("ClassSize", 4),
            row("Parent", TYPE_DEF),
        ],
    ),
    table(
        0x10,
        "FieldLayout",
        &[fixed("Offset", 4), row_or_null("Field", FIELD)],
    ),
    table(STAND_ALONE_SIG, "StandAloneSig", &[blob("Signature")]),
    table(
        0x12,
        "EventMap",
        &[row_or_null("Parent", TYPE_DEF), list("EventList", EVENT)],
    ),
    table(
        EVENT,
        "Event",
        &[
            fixed("EventFlags", 2),
            string("Name"),
            coded_or_null("EventType", &TYPE_DEF_OR_REF),
        ],
    ),
    table(
        0x15,
        "PropertyMap",
        &[
            row_or_null("Parent", TYPE_DEF),
            list("PropertyList", PROPERTY),
        ],
    ),
    table(
        PROPERTY,
        "Property",
        &[fixed("Flags", 2), string("Name"), blob("Type")],
    ),
    table(
        0x18,
        "MethodSemantics",
        &[
            fixed("Semantics", 2),
            row_or_null("Method", METHOD_DEF),
            coded_or_null("Association", &HAS_SEMANTICS),
        ],
    ),
    table(
        0x19,
        "MethodImpl",
        &[
            row_or_null("Class", TYPE_DEF),
            coded_or_null("MethodBody", &METHOD_DEF_OR_REF),
            coded_or_null("MethodDeclaration", &METHOD_DEF_OR_REF),
        ],
    ),
    table(MODULE_REF, "ModuleRef", &[string("Name")]),
    table(TYPE_SPEC, "TypeSpec", &[blob("Signature")]),
    table(
        0x1c,
        "ImplMap",
        &[
            fixed("MappingFlags", 2),
            coded("MemberForwarded", &MEMBER_FORWARDED),
            string("ImportName"),
            row("ImportScope", MODULE_REF),
        ],
    ),
    table(
        0x1d,
        "FieldRVA",
        &[fixed("RVA", 4), row_or_null("Field", FIELD)],
    ),
    table(
        ASSEMBLY,
        "Assembly",
        &[
            fixed("HashAlgId", 4),
            fixed("Version", 8),
            fixed("Flags", 4),
            blob("PublicKey"),
            string("Name"),
            string("Culture"),
        ],
    ),
    table(0x21, "AssemblyProcessor", &[fixed("Processor", 4)]),
    table(
        0x22,
        "AssemblyOS",
        &[
            fixed("OSPlatformID", 4),
            fixed("OSMajorVersion", 4),
            fixed("OSMinorVersion", 4),
        ],
    ),
    table(
        ASSEMBLY_REF,
        "AssemblyRef",
        &[
            fixed("Version", 8),
            fixed("Flags", 4),
            blob("PublicKeyOrToken"),
            string("Name"),
            string("Culture"),
            blob("HashValue"),
        ],
    ),
    table(
        0x24,
        "AssemblyRefProcessor",
        &[
            fixed("Processor", 4),
            row_or_null("AssemblyRef", ASSEMBLY_REF),
        ],
    ),
    table(
        0x25,
        "AssemblyRefOS",
        &[
            fixed("OSPlatformId", 4),
            fixed("OSMajorVersion", 4),
            fixed("OSMinorVersion", 4),
            row_or_null("AssemblyRef", ASSEMBLY_REF),
        ],
    ),
    table(
        FILE,
        "File",
        &[fixed("Flags", 4), string("Name"), blob("HashValue")],
    ),
    table(
        EXPORTED_TYPE,
        "ExportedType",
        &[
            fixed("Flags", 4),
            fixed("TypeDefId", 4),
            string("TypeName"),
            string("TypeNamespace"),
            coded_or_null("Implementation", &IMPLEMENTATION),
        ],
    ),
    table(
        MANIFEST_RESOURCE,
        "ManifestResource",
        &[
            fixed("Offset", 4),
            fixed("Flags", 4),
            string("Name"),
            coded_or_null("Implementation", &IMPLEMENTATION),
        ],
    ),
    table(
        0x29,
        "NestedClass",
        &[
            row("NestedClass", TYPE_DEF),
            row("EnclosingClass", TYPE_DEF),
        ],
    ),
    table(
        GENERIC_PARAM,
        "GenericParam",
        &[
            fixed("Number", 2),
            fixed("Flags", 2),
            coded("Owner", &TYPE_OR_METHOD_DEF),
            string("Name"),
        ],
    ),
    table(
        METHOD_SPEC,
        "MethodSpec",
        &[
            coded_or_null("Method", &METHOD_DEF_OR_REF),
            blob("Instantiation"),
        ],
    ),
    table(
        GENERIC_PARAM_CONSTRAINT,
        "GenericParamConstraint",
        &[
            row_or_null("Owner", GENERIC_PARAM),
            coded_or_null("Constraint", &TYPE_DEF_OR_REF),
        ],
    ),
];

/// The schema of table `id`, if compressed metadata may hold it.
pub fn table_by_id(id: u8) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.id == id)
}
