/*
 * bcryptprimitives.dll shim, used only to run Windows test binaries under Wine.
 *
 * Why it exists: Rust's standard library (1.78 and later) on *-pc-windows-*
 * imports ProcessPrng from bcryptprimitives.dll (it seeds HashMap keys and
 * backs std's random bytes). Wine 8.0, the version in Debian 12, has no
 * bcryptprimitives.dll, so every Rust .exe fails to load before main: it prints
 * nothing and exits with code 53 (with WINEDEBUG at its default Wine says
 * "Library bcryptprimitives.dll ... not found").
 *
 * This DLL exports only ProcessPrng and fills the buffer from Wine's bcrypt
 * (BCryptGenRandom with the system-preferred RNG). scripts/test-windows.sh builds
 * it with x86_64-w64-mingw32-gcc ... -lbcrypt and copies it into the Wine
 * prefix's drive_c/windows/system32/. It is never shipped: real Windows (8 and
 * later) has the real DLL. Newer Wine (9.x) has its own and needs no shim.
 */
#include <windows.h>
#include <bcrypt.h>

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
