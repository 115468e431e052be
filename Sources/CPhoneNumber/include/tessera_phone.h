// The plain C face of the libphonenumber shim: Swift imports this header and never sees C++.
#ifndef TESSERA_PHONE_H
#define TESSERA_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What became of one attempt to turn a phone number into E.164.
typedef enum __attribute__((enum_extensibility(closed))) tessera_phone_status {
    /// `out` holds the number in E.164, NUL-terminated.
    TESSERA_PHONE_OK = 0,
    /// The text could not be read as a phone number at all.
    TESSERA_PHONE_NOT_A_NUMBER = 1,
    /// The text reads as a phone number, but not one that can exist (wrong length, unassigned range).
    TESSERA_PHONE_INVALID = 2,
    /// The number has no country calling code and the default region is not a known region.
    TESSERA_PHONE_INVALID_REGION = 3,
    /// `out` is too small: E.164 needs at most 17 bytes with the terminating NUL.
    TESSERA_PHONE_BUFFER_TOO_SMALL = 4,
    /// The library failed in an unexpected way (an exception or a bad argument).
    TESSERA_PHONE_INTERNAL_ERROR = 5,
} tessera_phone_status;

/// Parses `raw` (UTF-8, NUL-terminated) as a phone number dialled from `region` (ISO 3166 alpha-2,
/// e.g. "US", or "ZZ" for none), checks that it is a valid number and writes it in E.164 to `out`.
///
/// Thread-safe: libphonenumber's parsing, validation and formatting only read its shared metadata.
tessera_phone_status tessera_phone_e164(const char *raw, const char *region, char *out, size_t cap);

/// Loads libphonenumber's metadata now (the first call otherwise takes 7 to 18 ms) and silences
/// its logger, which could otherwise print the numbers it fails on. Safe to call more than once.
void tessera_phone_prepare(void);

#ifdef __cplusplus
}
#endif

#endif
