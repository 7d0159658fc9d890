// What FixVenue and the exchange simulator both need to read and write FIX 4.4 fields: tag
// numbers, the Fund's fixed point as exact decimal text (never a double), UTCTimestamps, and
// the enum mappings. Private to fund/src/fix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fundos/abi.hpp"
#include "quickfix.hpp"

namespace fundos::fix::fields {

// Tags (FIX 4.4).
inline constexpr int kAccount = 1;
inline constexpr int kAvgPx = 6;
inline constexpr int kClOrdID = 11;
inline constexpr int kCommission = 12;
inline constexpr int kCumQty = 14;
inline constexpr int kExecID = 17;
inline constexpr int kLastPx = 31;
inline constexpr int kLastQty = 32;
inline constexpr int kMsgType = 35;
inline constexpr int kOrderID = 37;
inline constexpr int kOrderQty = 38;
inline constexpr int kOrdStatus = 39;
inline constexpr int kOrdType = 40;
inline constexpr int kOrigClOrdID = 41;
inline constexpr int kPossDupFlag = 43;
inline constexpr int kPrice = 44;
inline constexpr int kSide = 54;
inline constexpr int kSymbol = 55;
inline constexpr int kText = 58;
inline constexpr int kTimeInForce = 59;
inline constexpr int kTransactTime = 60;
inline constexpr int kPossResend = 97;
inline constexpr int kOrdRejReason = 103;
inline constexpr int kExecType = 150;
inline constexpr int kLeavesQty = 151;
inline constexpr int kCxlRejResponseTo = 434;
inline constexpr int kAccountType = 581;
inline constexpr int kMassStatusReqID = 584;
inline constexpr int kMassStatusReqType = 585;
inline constexpr int kNoPositions = 702;
inline constexpr int kPosType = 703;
inline constexpr int kLongQty = 704;
inline constexpr int kShortQty = 705;
inline constexpr int kPosReqID = 710;
inline constexpr int kClearingBusinessDate = 715;
inline constexpr int kPosMaintRptID = 721;
inline constexpr int kOrdStatusReqID = 790;
inline constexpr int kPosReqType = 724;
inline constexpr int kTotalNumPosReports = 727;
inline constexpr int kPosReqResult = 728;
inline constexpr int kPosReqStatus = 729;
inline constexpr int kSettlPrice = 730;
inline constexpr int kSettlPriceType = 731;
inline constexpr int kPriorSettlPrice = 734;
inline constexpr int kTotNumReports = 911;
inline constexpr int kLastRptRequested = 912;

/// The field's text, or empty when absent.
[[nodiscard]] std::string text(const FIX::FieldMap& map, int tag);
/// The field's first character, or 0.
[[nodiscard]] char character(const FIX::FieldMap& map, int tag);
/// A decimal field in the Fund's fixed point (`decimals`); nullopt when absent or not a number.
[[nodiscard]] std::optional<std::int64_t> fixed(const FIX::FieldMap& map, int tag, int decimals);
[[nodiscard]] std::int64_t fixed_or_zero(const FIX::FieldMap& map, int tag, int decimals);
[[nodiscard]] std::optional<std::int64_t> integer(const FIX::FieldMap& map, int tag);

void set(FIX::FieldMap& map, int tag, std::string_view value);
void set_char(FIX::FieldMap& map, int tag, char value);
void set_qty(FIX::FieldMap& map, int tag, abi::Quantity qty);
void set_price(FIX::FieldMap& map, int tag, abi::Price price);
void set_time(FIX::FieldMap& map, int tag, abi::Timestamp ns);

/// UTCTimestamp "YYYYMMDD-HH:MM:SS.sss" (milliseconds, as FIX 4.4 defines it) and back; the
/// parser also takes more fractional digits (to 9) and none.
[[nodiscard]] std::string utc_timestamp(abi::Timestamp ns);
[[nodiscard]] std::optional<abi::Timestamp> parse_utc_timestamp(std::string_view text);
/// LocalMktDate "YYYYMMDD" of a time.
[[nodiscard]] std::string date_of(abi::Timestamp ns);

[[nodiscard]] char side_code(abi::Side side) noexcept;          ///< '1' buy, '2' sell
[[nodiscard]] abi::Side side_of(char code) noexcept;             ///< NONE for anything else
[[nodiscard]] char ord_type_code(abi::OrderType type) noexcept; ///< '1' market, '2' limit
[[nodiscard]] abi::OrderType ord_type_of(char code) noexcept;
[[nodiscard]] char tif_code(abi::TimeInForce tif) noexcept;      ///< '0' day, '1' GTC, '3' IOC, '4' FOK
[[nodiscard]] abi::TimeInForce tif_of(char code) noexcept;

/// The message's MsgType (35).
[[nodiscard]] std::string msg_type(const FIX::Message& message);
/// A new application message of `type`.
[[nodiscard]] FIX::Message make(std::string_view type);

}  // namespace fundos::fix::fields
