// QuickFIX's headers, for fund/src/fix only (never a public header: they are heavy and throw).
//
// QuickFIX 1.15 (Debian's libquickfix-dev) declares dynamic exception specifications,
// `throw( ConfigError )`, which C++17 removed: GCC rejects them under -std=c++20. The library's
// binary does not depend on them (they are not part of the mangled names), so they are erased
// with a function-like macro while its headers are read. The standard headers come first so the
// macro cannot reach theirs (`what() const throw()` in <new> would lose its noexcept).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <queue>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#define throw(...)
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Acceptor.h>
#include <quickfix/ThreadedSocketConnection.h>
#undef throw
