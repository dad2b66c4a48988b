/*
 * bcryptprimitives.dll shim, used only to run Windows test binaries under Wine
 * 8.0 (Debian 12). It is never shipped: real Windows (8 and later) has the real
 * DLL and a real combase.dll. scripts/test-windows.sh builds it with
 *   x86_64-w64-mingw32-gcc -shared ... -lbcrypt -loleaut32 -luuid
 * and copies it into the Wine prefix's drive_c/windows/system32/.
 *
 * Why it exists:
 *
 * 1. ProcessPrng. Rust's standard library (1.78 and later) on *-pc-windows-*
 *    imports ProcessPrng from bcryptprimitives.dll (HashMap seeds, std's random
 *    bytes). Wine 8.0 has no bcryptprimitives.dll, so every Rust .exe fails to
 *    load before main: it prints nothing and exits with code 53 (with WINEDEBUG
 *    at its default Wine says "Library bcryptprimitives.dll ... not found").
 *    This DLL exports ProcessPrng, backed by BCryptGenRandom from Wine's bcrypt.
 *
 * 2. RoOriginateErrorW. windows-result (under windows-core 0.100)
 *    calls RoOriginateErrorW (api-ms-win-core-winrt-error-l1-1-0.dll, which
 *    Wine's API-set map sends to combase.dll) from every
 *    `windows_core::Error::new(code, "non-empty message")`. Wine 8.0's combase
 *    has that export only as a stub that aborts the process ("wine: Call from
 *    ... to unimplemented function combase.dll.RoOriginateErrorW, aborting"),
 *    and the crash can even end with exit status 0. The API-set redirection
 *    ignores a native api-ms-win-*.dll in system32, so it cannot be replaced by
 *    another DLL. Every Rust test binary loads this DLL (std imports it), so on
 *    DLL_PROCESS_ATTACH it patches combase's RoOriginateErrorW entry with a jump
 *    to ro_originate_error_w below. That does what Windows does for callers
 *    that read the message back: it puts an IErrorInfo with the message on the
 *    thread (CreateErrorInfo + SetErrorInfo), where windows-result reads it
 *    (GetErrorInfo), so Error::message() returns the text as on Windows. The
 *    patch is applied only under Wine (ntdll exports wine_get_version) and only
 *    when combase.dll is already loaded, as it is when the .exe imports it.
 */
#define COBJMACROS
#include <windows.h>
#include <bcrypt.h>
#include <oleauto.h>
#include <string.h>

#ifndef BCRYPT_SUCCESS
#define BCRYPT_SUCCESS(status) (((NTSTATUS)(status)) >= 0)
#endif

/* Same signature as the real export. The real one is documented to always
 * return TRUE; this one returns FALSE only if BCryptGenRandom itself fails. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        /* BCryptGenRandom takes a ULONG length: feed large buffers in chunks. */
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk,
                                            BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

/* BOOL RoOriginateErrorW(HRESULT error, UINT cchMax, PCWSTR message):
 * cchMax 0 means NUL-terminated; Windows keeps at most 512 characters. */
static BOOL WINAPI ro_originate_error_w(HRESULT error, UINT len, const WCHAR *message)
{
    ICreateErrorInfo *create;
    IErrorInfo *info;
    WCHAR text[513];
    UINT n = 0;

    (void)error;
    if (message) {
        if (len == 0 || len > 512) {
            len = 512;
        }
        while (n < len && message[n]) {
            n++;
        }
        memcpy(text, message, n * sizeof(WCHAR));
    }
    text[n] = 0;

    if (FAILED(CreateErrorInfo(&create))) {
        return FALSE;
    }
    ICreateErrorInfo_SetDescription(create, text);
    if (SUCCEEDED(ICreateErrorInfo_QueryInterface(create, &IID_IErrorInfo, (void **)&info))) {
        SetErrorInfo(0, info);
        IErrorInfo_Release(info);
    }
    ICreateErrorInfo_Release(create);
    return TRUE;
}

static void patch_ro_originate_error_w(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    HMODULE combase;
    BYTE *entry;
    /* movabs rax, imm64 ; jmp rax  (12 bytes; Wine's stub is longer) */
    BYTE jump[12] = {0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xE0};
    ULONG_PTR target = (ULONG_PTR)ro_originate_error_w;
    DWORD old;

    if (!ntdll || !GetProcAddress(ntdll, "wine_get_version")) {
        return; /* not Wine: leave the real combase alone */
    }
    combase = GetModuleHandleW(L"combase.dll");
    if (!combase) {
        return;
    }
    entry = (BYTE *)GetProcAddress(combase, "RoOriginateErrorW");
    if (!entry) {
        return;
    }
    memcpy(jump + 2, &target, sizeof target);
    if (!VirtualProtect(entry, sizeof jump, PAGE_EXECUTE_READWRITE, &old)) {
        return;
    }
    memcpy(entry, jump, sizeof jump);
    VirtualProtect(entry, sizeof jump, old, &old);
    FlushInstructionCache(GetCurrentProcess(), entry, sizeof jump);
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        patch_ro_originate_error_w();
    }
    return TRUE;
}
