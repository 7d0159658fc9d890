// Feed packets (docs/FEED.md): a PacketHeader, then message_count framed messages whose sequence
// numbers are first_seq, first_seq + 1, ... PacketWriter builds one into its own buffer;
// read_packet checks a received datagram's header and walks its messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/wire.hpp"

namespace fundos::feed {

class PacketWriter {
public:
    /// Packets of at most `max_bytes` (at least a header and the largest feed message).
    explicit PacketWriter(std::size_t max_bytes = abi::FEED_MAX_PACKET);

    /// Start a packet whose first message will have sequence number `first_seq`.
    void begin(std::uint64_t session_id, std::uint64_t first_seq) noexcept;

    /// Append a framed message; false (nothing written) when it does not fit.
    template <class Message>
    [[nodiscard]] bool add(const Message& message) noexcept {
        if (count_ == 0xFFFF) {
            return false;
        }
        const std::size_t written = wire::encode(message, std::span<std::uint8_t>(buffer_).subspan(size_));
        if (written == 0) {
            return false;
        }
        size_ += written;
        ++count_;
        return true;
    }

    /// Write the header (with the message count and `send_time`) and return the whole packet.
    [[nodiscard]] std::span<const std::uint8_t> finish(std::uint64_t send_time) noexcept;

    [[nodiscard]] std::uint16_t count() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::uint64_t first_seq() const noexcept { return first_seq_; }
    /// The sequence number the next message added would have.
    [[nodiscard]] std::uint64_t next_seq() const noexcept { return first_seq_ + count_; }

private:
    std::vector<std::uint8_t> buffer_;
    std::size_t size_ = wire::PacketHeader::WIRE_SIZE;
    std::uint64_t session_id_ = 0;
    std::uint64_t first_seq_ = 0;
    std::uint16_t count_ = 0;
};

enum class PacketError : std::uint8_t {
    OK = 0,
    SHORT = 1,      ///< shorter than a header
    MAGIC = 2,      ///< not FEED_MAGIC: not a feed packet
    VERSION = 3,    ///< another protocol version
    MESSAGES = 4,   ///< the messages do not add up to the packet (a bad frame, or bytes left over)
};

[[nodiscard]] constexpr const char* to_string(PacketError error) noexcept {
    switch (error) {
        case PacketError::OK: return "ok";
        case PacketError::SHORT: return "shorter than a packet header";
        case PacketError::MAGIC: return "not a feed packet (magic)";
        case PacketError::VERSION: return "another protocol version";
        case PacketError::MESSAGES: return "its messages do not add up to the packet";
    }
    return "unknown";
}

/// A checked packet: its header and its messages' bytes, one span each, in sequence order.
struct PacketView {
    wire::PacketHeader header;
    std::span<const std::uint8_t> messages[256];  // FEED_MAX_PACKET / FRAME_SIZE would be 368; see read_packet
    std::size_t count = 0;
};

/// Checks `datagram` (magic, version, every frame, the count) and fills `view`. A packet may hold
/// at most 256 messages (no feed packet of FEED_MAX_PACKET bytes comes close).
[[nodiscard]] PacketError read_packet(std::span<const std::uint8_t> datagram, PacketView& view) noexcept;

}  // namespace fundos::feed
