#include "fundos/marketdata/fmd_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fundos/marketdata/event_order.hpp"

namespace fundos::marketdata {

namespace {

bool valid_symbol(std::string_view symbol) {
    if (symbol.empty() || symbol.size() >= FMD_SYMBOL_LEN) {
        return false;
    }
    return std::all_of(symbol.begin(), symbol.end(), [](char c) { return c > ' ' && c < 127 && c != ','; });
}

std::string_view symbol_of(const InstrumentRecord& r) {
    return {r.symbol, strnlen(r.symbol, FMD_SYMBOL_LEN)};
}

}  // namespace

Status FmdWriter::add_instrument(std::string_view symbol, abi::Price tick_size, abi::Quantity lot_size,
                                 std::uint32_t& handle) {
    if (!valid_symbol(symbol)) {
        return Status::error("bad symbol '" + std::string(symbol) + "' (1..15 printable ASCII, no comma)");
    }
    if (tick_size <= 0 || lot_size <= 0) {
        return Status::error("instrument " + std::string(symbol) + ": tick and lot size must be positive");
    }
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
        if (symbol_of(instruments_[i]) == symbol) {
            if (instruments_[i].tick_size != tick_size || instruments_[i].lot_size != lot_size) {
                return Status::error("instrument " + std::string(symbol) + " added twice with different tick or lot size");
            }
            handle = static_cast<std::uint32_t>(i);
            return {};
        }
    }
    InstrumentRecord r{};
    std::memcpy(r.symbol, symbol.data(), symbol.size());
    r.tick_size = tick_size;
    r.lot_size = lot_size;
    handle = static_cast<std::uint32_t>(instruments_.size());
    instruments_.push_back(r);
    return {};
}

void FmdWriter::add(const EventRecord& event) {
    EventRecord e = event;
    e.seq = static_cast<std::uint32_t>(events_.size());
    events_.push_back(e);
}

Status FmdWriter::write(const std::string& path) {
    if (events_.size() > UINT32_MAX) {
        return Status::error(path + ": more than 2^32 events in one file");
    }
    // Ids 1..n in symbol order.
    std::vector<std::uint32_t> order(instruments_.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = static_cast<std::uint32_t>(i);
    }
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return symbol_of(instruments_[a]) < symbol_of(instruments_[b]);
    });
    std::vector<std::uint32_t> id_of_handle(instruments_.size());
    std::vector<InstrumentRecord> table(instruments_.size());
    for (std::size_t rank = 0; rank < order.size(); ++rank) {
        id_of_handle[order[rank]] = static_cast<std::uint32_t>(rank + 1);
        table[rank] = instruments_[order[rank]];
        table[rank].instrument_id = static_cast<std::uint32_t>(rank + 1);
    }
    for (EventRecord& e : events_) {
        if (e.instrument_id >= id_of_handle.size()) {
            return Status::error(path + ": event with an unknown instrument handle");
        }
        e.instrument_id = id_of_handle[e.instrument_id];
    }
    instruments_ = table;
    std::sort(events_.begin(), events_.end(), event_before);

    FmdHeader h{};
    std::memcpy(h.magic, FMD_MAGIC, sizeof h.magic);
    h.version = FMD_VERSION;
    h.header_size = sizeof(FmdHeader);
    h.record_size = sizeof(EventRecord);
    h.instrument_size = sizeof(InstrumentRecord);
    h.instrument_count = static_cast<std::uint32_t>(table.size());
    h.instrument_offset = sizeof(FmdHeader);
    const std::uint64_t table_end = h.instrument_offset + table.size() * sizeof(InstrumentRecord);
    h.records_offset = (table_end + FMD_RECORD_ALIGN - 1) / FMD_RECORD_ALIGN * FMD_RECORD_ALIGN;
    h.record_count = events_.size();
    if (!events_.empty()) {
        h.first_time = events_.front().time;
        h.last_time = events_.back().time;
    }
    for (const EventRecord& e : events_) {
        const auto k = static_cast<unsigned>(e.kind);
        if (k < 1 || k > EVENT_KIND_COUNT) {
            return Status::error(path + ": event of unknown kind " + std::to_string(k));
        }
        ++h.kind_counts[k - 1];
    }
    h.checksum = fmd_checksum(FMD_CHECKSUM_SEED, events_.data(), events_.size() * sizeof(EventRecord));

    std::vector<unsigned char> head(h.records_offset, 0);
    std::memcpy(head.data(), &h, sizeof h);
    if (!table.empty()) {
        std::memcpy(head.data() + h.instrument_offset, table.data(), table.size() * sizeof(InstrumentRecord));
    }
    // One buffer would double the memory; write the head and the records through one temp file.
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return Status::error(tmp + ": cannot create: " + std::strerror(errno));
    }
    auto write_all = [fd](const void* data, std::size_t size) {
        const auto* p = static_cast<const unsigned char*>(data);
        while (size > 0) {
            const ssize_t n = ::write(fd, p, size);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return false;
            }
            p += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    };
    bool ok = write_all(head.data(), head.size()) &&
              write_all(events_.data(), events_.size() * sizeof(EventRecord)) && ::fsync(fd) == 0;
    const int saved = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(ok ? errno : saved);
        ::unlink(tmp.c_str());
        return Status::error(path + ": cannot write: " + why);
    }
    return {};
}

Status write_file_atomically(const std::string& path, const void* data, std::size_t size) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
        return Status::error(tmp + ": cannot create: " + std::strerror(errno));
    }
    bool ok = std::fwrite(data, 1, size, f) == size && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return Status::error(path + ": cannot write: " + std::strerror(errno));
    }
    return {};
}

}  // namespace fundos::marketdata
