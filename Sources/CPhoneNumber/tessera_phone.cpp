// The libphonenumber shim: Parse, IsValidNumber and Format(E164) behind a plain C function.
#include "tessera_phone.h"

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// The library's singleton, with its logger replaced by one that prints nothing. A function-local
// static is initialised exactly once even when several threads arrive together (C++11).
const PhoneNumberUtil &util() {
    static PhoneNumberUtil *const shared = [] {
        PhoneNumberUtil *instance = PhoneNumberUtil::GetInstance();
        instance->SetLogger(new NullLogger());
        return instance;
    }();
    return *shared;
}

// Longest input handed to the parser; libphonenumber itself refuses more than 250 characters.
constexpr size_t kMaxInputLength = 250;

}  // namespace

extern "C" tessera_phone_status tessera_phone_e164(const char *raw, const char *region, char *out, size_t cap) {
    if (raw == nullptr || region == nullptr || out == nullptr) return TESSERA_PHONE_INTERNAL_ERROR;
    if (std::strlen(raw) > kMaxInputLength) return TESSERA_PHONE_NOT_A_NUMBER;
    try {
        const PhoneNumberUtil &phones = util();
        PhoneNumber number;
        switch (phones.Parse(raw, region, &number)) {
        case PhoneNumberUtil::NO_PARSING_ERROR:
            break;
        case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
            return TESSERA_PHONE_INVALID_REGION;
        case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        case PhoneNumberUtil::TOO_SHORT_NSN:
        case PhoneNumberUtil::TOO_LONG_NSN:
            return TESSERA_PHONE_INVALID;
        default:
            return TESSERA_PHONE_NOT_A_NUMBER;
        }
        if (!phones.IsValidNumber(number)) return TESSERA_PHONE_INVALID;
        std::string formatted;
        phones.Format(number, PhoneNumberUtil::E164, &formatted);
        if (formatted.size() + 1 > cap) return TESSERA_PHONE_BUFFER_TOO_SMALL;
        std::memcpy(out, formatted.c_str(), formatted.size() + 1);
        return TESSERA_PHONE_OK;
    } catch (...) {
        return TESSERA_PHONE_INTERNAL_ERROR;
    }
}

extern "C" void tessera_phone_prepare(void) {
    try {
        PhoneNumber number;
        util().Parse("+14155550100", "ZZ", &number);
    } catch (...) {
    }
}
