//! `extract-metadata`: writes a subset `.winmd` holding the selected items of Microsoft's Win32
//! metadata and the closure of every type they reference, so that windows-bindgen emits the same
//! bindings from the subset as from the full file.
//!
//! The copy of each row follows windows-metadata's own `merge` (type definitions copied field by
//! field, method by method, attribute by attribute); the selection and closure are this
//! project's.

use std::collections::{BTreeMap, BTreeSet};

use windows_metadata::reader::{self, HasAttributes, Index, Item};
use windows_metadata::{Type, Value, writer};

/// The namespace of the Windows Sync Framework (`winsync.h`).
pub const WINDOWS_SYNC_NAMESPACE: &str = "Windows.Win32.System.WindowsSync";
/// The namespace that holds Sync Center (`syncmgr.h`) among the rest of the Shell.
pub const SHELL_NAMESPACE: &str = "Windows.Win32.UI.Shell";
/// The namespace of HRESULT, BOOL, PWSTR and the standard HRESULT constants.
pub const FOUNDATION_NAMESPACE: &str = "Windows.Win32.Foundation";

/// Standard HRESULTs the contracts name; kept in the subset so that `contracts.toml` can be
/// checked against the metadata alone.
pub const FOUNDATION_HRESULTS: &[&str] = &[
    "S_OK",
    "S_FALSE",
    "E_ACCESSDENIED",
    "E_FAIL",
    "E_INVALIDARG",
    "E_NOINTERFACE",
    "E_NOTIMPL",
    "E_OUTOFMEMORY",
    "E_POINTER",
    "E_UNEXPECTED",
    "CLASS_E_CLASSNOTAVAILABLE",
    "CLASS_E_NOAGGREGATION",
];

/// The COM plumbing an in-process server for a Sync Center handler and its tests use
/// (`winsync::sync_center::server`, `tests/tests/com_runtime.rs`, `examples/handler-dll`), as
/// `(namespace, name)`. An enum brings all of its values (`COINIT` gives
/// `COINIT_APARTMENTTHREADED` and `COINIT_MULTITHREADED`, `CLSCTX` gives `CLSCTX_INPROC_SERVER`,
/// `REGCLS` gives `REGCLS_MULTIPLEUSE`, `REG_SAM_FLAGS` gives `KEY_READ` and `KEY_WRITE`,
/// `REG_VALUE_TYPE` gives `REG_SZ`, `REG_OPEN_CREATE_OPTIONS` gives `REG_OPTION_NON_VOLATILE`).
pub const COM_SERVER_ITEMS: &[(&str, &str)] = &[
    // COM: the class factory, apartments, activation, class registration, the task allocator.
    ("Windows.Win32.System.Com", "IClassFactory"),
    ("Windows.Win32.System.Com", "CoInitializeEx"),
    ("Windows.Win32.System.Com", "CoUninitialize"),
    ("Windows.Win32.System.Com", "COINIT"),
    ("Windows.Win32.System.Com", "CoCreateInstance"),
    ("Windows.Win32.System.Com", "CoRegisterClassObject"),
    ("Windows.Win32.System.Com", "CoRevokeClassObject"),
    ("Windows.Win32.System.Com", "CLSCTX"),
    ("Windows.Win32.System.Com", "REGCLS"),
    ("Windows.Win32.System.Com", "CoTaskMemAlloc"),
    ("Windows.Win32.System.Com", "CoTaskMemFree"),
    // OLE Automation strings (declared in Foundation by the metadata).
    ("Windows.Win32.Foundation", "SysAllocString"),
    ("Windows.Win32.Foundation", "SysFreeString"),
    ("Windows.Win32.Foundation", "SysStringLen"),
    // Module handles: the DLL's own path for DllRegisterServer, loading a DLL in tests.
    ("Windows.Win32.Foundation", "HINSTANCE"),
    ("Windows.Win32.Foundation", "HMODULE"),
    ("Windows.Win32.Foundation", "FreeLibrary"),
    ("Windows.Win32.System.LibraryLoader", "GetModuleFileNameW"),
    ("Windows.Win32.System.LibraryLoader", "GetModuleHandleExW"),
    (
        "Windows.Win32.System.LibraryLoader",
        "GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS",
    ),
    (
        "Windows.Win32.System.LibraryLoader",
        "GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT",
    ),
    ("Windows.Win32.System.LibraryLoader", "LoadLibraryW"),
    ("Windows.Win32.System.LibraryLoader", "GetProcAddress"),
    // The registry: DllRegisterServer / DllUnregisterServer.
    ("Windows.Win32.System.Registry", "RegCreateKeyExW"),
    ("Windows.Win32.System.Registry", "RegSetValueExW"),
    ("Windows.Win32.System.Registry", "RegDeleteTreeW"),
    ("Windows.Win32.System.Registry", "RegCloseKey"),
    ("Windows.Win32.System.Registry", "RegOpenKeyExW"),
    ("Windows.Win32.System.Registry", "HKEY_CURRENT_USER"),
    ("Windows.Win32.System.Registry", "HKEY_LOCAL_MACHINE"),
    ("Windows.Win32.System.Registry", "REG_SAM_FLAGS"),
    ("Windows.Win32.System.Registry", "REG_VALUE_TYPE"),
    ("Windows.Win32.System.Registry", "REG_OPEN_CREATE_OPTIONS"),
    // DllRegisterServer's failure (`NF:olectl.DllRegisterServer`).
    ("Windows.Win32.System.Ole", "SELFREG_E_CLASS"),
];

/// Whether a Shell item belongs to Sync Center: `ISyncMgr*`, `IEnumSyncMgr*`, `SYNCMGR*`,
/// `MAX_SYNCMGR*`, `S_SYNCMGR*` and the `SyncMgr*` class ids.
pub fn is_sync_center_item(name: &str) -> bool {
    name.contains("SyncMgr") || name.contains("SYNCMGR")
}

/// The `(namespace, name)` pairs of the bundled selection: all of winsync, the Sync Center part
/// of the Shell, [`FOUNDATION_HRESULTS`] and [`COM_SERVER_ITEMS`].
pub fn bundled_selection(index: &Index) -> Vec<(String, String)> {
    let mut names = BTreeSet::new();
    for (name, _) in index.namespace_items(WINDOWS_SYNC_NAMESPACE) {
        names.insert((WINDOWS_SYNC_NAMESPACE.to_string(), name.to_string()));
    }
    for (name, _) in index.namespace_items(SHELL_NAMESPACE) {
        if is_sync_center_item(name) {
            names.insert((SHELL_NAMESPACE.to_string(), name.to_string()));
        }
    }
    for name in FOUNDATION_HRESULTS {
        names.insert((FOUNDATION_NAMESPACE.to_string(), (*name).to_string()));
    }
    for (namespace, name) in COM_SERVER_ITEMS {
        names.insert(((*namespace).to_string(), (*name).to_string()));
    }
    names.into_iter().collect()
}

/// What [`extract`] copied, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExtractStats {
    /// Type definitions copied (nested ones not counted).
    pub types: usize,
    /// Constants copied from `Apis` classes.
    pub constants: usize,
    /// Functions copied from `Apis` classes.
    pub functions: usize,
}

/// Writes a `.winmd` named `assembly` holding `selection` and its type closure.
/// Names not defined in `index` are ignored (the caller validates its selection).
pub fn extract(
    index: &Index,
    selection: &[(String, String)],
    assembly: &str,
) -> (Vec<u8>, ExtractStats) {
    let mut closure = Closure::new(index);
    for (namespace, name) in selection {
        for item in index.get_item(namespace, name) {
            match item {
                Item::Type(def) => closure.add_def(def),
                Item::Const(field) => {
                    closure.visit_type(&field.ty());
                    closure.visit_attributes(field);
                    closure.apis_mut(namespace).fields.insert(field);
                }
                Item::Fn(method) => {
                    closure.visit_method(method);
                    closure.apis_mut(namespace).methods.insert(method);
                }
            }
        }
    }
    closure.run();

    let mut file = writer::File::new(assembly);
    let mut stats = ExtractStats::default();
    // Types in (namespace, name) order, each namespace's filtered `Apis` class in its place.
    let mut ordered: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for def in &closure.types {
        ordered.insert(
            (def.namespace().to_string(), def.name().to_string()),
            Entry::Type(*def),
        );
    }
    for (namespace, apis) in &closure.apis {
        ordered.insert(
            (namespace.clone(), "Apis".to_string()),
            Entry::Apis(namespace.clone(), apis),
        );
    }
    for entry in ordered.into_values() {
        match entry {
            Entry::Type(def) => {
                write_type(&mut file, index, def, None);
                stats.types += 1;
            }
            Entry::Apis(namespace, apis) => {
                write_apis(&mut file, index, &namespace, apis);
                stats.constants += apis.fields.len();
                stats.functions += apis.methods.len();
            }
        }
    }
    (file.into_stream(), stats)
}

enum Entry<'a> {
    Type(reader::TypeDef<'a>),
    Apis(String, &'a ApisSelection<'a>),
}

#[derive(Default)]
struct ApisSelection<'a> {
    fields: BTreeSet<reader::Field<'a>>,
    methods: BTreeSet<reader::MethodDef<'a>>,
}

/// The set of type definitions reachable from the selection.
struct Closure<'a> {
    index: &'a Index,
    types: BTreeSet<reader::TypeDef<'a>>,
    queue: Vec<reader::TypeDef<'a>>,
    /// Nested definitions already walked: corrupt metadata can nest a type in itself.
    nested_seen: BTreeSet<reader::TypeDef<'a>>,
    apis: BTreeMap<String, ApisSelection<'a>>,
}

impl<'a> Closure<'a> {
    fn new(index: &'a Index) -> Self {
        Self {
            index,
            types: BTreeSet::new(),
            queue: Vec::new(),
            nested_seen: BTreeSet::new(),
            apis: BTreeMap::new(),
        }
    }

    fn apis_mut(&mut self, namespace: &str) -> &mut ApisSelection<'a> {
        self.apis.entry(namespace.to_string()).or_default()
    }

    fn add_def(&mut self, def: reader::TypeDef<'a>) {
        if def.name() == "Apis" || def.namespace().is_empty() {
            return;
        }
        if self.types.insert(def) {
            self.queue.push(def);
        }
    }

    fn add_named(&mut self, namespace: &str, name: &str) {
        if namespace.is_empty() || namespace == "System" {
            return;
        }
        // A nested type travels with its enclosing type.
        let outer = name.split('/').next().unwrap_or(name);
        let defs: Vec<_> = self.index.get(namespace, outer).collect();
        for def in defs {
            self.add_def(def);
        }
    }

    fn run(&mut self) {
        while let Some(def) = self.queue.pop() {
            self.visit_def(def);
        }
    }

    fn visit_def(&mut self, def: reader::TypeDef<'a>) {
        if let Some(extends) = def.extends()
            && let Type::ClassName(name) | Type::ValueName(name) = extends.ty(&[])
        {
            self.add_named(&name.namespace, &name.name);
        }
        self.visit_attributes(def);
        for field in def.fields() {
            self.visit_type(&field.ty());
            self.visit_attributes(field);
        }
        for method in def.methods() {
            self.visit_method(method);
        }
        for interface in def.interface_impls() {
            self.visit_type(&interface.interface(&[]));
        }
        let nested: Vec<_> = self.index.nested(def).collect();
        for inner in nested {
            if inner != def && self.nested_seen.insert(inner) {
                self.visit_def(inner);
            }
        }
    }

    fn visit_method(&mut self, method: reader::MethodDef<'a>) {
        let signature = method.signature(&[]);
        self.visit_type(&signature.return_type);
        for ty in &signature.types {
            self.visit_type(ty);
        }
        self.visit_attributes(method);
        for param in method.params() {
            self.visit_attributes(param);
        }
    }

    fn visit_attributes<R: HasAttributes<'a>>(&mut self, row: R) {
        for attribute in row.attributes() {
            let parent = attribute.ctor().parent();
            self.add_named(parent.namespace(), parent.name());
            for (_, value) in attribute.value() {
                self.visit_value(&value);
            }
        }
    }

    fn visit_value(&mut self, value: &Value) {
        match value {
            Value::TypeName(name) => self.add_named(&name.namespace, &name.name),
            Value::EnumValue(name, inner) => {
                self.add_named(&name.namespace, &name.name);
                self.visit_value(inner);
            }
            _ => {}
        }
    }

    fn visit_type(&mut self, ty: &Type) {
        match ty {
            Type::ClassName(name) | Type::ValueName(name) => {
                self.add_named(&name.namespace, &name.name);
                for generic in &name.generics {
                    self.visit_type(generic);
                }
            }
            Type::Array(inner)
            | Type::RefMut(inner)
            | Type::RefConst(inner)
            | Type::PtrMut(inner, _)
            | Type::PtrConst(inner, _)
            | Type::ArrayFixed(inner, _) => self.visit_type(inner),
            _ => {}
        }
    }
}

fn write_type(
    file: &mut writer::File,
    index: &Index,
    def: reader::TypeDef,
    outer: Option<writer::TypeDef>,
) {
    let type_def = write_type_head(file, def);
    if let Some(outer) = outer {
        file.NestedClass(type_def, outer);
    }
    for field in def.fields() {
        write_field(file, field);
    }
    write_attributes(file, writer::HasAttribute::TypeDef(type_def), def);
    let generics: Vec<Type> = def
        .generic_params()
        .map(|param| Type::Generic(param.name().to_string(), param.sequence()))
        .collect();
    for interface in def.interface_impls() {
        let row = file.InterfaceImpl(type_def, &interface.interface(&generics));
        write_attributes(file, writer::HasAttribute::InterfaceImpl(row), interface);
    }
    for generic in def.generic_params() {
        file.GenericParam(
            generic.name(),
            writer::TypeOrMethodDef::TypeDef(type_def),
            generic.sequence(),
            generic.flags(),
        );
    }
    for method in def.methods() {
        write_method(file, method, &generics);
    }
    if let Some(layout) = def.class_layout() {
        file.ClassLayout(type_def, layout.packing_size(), layout.class_size());
    }
    for inner in index.nested(def) {
        write_type(file, index, inner, Some(type_def));
    }
}

fn write_type_head(file: &mut writer::File, def: reader::TypeDef) -> writer::TypeDef {
    let extends = def
        .extends()
        .map(|extends| {
            writer::TypeDefOrRef::TypeRef(file.TypeRef(extends.namespace(), extends.name()))
        })
        .unwrap_or_default();
    file.TypeDef(def.namespace(), def.name(), extends, def.flags())
}

/// Writes a namespace's `Apis` class with only the selected constants and functions.
fn write_apis(file: &mut writer::File, index: &Index, namespace: &str, apis: &ApisSelection) {
    let Some(def) = index.get(namespace, "Apis").next() else {
        return;
    };
    let type_def = write_type_head(file, def);
    for field in def.fields().filter(|field| apis.fields.contains(field)) {
        write_field(file, field);
    }
    write_attributes(file, writer::HasAttribute::TypeDef(type_def), def);
    for method in def.methods().filter(|method| apis.methods.contains(method)) {
        write_method(file, method, &[]);
    }
}

fn write_field(file: &mut writer::File, field: reader::Field) {
    let row = file.Field(field.name(), &field.ty(), field.flags());
    if let Some(constant) = field.constant() {
        file.Constant(writer::HasConstant::Field(row), &constant.value());
    }
    write_attributes(file, writer::HasAttribute::Field(row), field);
}

fn write_method(file: &mut writer::File, method: reader::MethodDef, generics: &[Type]) {
    let row = file.MethodDef(
        method.name(),
        &method.signature(generics),
        method.flags(),
        method.impl_flags(),
    );
    for param in method.params() {
        let param_row = file.Param(param.name(), param.sequence(), param.flags());
        write_attributes(file, writer::HasAttribute::Param(param_row), param);
    }
    write_attributes(file, writer::HasAttribute::MethodDef(row), method);
    if let Some(map) = method.impl_map() {
        file.ImplMap(
            row,
            map.flags(),
            map.import_name(),
            map.import_scope().name(),
        );
    }
}

fn write_attributes<'a, R: HasAttributes<'a>>(
    file: &mut writer::File,
    parent: writer::HasAttribute,
    row: R,
) {
    for attribute in row.attributes() {
        let ctor = attribute.ctor();
        let ty = ctor.parent();
        let attribute_ref =
            writer::MemberRefParent::TypeRef(file.TypeRef(ty.namespace(), ty.name()));
        let ctor_ref = file.MemberRef(".ctor", &ctor.signature(&[]), attribute_ref);
        file.Attribute(
            parent,
            writer::AttributeType::MemberRef(ctor_ref),
            &attribute.value(),
        );
    }
}
