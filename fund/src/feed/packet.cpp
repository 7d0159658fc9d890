#include "fundos/feed/packet.hpp"

#include <algorithm>

namespace fundos::feed {

PacketWriter::PacketWriter(std::size_t max_bytes)
    : buffer_(std::max<std::size_t>(max_bytes, wire::PacketHeader::WIRE_SIZE + wire::MAX_MESSAGE_SIZE)) {}

void PacketWriter::begin(std::uint64_t session_id, std::uint64_t first_seq) noexcept {
    session_id_ = session_id;
    first_seq_ = first_seq;
    count_ = 0;
    size_ = wire::PacketHeader::WIRE_SIZE;
}

std::span<const std::uint8_t> PacketWriter::finish(std::uint64_t send_time) noexcept {
    wire::PacketHeader header{};
    header.magic = abi::FEED_MAGIC;
    header.version = wire::WIRE_VERSION;
    header.message_count = count_;
    header.session_id = session_id_;
    header.first_seq = first_seq_;
    header.send_time = send_time;
    (void)wire::encode(header, std::span<std::uint8_t>(buffer_));
    return {buffer_.data(), size_};
}

PacketError read_packet(std::span<const std::uint8_t> datagram, PacketView& view) noexcept {
    view.count = 0;
    if (wire::decode(datagram, view.header) != wire::WireStatus::OK) {
        return PacketError::SHORT;
    }
    if (view.header.magic != abi::FEED_MAGIC) {
        return PacketError::MAGIC;
    }
    if (view.header.version != wire::WIRE_VERSION) {
        return PacketError::VERSION;
    }
    const std::size_t wanted = view.header.message_count;
    if (wanted > std::size(view.messages)) {
        return PacketError::MESSAGES;
    }
    std::size_t at = wire::PacketHeader::WIRE_SIZE;
    for (std::size_t i = 0; i < wanted; ++i) {
        wire::Frame frame;
        const auto rest = datagram.subspan(at);
        if (wire::read_frame(rest, frame) != wire::WireStatus::OK || frame.size > rest.size()) {
            view.count = 0;
            return PacketError::MESSAGES;
        }
        view.messages[i] = rest.first(frame.size);
        at += frame.size;
    }
    if (at != datagram.size()) {
        return PacketError::MESSAGES;
    }
    view.count = wanted;
    return PacketError::OK;
}

}  // namespace fundos::feed
