#include "fundos/marketdata/replay_merge.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <tuple>

namespace fundos::marketdata {

namespace {

std::string symbol_of(const InstrumentRecord& r) { return {r.symbol, strnlen(r.symbol, FMD_SYMBOL_LEN)}; }

}  // namespace

Status ReplayMerge::open(std::vector<ReplayReader*> readers) {
    readers_ = std::move(readers);
    id_maps_.assign(readers_.size(), {});
    instruments_.clear();
    heap_.clear();
    heap_.reserve(readers_.size());
    // std::map: ordered by symbol, so ids come out the same whatever the file order.
    std::map<std::string, InstrumentRecord> by_symbol;
    for (const ReplayReader* r : readers_) {
        for (const InstrumentRecord& inst : r->instruments()) {
            auto [it, inserted] = by_symbol.emplace(symbol_of(inst), inst);
            if (!inserted && (it->second.tick_size != inst.tick_size || it->second.lot_size != inst.lot_size)) {
                return Status::error(r->path() + ": instrument " + it->first +
                                     " has a different tick or lot size than in an earlier file");
            }
        }
    }
    std::uint32_t next_id = 1;
    for (auto& [symbol, inst] : by_symbol) {
        inst.instrument_id = next_id++;
        instruments_.push_back(inst);
    }
    for (std::size_t f = 0; f < readers_.size(); ++f) {
        const auto& table = readers_[f]->instruments();
        std::uint32_t max_id = 0;
        for (const InstrumentRecord& inst : table) {
            max_id = std::max(max_id, inst.instrument_id);
        }
        id_maps_[f].assign(std::size_t{max_id} + 1, 0);
        for (const InstrumentRecord& inst : table) {
            id_maps_[f][inst.instrument_id] = by_symbol.at(symbol_of(inst)).instrument_id;
        }
        load(f);
    }
    std::make_heap(heap_.begin(), heap_.end(), after);
    return {};
}

bool ReplayMerge::after(const Head& a, const Head& b) noexcept {
    return std::tie(a.event.time, a.event.source, a.event.instrument_id, a.event.seq, a.file) >
           std::tie(b.event.time, b.event.source, b.event.instrument_id, b.event.seq, b.file);
}

bool ReplayMerge::load(std::size_t file) noexcept {
    const EventRecord* e = readers_[file]->next();
    if (e == nullptr) {
        return false;
    }
    Head head{*e, file};
    const auto& map = id_maps_[file];
    head.event.instrument_id = head.event.instrument_id < map.size() ? map[head.event.instrument_id] : 0;
    heap_.push_back(head);
    return true;
}

const EventRecord* ReplayMerge::next() noexcept {
    if (heap_.empty()) {
        return nullptr;
    }
    std::pop_heap(heap_.begin(), heap_.end(), after);
    current_ = heap_.back().event;
    last_file_ = heap_.back().file;
    heap_.pop_back();
    if (load(last_file_)) {
        std::push_heap(heap_.begin(), heap_.end(), after);
    }
    return &current_;
}

}  // namespace fundos::marketdata
