// fundos._core: the thin pybind11 layer between the Python package and the C SDK (sdks/c).
//
// Every protocol step (attach, seqlock reads, ring writes and reads, waits) is the C core's. This
// layer moves bytes and integers, and on the hot path does the little checking, packing and
// decoding that would cost microseconds in Python: submit_fields() packs the common intents
// straight from fundos.Agent.submit()'s arguments (and hands the rest back), submit_intent()
// packs one from ints, reports() builds the package's Report tuples (set_intent_types() and
// set_report_types() hand it the types), and snapshots come back as the head of FundState plus
// the rows in use only. Those hot methods are METH_FASTCALL functions (FastMethods), not pybind11
// methods, whose generic argument casters cost more than the work. Functions return the C return
// code next to (or instead of) their result; the Python package turns codes into exceptions
// through its one error table (fundos/_errors.py). Calls that may block release the GIL (a
// snapshot wait under the busy and spin policies first polls a few microseconds holding it).
// One handle is one thread's: a second thread entering the same handle while a call is running
// gets a RuntimeError instead of undefined behaviour.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <fundos/agent.h>
#include <fundos/config.h>

#include "agent_binding.h"  // sdks/c/src: the C SDK's functions for this binding

namespace py = pybind11;

namespace {

py::bytes as_bytes(const void* data, size_t size) {
    return py::bytes(static_cast<const char*>(data), size);
}

constexpr size_t kStateHeadBytes = offsetof(fundos_fund_state_t, instruments);
static_assert(offsetof(fundos_fund_state_t, agents) ==
              kStateHeadBytes + sizeof(fundos_instrument_entry_t) * FUNDOS_MAX_INSTRUMENTS);

// The part of a FundState copy a snapshot carries: the head, instruments[0, instrument_count),
// agents[0, agent_count), back to back (counts already clamped by the C core). The rows past the
// counts are zero by the C API's contract, so this is the whole FundState, losslessly.
py::bytes compact_state(const fundos_fund_state_t& state) {
    const size_t instruments = state.instrument_count * sizeof(fundos_instrument_entry_t);
    const size_t agents = state.agent_count * sizeof(fundos_agent_slot_t);
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(kStateHeadBytes + instruments + agents));
    if (bytes == nullptr) {
        throw py::error_already_set();
    }
    char* out = PyBytes_AS_STRING(bytes);
    std::memcpy(out, &state, kStateHeadBytes);
    std::memcpy(out + kStateHeadBytes, state.instruments, instruments);
    std::memcpy(out + kStateHeadBytes + instruments, state.agents, agents);
    return py::reinterpret_steal<py::bytes>(bytes);
}

// What reports() builds: the package's Report type and, per enum, the member for each value
// (None where the value has no member). Set once by the package at import (set_report_types);
// the references are kept for the life of the process (never released: no destructor runs
// after the interpreter is gone).
struct ReportTypes {
    PyObject* report = nullptr;  // a tuple subclass (typing.NamedTuple) of 12 fields
    std::vector<PyObject*> kinds, sides, reasons;
};
ReportTypes* g_report_types = nullptr;

std::vector<PyObject*> enum_table(const py::list& members) {
    std::vector<PyObject*> table;
    table.reserve(members.size());
    for (const py::handle member : members) {
        table.push_back(member.inc_ref().ptr());
    }
    return table;
}

// The member for `value`, or the number itself when the enum has none (a new reference).
PyObject* member_or_number(const std::vector<PyObject*>& table, unsigned value) {
    if (value < table.size() && table[value] != Py_None) {
        Py_INCREF(table[value]);
        return table[value];
    }
    return PyLong_FromUnsignedLong(value);
}

// raw * 10^-decimals as the float nearest to it, as Python's int / int (correctly rounded):
// one IEEE division when raw is exact in a double, Python's own division otherwise.
PyObject* fixed_to_float(int64_t raw, int64_t scale) {
    constexpr int64_t kExact = int64_t{1} << 53;
    if (raw >= -kExact && raw <= kExact) {
        return PyFloat_FromDouble(static_cast<double>(raw) / static_cast<double>(scale));
    }
    PyObject* num = PyLong_FromLongLong(raw);
    PyObject* den = num != nullptr ? PyLong_FromLongLong(scale) : nullptr;
    PyObject* out = den != nullptr ? PyNumber_TrueDivide(num, den) : nullptr;
    Py_XDECREF(num);
    Py_XDECREF(den);
    return out;
}

int64_t pow10(unsigned decimals) {
    int64_t scale = 1;
    for (unsigned i = 0; i < decimals; i++) {
        scale *= 10;
    }
    return scale;
}

// One IntentReport as the package's Report (a new reference), or nullptr with an exception.
PyObject* make_report(const ReportTypes& types, const fundos_intent_report_t& r) {
    static const int64_t price_scale = pow10(FUNDOS_PRICE_DECIMALS);
    static const int64_t qty_scale = pow10(FUNDOS_QUANTITY_DECIMALS);
    static const int64_t money_scale = pow10(FUNDOS_MONEY_DECIMALS);
    PyObject* fields = PyTuple_New(12);
    if (fields == nullptr) {
        return nullptr;
    }
    PyObject* items[12] = {
        PyLong_FromUnsignedLongLong(r.intent_id),
        PyLong_FromUnsignedLongLong(r.client_tag),
        PyLong_FromUnsignedLongLong(r.snapshot_seq),
        PyLong_FromUnsignedLongLong(r.clock),
        PyLong_FromUnsignedLong(r.instrument_id),
        member_or_number(types.kinds, r.kind),
        member_or_number(types.sides, r.side),
        member_or_number(types.reasons, r.reason),
        fixed_to_float(r.fill_qty, qty_scale),
        fixed_to_float(r.fill_price, price_scale),
        fixed_to_float(r.fee, money_scale),
        fixed_to_float(r.remaining_qty, qty_scale),
    };
    bool ok = true;
    for (Py_ssize_t i = 0; i < 12; i++) {
        ok = ok && items[i] != nullptr;
        PyTuple_SET_ITEM(fields, i, items[i]);  // steals; a nullptr item is fine for the decref
    }
    if (!ok) {
        Py_DECREF(fields);
        return nullptr;
    }
    // tuple.__new__(Report, fields): what Report._make does, without the Python call.
    PyObject* args = PyTuple_Pack(1, fields);
    Py_DECREF(fields);
    if (args == nullptr) {
        return nullptr;
    }
    PyObject* report = PyTuple_Type.tp_new(reinterpret_cast<PyTypeObject*>(types.report), args, nullptr);
    Py_DECREF(args);
    return report;
}

// ---- submit_fields(): the common intents, packed here from the Python arguments

// The enums submit_fields() reads (IntentKind, Side, OrderType, TimeInForce): the class, whose
// members are taken as they are, and {name: value}. Set once by the package at import
// (set_intent_types); kept for the life of the process, like ReportTypes.
struct EnumArg {
    PyTypeObject* type = nullptr;
    PyObject* names = nullptr;  // dict
};
struct IntentTypes {
    EnumArg kind, side, order_type, time_in_force;
    long order = -1, target_position = -1, flatten = -1, cancel = -1;  // IntentKind values
    long limit = -1, market = -1, day = -1, no_side = -1;
};
IntentTypes* g_intent_types = nullptr;

constexpr long kNotFast = -1;

// A member of exactly arg.type, or one of its names as typed: its value; else kNotFast.
long fast_enum(PyObject* value, const EnumArg& arg) {
    if (Py_TYPE(value) == arg.type) {
        const long v = PyLong_AsLong(value);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return kNotFast;
        }
        return v;
    }
    if (PyUnicode_CheckExact(value)) {
        PyObject* code = PyDict_GetItemWithError(arg.names, value);  // borrowed
        if (code != nullptr) {
            return PyLong_AsLong(code);
        }
        PyErr_Clear();
    }
    return kNotFast;
}

// An exact int in [0, max]; false: not on the fast path.
bool fast_u64(PyObject* value, uint64_t max, uint64_t* out) {
    if (!PyLong_CheckExact(value)) {
        return false;
    }
    const unsigned long long v = PyLong_AsUnsignedLongLong(value);
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
    }
    if (v > max) {
        return false;
    }
    *out = v;
    return true;
}

// An exact int or float as fixed point with `scale` = 10^decimals, exactly as fundos._fixed
// converts it (its int and float fast paths; see to_fixed for why the float one is exact);
// false: not on the fast path (Decimal, ties, out of range, NaN, ...), fundos._fixed decides.
bool fast_fixed(PyObject* value, int64_t scale, int64_t* out) {
    if (PyLong_CheckExact(value)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return false;
        }
        if (v > INT64_MAX / scale || v < -(INT64_MAX / scale)) {
            return false;
        }
        *out = v * scale;
        return true;
    }
    if (PyFloat_CheckExact(value)) {
        constexpr double kLimit = 1099511627776.0;  // 2^40
        const double scaled = PyFloat_AS_DOUBLE(value) * static_cast<double>(scale);
        if (!(scaled > -kLimit && scaled < kLimit)) {
            return false;  // also NaN
        }
        const double nearest = std::nearbyint(scaled);
        const double off = scaled - nearest;
        if (!(off > -0.49 && off < 0.49)) {
            return false;
        }
        *out = static_cast<int64_t>(nearest);
        return true;
    }
    return false;
}

// The IntentRecord fundos.Agent.submit() would build from these arguments (its keyword
// arguments, in order), when every one takes a fast path: names or members for the enums, no
// symbol, exact ints (or floats for qty and limit_price), and the intent complete for its kind.
// false: anything else, left to the Python layer, which checks it all and says what is wrong.
bool fast_record(PyObject* const* args, fundos_intent_record_t& record) {
    const IntentTypes* types = g_intent_types;
    if (types == nullptr) {
        return false;
    }
    PyObject* const kind = args[0];
    PyObject* const instrument_id = args[1];
    PyObject* const symbol = args[2];
    PyObject* const side = args[3];
    PyObject* const qty = args[4];
    PyObject* const limit_price = args[5];
    PyObject* const order_type = args[6];
    PyObject* const time_in_force = args[7];
    PyObject* const ref_intent_id = args[8];
    PyObject* const client_tag = args[9];
    PyObject* const snapshot_seq = args[10];
    PyObject* const intent_id = args[11];
    std::memset(&record, 0, sizeof(record));
    const long kind_code = fast_enum(kind, types->kind);
    if (kind_code < 0 || kind_code > UINT8_MAX || symbol != Py_None) {
        return false;
    }
    record.kind = static_cast<fundos_intent_kind_t>(kind_code);
    uint64_t value = 0;
    if (instrument_id == Py_None) {
        if (kind_code == types->order || kind_code == types->target_position || kind_code == types->flatten) {
            return false;  // needs an instrument
        }
    } else if (fast_u64(instrument_id, UINT32_MAX, &value)) {
        record.instrument_id = static_cast<uint32_t>(value);
    } else {
        return false;
    }
    long order_type_code = 0, time_in_force_code = 0;
    if (kind_code == types->order) {
        if (side == Py_None || qty == Py_None) {
            return false;
        }
        if (order_type == Py_None) {
            order_type_code = limit_price != Py_None ? types->limit : types->market;
        }
        if (time_in_force == Py_None) {
            time_in_force_code = types->day;
        }
    } else if (kind_code == types->target_position && qty == Py_None) {
        return false;
    }
    long side_code = types->no_side;
    if (side != Py_None && (side_code = fast_enum(side, types->side)) < 0) {
        return false;
    }
    if (order_type != Py_None && (order_type_code = fast_enum(order_type, types->order_type)) < 0) {
        return false;
    }
    if (time_in_force != Py_None && (time_in_force_code = fast_enum(time_in_force, types->time_in_force)) < 0) {
        return false;
    }
    if (side_code > UINT8_MAX || order_type_code > UINT8_MAX || time_in_force_code > UINT8_MAX) {
        return false;
    }
    record.side = static_cast<fundos_side_t>(side_code);
    record.order_type = static_cast<fundos_order_type_t>(order_type_code);
    record.time_in_force = static_cast<fundos_time_in_force_t>(time_in_force_code);
    static const int64_t qty_scale = pow10(FUNDOS_QUANTITY_DECIMALS);
    static const int64_t price_scale = pow10(FUNDOS_PRICE_DECIMALS);
    if ((qty != Py_None && !fast_fixed(qty, qty_scale, &record.qty)) ||
        (limit_price != Py_None && !fast_fixed(limit_price, price_scale, &record.limit_price))) {
        return false;
    }
    if (!fast_u64(ref_intent_id, UINT64_MAX, &record.ref_intent_id) ||
        !fast_u64(client_tag, UINT64_MAX, &record.client_tag) ||
        (kind_code == types->cancel && record.ref_intent_id == 0) ||
        (snapshot_seq != Py_None && !fast_u64(snapshot_seq, UINT64_MAX, &record.snapshot_seq)) ||
        (intent_id != Py_None && !fast_u64(intent_id, UINT64_MAX, &record.intent_id))) {
        return false;
    }
    return true;
}

class Agent {
public:
    Agent() = default;
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;
    ~Agent() { fundos_detach(agent_); }

    // (code, why, AttachReply bytes or None)
    std::tuple<int, std::string, std::optional<py::bytes>> attach(const std::string& socket_path, uint32_t agent_id,
                                                                 int wait, uint32_t spin_count, uint32_t yield_count,
                                                                 int ring_full, uint64_t ring_full_timeout_ns,
                                                                 uint64_t attach_timeout_ns) {
        Guard guard(*this);
        if (agent_ != nullptr) {
            return {FUNDOS_E_INVALID_ARGUMENT, "this agent is attached already", std::nullopt};
        }
        fundos_attach_options options;
        fundos_attach_options_init(&options);
        options.socket_path = socket_path.c_str();
        options.agent_id = agent_id;
        options.wait = static_cast<fundos_wait_policy>(wait);
        options.spin_count = spin_count;
        options.yield_count = yield_count;
        options.ring_full = static_cast<fundos_ring_full_policy>(ring_full);
        options.ring_full_timeout_ns = ring_full_timeout_ns;
        options.attach_timeout_ns = attach_timeout_ns;
        fundos_attach_reply_t reply;
        std::memset(&reply, 0, sizeof(reply));
        options.reply_out = &reply;
        char why[512] = {0};
        int rc;
        {
            py::gil_scoped_release release;
            rc = fundos_attach(&options, &agent_, why, sizeof(why));
        }
        ring_full_waits_ = rc == FUNDOS_OK && ring_full == FUNDOS_RING_FULL_WAIT;
        spin_holding_gil_ = rc == FUNDOS_OK && (wait == FUNDOS_WAIT_BUSY || wait == FUNDOS_WAIT_SPIN);
        std::optional<py::bytes> reply_bytes;
        if (reply.magic == FUNDOS_ATTACH_MAGIC) {
            reply_bytes = as_bytes(&reply, sizeof(reply));
        }
        return {rc, std::string(why), reply_bytes};
    }

    void detach() {
        Guard guard(*this);
        fundos_detach(agent_);
        agent_ = nullptr;
    }

    bool attached() const { return agent_ != nullptr; }

    // (code, seq, the head of FundState and its rows in use; or None)
    PyObject* read_snapshot() {
        Guard guard(*this);
        fundos_fund_state_t& state = buffers_->state;
        return snapshot_result(fundos__read_snapshot(handle(), &state, 0), state);
    }

    // As read_snapshot(), for the newest snapshot after `after_seq`; waits up to timeout_ns
    // (with the GIL released) only when there is none yet.
    PyObject* wait_snapshot(uint64_t after_seq, uint64_t timeout_ns) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        fundos_fund_state_t& state = buffers_->state;
        int rc = FUNDOS_E_AGAIN;
        if (fundos_snapshot_latest(agent) > after_seq) {
            rc = fundos__read_snapshot(agent, &state, 0);  // there already: no wait, keep the GIL
        }
        if (rc == FUNDOS_E_AGAIN && timeout_ns > 0 && spin_holding_gil_) {
            // Busy and spin waits: poll a few microseconds before paying for the GIL's release
            // and re-acquisition (a snapshot is usually that close; other threads wait no longer
            // than they would for a few bytecodes).
            for (unsigned poll = 0; poll < kGilSpinPolls && rc == FUNDOS_E_AGAIN; poll++) {
                if (fundos_snapshot_latest(agent) > after_seq) {
                    rc = fundos__read_snapshot(agent, &state, 0);
                } else {
                    cpu_relax();
                }
            }
        }
        if (rc == FUNDOS_E_AGAIN) {
            py::gil_scoped_release release;
            rc = fundos__wait_snapshot(agent, after_seq, &state, timeout_ns, 0);
        }
        return snapshot_result(rc, state);
    }

    uint64_t latest_seq() {
        Guard guard(*this);
        return fundos_snapshot_latest(handle());
    }

    // The record's bytes in, (code, the record as submitted: ids filled in) out.
    std::tuple<int, py::bytes> submit(const py::bytes& record) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        std::string data = record;
        if (data.size() != sizeof(fundos_intent_record_t)) {
            throw std::invalid_argument("an IntentRecord is " + std::to_string(sizeof(fundos_intent_record_t)) +
                                        " bytes, got " + std::to_string(data.size()));
        }
        fundos_intent_record_t& slot = buffers_->record;
        std::memcpy(&slot, data.data(), sizeof(slot));
        const int rc = submit_record(agent, slot);
        return {rc, as_bytes(&slot, sizeof(slot))};
    }

    // Pack an IntentRecord from its fields and submit it: the intent id (> 0), or the negative
    // fundos_error code.
    PyObject* submit_intent(const fundos_intent_record_t& fields) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        fundos_intent_record_t& record = buffers_->record;
        record = fields;
        const int rc = submit_record(agent, record);
        return rc == FUNDOS_OK ? PyLong_FromUnsignedLongLong(record.intent_id) : PyLong_FromLong(rc);
    }

    int heartbeat(uint64_t answered_seq) {
        Guard guard(*this);
        return fundos_heartbeat(handle(), answered_seq);
    }

    // (code, n reports as n * sizeof(IntentReport) bytes)
    PyObject* poll_reports(size_t capacity) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        if (capacity == 0 || capacity > FUNDOS_REPORT_RING_SLOTS) {
            capacity = FUNDOS_REPORT_RING_SLOTS;
        }
        size_t count = 0;
        int rc = fundos_poll_reports(agent, buffers_->reports, capacity, &count);
        PyObject* data = PyBytes_FromStringAndSize(reinterpret_cast<const char*>(buffers_->reports),
                                                   static_cast<Py_ssize_t>(count * sizeof(fundos_intent_report_t)));
        if (data == nullptr) {
            return nullptr;
        }
        PyObject* out = Py_BuildValue("(iN)", rc, data);  // N: steals data
        return out;
    }

    // Up to `capacity` new reports as the package's Report tuples (set_report_types()), oldest
    // first, reports of an unknown kind skipped (counted in ignored_reports); or, on failure,
    // the negative fundos_error code.
    PyObject* reports(size_t capacity) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        if (g_report_types == nullptr) {
            throw std::logic_error("fundos._core.set_report_types() was not called");
        }
        if (capacity == 0 || capacity > FUNDOS_REPORT_RING_SLOTS) {
            capacity = FUNDOS_REPORT_RING_SLOTS;
        }
        size_t count = 0;
        int rc = fundos_poll_reports(agent, buffers_->reports, capacity, &count);
        if (rc != FUNDOS_OK) {
            return PyLong_FromLong(rc);
        }
        PyObject* out = PyList_New(0);
        const ReportTypes& types = *g_report_types;
        for (size_t i = 0; out != nullptr && i < count; i++) {
            const fundos_intent_report_t& r = buffers_->reports[i];
            if (r.kind >= types.kinds.size() || types.kinds[r.kind] == Py_None) {
                ignored_reports_++;  // readers ignore reports of a kind they do not know
                continue;
            }
            PyObject* report = make_report(types, r);
            if (report == nullptr || PyList_Append(out, report) != 0) {
                Py_CLEAR(out);
            }
            Py_XDECREF(report);
        }
        return out;
    }

    uint64_t ignored_reports() const { return ignored_reports_; }

    std::tuple<int, std::optional<py::bytes>> read_book() {
        Guard guard(*this);
        int rc = fundos_read_book(handle(), &buffers_->book);
        return {rc, rc == FUNDOS_OK ? std::optional<py::bytes>(as_bytes(&buffers_->book, sizeof(buffers_->book)))
                                    : std::nullopt};
    }

    std::tuple<int, py::dict> status() {
        Guard guard(*this);
        fundos_agent_info info;
        int rc = fundos_agent_status(handle(), &info);
        py::dict out;
        out["agent_id"] = info.agent_id;
        out["slot"] = info.slot;
        out["abi_major"] = info.abi_major;
        out["abi_minor"] = info.abi_minor;
        out["status"] = info.status;
        out["quarantined"] = info.quarantined != 0;
        out["quarantine_reason"] = info.quarantine_reason;
        out["connected"] = info.connected != 0;
        out["generation"] = info.generation;
        out["intents_submitted"] = info.intents_submitted;
        out["intents_consumed"] = info.intents_consumed;
        out["reports_written"] = info.reports_written;
        out["reports_read"] = info.reports_read;
        out["reports_lost"] = info.reports_lost;
        out["last_intent_id"] = info.last_intent_id;
        out["last_snapshot_seq"] = info.last_snapshot_seq;
        return {rc, out};
    }

    int fileno() {
        Guard guard(*this);
        return fundos_agent_fd(handle());
    }

private:
    // One thread per handle: refuse a second concurrent entry rather than race.
    struct Guard {
        explicit Guard(Agent& agent) : lock(agent.mutex_, std::try_to_lock) {
            if (!lock.owns_lock()) {
                throw std::runtime_error(
                    "this fundos.Agent is in use by another thread: one agent handle belongs to one thread");
            }
        }
        std::unique_lock<std::mutex> lock;
    };

    // (rc, seq, compact bytes) or (rc, 0, None)
    static PyObject* snapshot_result(int rc, const fundos_fund_state_t& state) {
        if (rc != FUNDOS_OK) {
            return Py_BuildValue("(iiO)", rc, 0, Py_None);
        }
        py::bytes data = compact_state(state);
        return Py_BuildValue("(iKO)", rc, static_cast<unsigned long long>(state.seq), data.ptr());
    }

    // fundos_submit_intent(); with the GIL released only under the ring_full "wait" policy (the
    // "fail" policy never blocks, and releasing the GIL costs more than the submit itself).
    int submit_record(fundos_agent* agent, fundos_intent_record_t& record) {
        if (!ring_full_waits_) {
            return fundos_submit_intent(agent, &record);
        }
        py::gil_scoped_release release;
        return fundos_submit_intent(agent, &record);
    }

    fundos_agent* handle() const {
        if (agent_ == nullptr) {
            throw std::logic_error("the agent is not attached: call attach() first (or use it as a context manager)");
        }
        return agent_;
    }

    // Aligned private copies the C core writes into (over-aligned types: C++17 aligned new).
    struct Buffers {
        fundos_fund_state_t state;
        fundos_agent_book_t book;
        fundos_intent_record_t record;
        fundos_intent_report_t reports[FUNDOS_REPORT_RING_SLOTS];
    };

    static constexpr unsigned kGilSpinPolls = 256;

    static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
        __asm__ __volatile__("yield" ::: "memory");
#endif
    }

    fundos_agent* agent_ = nullptr;
    bool ring_full_waits_ = false;
    bool spin_holding_gil_ = false;
    uint64_t ignored_reports_ = 0;
    std::unique_ptr<Buffers> buffers_ = std::make_unique<Buffers>();
    std::mutex mutex_;
};

// ---- FastMethods: the hot methods of Agent as METH_FASTCALL functions. A pybind11 method pays
// about 40 ns per argument to its generic casters; these parse their few ints directly. The
// method descriptors are made for Agent's type, so CPython has checked that `self` is an Agent
// before they run.

Agent* self_agent(PyObject* self) {
    auto* inst = reinterpret_cast<py::detail::instance*>(self);
    py::detail::value_and_holder v_h = inst->get_value_and_holder();
    if (!v_h.holder_constructed()) {
        PyErr_SetString(PyExc_TypeError, "fundos._core.Agent.__init__() was not called");
        return nullptr;
    }
    return v_h.value_ptr<Agent>();
}

bool arg_count(const char* name, Py_ssize_t given, Py_ssize_t expected) {
    if (given == expected) {
        return true;
    }
    PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, expected, given);
    return false;
}

// An int argument in [0, max] (unsigned) or [min, max] (signed); false with a Python error.
bool arg_u64(PyObject* value, uint64_t max, const char* what, uint64_t* out) {
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(value)->tp_name);
        return false;
    }
    const unsigned long long v = PyLong_AsUnsignedLongLong(value);
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError, "%s is out of range 0..%llu", what, static_cast<unsigned long long>(max));
        return false;
    }
    if (v > max) {
        PyErr_Format(PyExc_OverflowError, "%s is out of range 0..%llu", what, static_cast<unsigned long long>(max));
        return false;
    }
    *out = v;
    return true;
}

bool arg_i64(PyObject* value, const char* what, int64_t* out) {
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(value)->tp_name);
        return false;
    }
    const long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError, "%s is out of the int64 range", what);
        return false;
    }
    *out = v;
    return true;
}

// Run `body` (returning a new reference or nullptr with an error set), turning C++ exceptions
// into Python ones as pybind11 does.
template <class Body>
PyObject* guarded(Body&& body) noexcept {
    try {
        return body();
    } catch (py::error_already_set& error) {
        error.restore();
    } catch (const std::invalid_argument& error) {
        PyErr_SetString(PyExc_ValueError, error.what());
    } catch (const std::exception& error) {
        PyErr_SetString(PyExc_RuntimeError, error.what());
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "unknown C++ exception in fundos._core");
    }
    return nullptr;
}

PyObject* fast_read_snapshot(PyObject* self, PyObject* const* /*args*/, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    if (agent == nullptr || !arg_count("read_snapshot", nargs, 0)) {
        return nullptr;
    }
    return guarded([&] { return agent->read_snapshot(); });
}

PyObject* fast_wait_snapshot(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    uint64_t after_seq = 0, timeout_ns = 0;
    if (agent == nullptr || !arg_count("wait_snapshot", nargs, 2) ||
        !arg_u64(args[0], UINT64_MAX, "after_seq", &after_seq) ||
        !arg_u64(args[1], UINT64_MAX, "timeout_ns", &timeout_ns)) {
        return nullptr;
    }
    return guarded([&] { return agent->wait_snapshot(after_seq, timeout_ns); });
}

PyObject* fast_submit_intent(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    if (agent == nullptr || !arg_count("submit_intent", nargs, 11)) {
        return nullptr;
    }
    uint64_t kind = 0, instrument_id = 0, side = 0, order_type = 0, time_in_force = 0;
    fundos_intent_record_t record;
    std::memset(&record, 0, sizeof(record));
    if (!arg_u64(args[0], UINT8_MAX, "kind", &kind) || !arg_u64(args[1], UINT32_MAX, "instrument_id", &instrument_id) ||
        !arg_u64(args[2], UINT8_MAX, "side", &side) || !arg_u64(args[3], UINT8_MAX, "order_type", &order_type) ||
        !arg_u64(args[4], UINT8_MAX, "time_in_force", &time_in_force) || !arg_i64(args[5], "qty", &record.qty) ||
        !arg_i64(args[6], "limit_price", &record.limit_price) ||
        !arg_u64(args[7], UINT64_MAX, "ref_intent_id", &record.ref_intent_id) ||
        !arg_u64(args[8], UINT64_MAX, "client_tag", &record.client_tag) ||
        !arg_u64(args[9], UINT64_MAX, "snapshot_seq", &record.snapshot_seq) ||
        !arg_u64(args[10], UINT64_MAX, "intent_id", &record.intent_id)) {
        return nullptr;
    }
    record.kind = static_cast<fundos_intent_kind_t>(kind);
    record.instrument_id = static_cast<uint32_t>(instrument_id);
    record.side = static_cast<fundos_side_t>(side);
    record.order_type = static_cast<fundos_order_type_t>(order_type);
    record.time_in_force = static_cast<fundos_time_in_force_t>(time_in_force);
    return guarded([&] { return agent->submit_intent(record); });
}

PyObject* fast_submit_fields(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    if (agent == nullptr || !arg_count("submit_fields", nargs, 12)) {
        return nullptr;
    }
    fundos_intent_record_t record;
    if (!fast_record(args, record)) {
        Py_RETURN_NONE;  // not on the fast path: the Python layer takes it
    }
    return guarded([&] { return agent->submit_intent(record); });
}

PyObject* fast_poll_reports(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    uint64_t capacity = 0;
    if (agent == nullptr || !arg_count("poll_reports", nargs, 1) ||
        !arg_u64(args[0], UINT64_MAX, "capacity", &capacity)) {
        return nullptr;
    }
    return guarded([&] { return agent->poll_reports(static_cast<size_t>(capacity)); });
}

PyObject* fast_reports(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Agent* agent = self_agent(self);
    uint64_t capacity = 0;
    if (agent == nullptr || !arg_count("reports", nargs, 1) || !arg_u64(args[0], UINT64_MAX, "capacity", &capacity)) {
        return nullptr;
    }
    return guarded([&] { return agent->reports(static_cast<size_t>(capacity)); });
}

template <PyObject* (*F)(PyObject*, PyObject* const*, Py_ssize_t)>
PyCFunction fastcall() {
    return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(F));
}

PyMethodDef kFastMethods[] = {
    {"read_snapshot", fastcall<fast_read_snapshot>(), METH_FASTCALL,
     "read_snapshot() -> (code, seq, FundState head + rows in use | None)"},
    {"wait_snapshot", fastcall<fast_wait_snapshot>(), METH_FASTCALL,
     "wait_snapshot(after_seq, timeout_ns) -> (code, seq, FundState head + rows in use | None)"},
    {"submit_intent", fastcall<fast_submit_intent>(), METH_FASTCALL,
     "submit_intent(kind, instrument_id, side, order_type, time_in_force, qty, limit_price, ref_intent_id, "
     "client_tag, snapshot_seq, intent_id) -> intent id (> 0) or a negative error code"},
    {"submit_fields", fastcall<fast_submit_fields>(), METH_FASTCALL,
     "submit_fields(kind, instrument_id, symbol, side, qty, limit_price, order_type, time_in_force, ref_intent_id, "
     "client_tag, snapshot_seq, intent_id) -> intent id (> 0), a negative error code, or None when the arguments "
     "are not on the fast path (fundos.Agent.submit then checks and converts them itself)"},
    {"poll_reports", fastcall<fast_poll_reports>(), METH_FASTCALL,
     "poll_reports(capacity) -> (code, n IntentReports as bytes)"},
    {"reports", fastcall<fast_reports>(), METH_FASTCALL,
     "reports(capacity) -> list of fundos.Report, or a negative error code"},
};

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "fundos._core: the C agent SDK (sdks/c) for the fundos package. Use fundos.Agent, not this.";

    m.attr("ABI_VERSION_MAJOR") = FUNDOS_ABI_VERSION_MAJOR;
    m.attr("ABI_VERSION_MINOR") = FUNDOS_ABI_VERSION_MINOR;
    m.attr("ABI_LAYOUT_HASH") = py::int_(static_cast<unsigned long long>(FUNDOS_ABI_LAYOUT_HASH));
    m.attr("SDK_VERSION") = py::make_tuple(FUNDOS_SDK_VERSION_MAJOR, FUNDOS_SDK_VERSION_MINOR);
    m.attr("PRICE_DECIMALS") = FUNDOS_PRICE_DECIMALS;
    m.attr("QUANTITY_DECIMALS") = FUNDOS_QUANTITY_DECIMALS;
    m.attr("MONEY_DECIMALS") = FUNDOS_MONEY_DECIMALS;
    m.attr("WAIT_SPIN") = static_cast<int>(FUNDOS_WAIT_SPIN);
    m.attr("WAIT_BUSY") = static_cast<int>(FUNDOS_WAIT_BUSY);
    m.attr("WAIT_FUTEX") = static_cast<int>(FUNDOS_WAIT_FUTEX);
    m.attr("RING_FULL_FAIL") = static_cast<int>(FUNDOS_RING_FULL_FAIL);
    m.attr("RING_FULL_WAIT") = static_cast<int>(FUNDOS_RING_FULL_WAIT);
    m.attr("WAIT_FOREVER") = py::int_(static_cast<unsigned long long>(FUNDOS_WAIT_FOREVER));
    m.attr("FUND_STATE_SIZE") = sizeof(fundos_fund_state_t);
    m.attr("FUND_STATE_HEAD_SIZE") = kStateHeadBytes;
    m.attr("AGENT_BOOK_SIZE") = sizeof(fundos_agent_book_t);
    m.attr("INTENT_RECORD_SIZE") = sizeof(fundos_intent_record_t);
    m.attr("INTENT_REPORT_SIZE") = sizeof(fundos_intent_report_t);
    m.attr("ATTACH_REPLY_SIZE") = sizeof(fundos_attach_reply_t);

    {
        fundos_attach_options defaults;
        fundos_attach_options_init(&defaults);
        m.attr("DEFAULT_SPIN_COUNT") = defaults.spin_count;
        m.attr("DEFAULT_YIELD_COUNT") = defaults.yield_count;
        m.attr("DEFAULT_RING_FULL_TIMEOUT_NS") = defaults.ring_full_timeout_ns;
        m.attr("DEFAULT_ATTACH_TIMEOUT_NS") = defaults.attach_timeout_ns;
    }

    m.def(
        "error_codes",
        [] {
            std::vector<std::tuple<int, std::string, std::string>> codes;
            for (int code = 0; code > FUNDOS_E_LAST_; code--) {
                codes.emplace_back(code, fundos_error_name(code), fundos_strerror(code));
            }
            return codes;
        },
        "Every (code, name, sentence) of the C SDK's fundos_error, 0 first.");
    m.def("strerror", &fundos_strerror, py::arg("code"), "fundos_strerror(): a sentence for a code.");
    m.def(
        "error_attach_status", [](int code) { return static_cast<int>(fundos_error_attach_status(code)); },
        py::arg("code"), "The Fund's AttachStatus behind a refusal code, or 0.");
    m.def(
        "agent_config",
        [](const std::string& address, const std::string& service) {
            // The C SDK's fundos_agent_config_load (the Fund's loader): (code, message, the
            // agent's JSON view, its source). Reading a database may block: without the GIL.
            // Texts are decoded with "replace": a path in a message may be any bytes.
            fundos_agent_config* config = nullptr;
            std::string message(64 * 1024, '\0');
            int rc;
            {
                py::gil_scoped_release release;
                rc = fundos_agent_config_load(address.c_str(), service.c_str(), &config, message.data(),
                                              message.size());
            }
            const auto text = [](const char* s) {
                PyObject* str = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(std::strlen(s)), "replace");
                if (str == nullptr) {
                    throw py::error_already_set();
                }
                return py::reinterpret_steal<py::str>(str);
            };
            if (rc != FUNDOS_OK) {
                return py::make_tuple(rc, text(message.c_str()), py::str(), py::str());
            }
            const std::unique_ptr<fundos_agent_config, void (*)(fundos_agent_config*)> owned(config,
                                                                                             fundos_agent_config_free);
            return py::make_tuple(rc, py::str(), text(fundos_agent_config_json(config)),
                                  text(fundos_agent_config_source(config)));
        },
        py::arg("address"), py::arg("service"),
        "fundos_agent_config_load(): (code, message, the agent's view as JSON, its source).");
    m.def(
        "validate_options",
        [](const std::string& socket_path, uint32_t agent_id, int wait, uint32_t spin_count, uint32_t yield_count,
           int ring_full, uint64_t ring_full_timeout_ns) {
            fundos_attach_options options;
            fundos_attach_options_init(&options);
            options.socket_path = socket_path.c_str();
            options.agent_id = agent_id;
            options.wait = static_cast<fundos_wait_policy>(wait);
            options.spin_count = spin_count;
            options.yield_count = yield_count;
            options.ring_full = static_cast<fundos_ring_full_policy>(ring_full);
            options.ring_full_timeout_ns = ring_full_timeout_ns;
            char why[256] = {0};
            int rc = fundos_attach_options_validate(&options, why, sizeof(why));
            return std::make_tuple(rc, std::string(why));
        },
        py::arg("socket_path"), py::arg("agent_id"), py::arg("wait"), py::arg("spin_count"), py::arg("yield_count"),
        py::arg("ring_full"), py::arg("ring_full_timeout_ns"), "fundos_attach_options_validate(): (code, why).");

    m.def(
        "set_report_types",
        [](py::handle report, const py::list& kinds, const py::list& sides, const py::list& reasons) {
            if (!PyType_Check(report.ptr()) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(report.ptr()),
                                                                 &PyTuple_Type)) {
                throw std::invalid_argument("set_report_types: Report must be a tuple subclass (a NamedTuple)");
            }
            // Set once per process (a re-import keeps the first types): see ReportTypes.
            if (g_report_types == nullptr) {
                auto* types = new ReportTypes;
                types->report = report.inc_ref().ptr();
                types->kinds = enum_table(kinds);
                types->sides = enum_table(sides);
                types->reasons = enum_table(reasons);
                g_report_types = types;
            }
        },
        py::arg("report"), py::arg("kinds"), py::arg("sides"), py::arg("reasons"),
        "What Agent.reports() builds: the Report NamedTuple type, and for ReportKind, Side and RejectReason "
        "a list whose item v is the member of value v (None: no member). Called once by the package.");

    m.def(
        "set_intent_types",
        [](py::handle kind, py::dict kind_names, py::handle side, py::dict side_names, py::handle order_type,
           py::dict order_type_names, py::handle time_in_force, py::dict time_in_force_names) {
            if (g_intent_types != nullptr) {
                return;  // set once per process (a re-import keeps the first types)
            }
            auto arg = [](py::handle type, const py::dict& names) {
                if (!PyType_Check(type.ptr())) {
                    throw std::invalid_argument("set_intent_types: expected an enum class");
                }
                return EnumArg{reinterpret_cast<PyTypeObject*>(type.inc_ref().ptr()), names.inc_ref().ptr()};
            };
            auto value = [](const py::dict& names, const char* name) {
                if (!names.contains(name)) {
                    throw std::invalid_argument(std::string("set_intent_types: no member ") + name);
                }
                return names[name].cast<long>();
            };
            auto* types = new IntentTypes;
            types->kind = arg(kind, kind_names);
            types->side = arg(side, side_names);
            types->order_type = arg(order_type, order_type_names);
            types->time_in_force = arg(time_in_force, time_in_force_names);
            types->order = value(kind_names, "ORDER");
            types->target_position = value(kind_names, "TARGET_POSITION");
            types->flatten = value(kind_names, "FLATTEN");
            types->cancel = value(kind_names, "CANCEL");
            types->limit = value(order_type_names, "LIMIT");
            types->market = value(order_type_names, "MARKET");
            types->day = value(time_in_force_names, "DAY");
            types->no_side = value(side_names, "NONE");
            g_intent_types = types;
        },
        py::arg("kind"), py::arg("kind_names"), py::arg("side"), py::arg("side_names"), py::arg("order_type"),
        py::arg("order_type_names"), py::arg("time_in_force"), py::arg("time_in_force_names"),
        "What Agent.submit_fields() reads: IntentKind, Side, OrderType and TimeInForce, each with {name: value}. "
        "Called once by the package.");

    py::class_<Agent> agent_class(m, "Agent", "One fundos_agent handle (C SDK). Use fundos.Agent instead.");
    agent_class
        .def(py::init<>())
        .def("attach", &Agent::attach, py::arg("socket_path"), py::arg("agent_id"), py::arg("wait"),
             py::arg("spin_count"), py::arg("yield_count"), py::arg("ring_full"), py::arg("ring_full_timeout_ns"),
             py::arg("attach_timeout_ns"))
        .def("detach", &Agent::detach)
        .def_property_readonly("attached", &Agent::attached)
        .def("latest_seq", &Agent::latest_seq)
        .def("submit", &Agent::submit, py::arg("record"))
        .def("heartbeat", &Agent::heartbeat, py::arg("answered_seq"))
        .def_property_readonly("ignored_reports", &Agent::ignored_reports)
        .def("read_book", &Agent::read_book)
        .def("status", &Agent::status)
        .def("fileno", &Agent::fileno);
    // The hot path, without pybind11's per-call and per-argument cost (see FastMethods).
    for (PyMethodDef& def : kFastMethods) {
        PyObject* descriptor = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(agent_class.ptr()), &def);
        if (descriptor == nullptr) {
            throw py::error_already_set();
        }
        agent_class.attr(def.ml_name) = py::reinterpret_steal<py::object>(descriptor);
    }
}
