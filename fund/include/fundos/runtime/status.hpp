// Status of a runtime operation (configuration, journal, run outputs): empty message means
// success; otherwise the message names the file and the problem. The same type as the market-data
// layer's, so callers handle one kind of result.
#pragma once

#include "fundos/marketdata/status.hpp"

namespace fundos::runtime {

using Status = marketdata::Status;

}  // namespace fundos::runtime
