#include "fundos/fix/cl_ord_id.hpp"

#include <charconv>

namespace fundos::fix {

bool valid_cl_ord_token(std::string_view text) noexcept {
    if (text.empty() || text.size() > 16) {
        return false;
    }
    for (const char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string make_cl_ord_id(std::string_view tag, std::string_view run, std::uint64_t parent_id, std::uint32_t version) {
    std::string out;
    out.reserve(tag.size() + run.size() + 32);
    out.append(tag).append(".").append(run).append(".");
    out.append(std::to_string(parent_id)).append(".").append(std::to_string(version));
    return out;
}

namespace {

template <class T>
bool parse_number(std::string_view text, T& out) noexcept {
    if (text.empty() || (text.size() > 1 && text.front() == '0')) {
        return false;  // one spelling per number, so a ClOrdID round-trips
    }
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::optional<ClOrdIdParts> parse_cl_ord_id(std::string_view text) noexcept {
    ClOrdIdParts parts;
    const std::size_t d3 = text.rfind('.');
    if (d3 == std::string_view::npos || !parse_number(text.substr(d3 + 1), parts.version)) {
        return std::nullopt;
    }
    const std::size_t d2 = text.rfind('.', d3 == 0 ? 0 : d3 - 1);
    if (d2 == std::string_view::npos || d2 >= d3 || !parse_number(text.substr(d2 + 1, d3 - d2 - 1), parts.parent_id)) {
        return std::nullopt;
    }
    const std::size_t d1 = text.find('.');
    if (d1 >= d2) {
        return std::nullopt;
    }
    parts.tag = text.substr(0, d1);
    parts.run = text.substr(d1 + 1, d2 - d1 - 1);
    if (!valid_cl_ord_token(parts.tag) || !valid_cl_ord_token(parts.run)) {
        return std::nullopt;
    }
    return parts;
}

}  // namespace fundos::fix
