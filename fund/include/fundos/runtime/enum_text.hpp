// ABI enums as the lower-case words the Fund's JSON uses (report.json, status, stdout events):
// the generated abi::to_string names, lower-cased, so no second table of names can drift.
#pragma once

#include <cctype>
#include <string>

#include "fundos/abi.hpp"

namespace fundos::runtime {

/// "HALTED" -> "halted"; "unknown" for a value the ABI does not name.
template <class Enum>
[[nodiscard]] std::string lower_name(Enum value) {
    const char* name = abi::to_string(value);
    std::string text = name != nullptr ? name : "unknown";
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

}  // namespace fundos::runtime
