// RecordingSink: an engine Sink that keeps everything it is given, in order, for tests and tools
// (determinism checks compare two sinks' byte streams; replay tools read the journal back).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/engine/engine.hpp"

namespace fundos::engine {

class RecordingSink final : public Sink {
public:
    struct Report {
        std::uint16_t slot;
        abi::IntentReport report;
    };
    struct Journal {
        RecordType type;
        std::vector<std::byte> payload;
    };

    void report(std::uint16_t slot, const abi::IntentReport& report) override {
        reports.push_back({slot, report});
        append_stream(0xA0, &slot, sizeof slot);
        append_stream(0xA1, &report, sizeof report);
    }

    void journal(RecordType type, std::span<const std::byte> payload) override {
        journals.push_back({type, std::vector<std::byte>(payload.begin(), payload.end())});
        const auto t = static_cast<std::uint16_t>(type);
        append_stream(0xB0, &t, sizeof t);
        append_stream(0xB1, payload.data(), payload.size());
    }

    void equity(std::span<const EquityPoint> fund_then_agents) override {
        equity_steps.emplace_back(fund_then_agents.begin(), fund_then_agents.end());
        append_stream(0xC0, fund_then_agents.data(), fund_then_agents.size_bytes());
    }

    void venue(const venue::VenueCommand& command) override {
        venue_commands.push_back(command);
        append_stream(0xD0, &command, sizeof command);
    }

    /// Every call as bytes, in call order: equal streams mean identical output.
    std::vector<std::byte> stream;
    /// Venue mode: the commands for the venue, in order (Sink::venue).
    std::vector<venue::VenueCommand> venue_commands;
    std::vector<Report> reports;
    std::vector<Journal> journals;
    /// Per step, the fund's equity point then each agent's (Sink::equity).
    std::vector<std::vector<EquityPoint>> equity_steps;

    /// Reports for one slot.
    [[nodiscard]] std::vector<abi::IntentReport> for_slot(std::uint16_t slot) const {
        std::vector<abi::IntentReport> out;
        for (const Report& r : reports) {
            if (r.slot == slot) {
                out.push_back(r.report);
            }
        }
        return out;
    }

    /// Journal payloads of one type, decoded as T.
    template <class T>
    [[nodiscard]] std::vector<T> records(RecordType type) const {
        std::vector<T> out;
        for (const Journal& j : journals) {
            if (j.type == type && j.payload.size() == sizeof(T)) {
                T value{};
                std::memcpy(static_cast<void*>(&value), j.payload.data(), sizeof(T));
                out.push_back(value);
            }
        }
        return out;
    }

    void clear() {
        stream.clear();
        reports.clear();
        journals.clear();
        equity_steps.clear();
        venue_commands.clear();
    }

private:
    void append_stream(std::uint8_t tag, const void* data, std::size_t size) {
        stream.push_back(static_cast<std::byte>(tag));
        const auto* p = static_cast<const std::byte*>(data);
        stream.insert(stream.end(), p, p + size);
    }
};

}  // namespace fundos::engine
