// fundos._core: the thin pybind11 layer between the Python package and the C SDK (sdks/c).
//
// It moves bytes and integers only: every protocol step (attach, seqlock reads, ring writes and
// reads, waits) is the C core's. Functions return the C return code next to their result; the
// Python package turns codes into exceptions through its one error table (fundos/_errors.py).
// Blocking calls release the GIL. One handle is one thread's: a second thread entering the
// same handle while a call is running gets a RuntimeError instead of undefined behaviour.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <fundos/agent.h>

namespace py = pybind11;

namespace {

py::bytes as_bytes(const void* data, size_t size) {
    return py::bytes(static_cast<const char*>(data), size);
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

    std::tuple<int, std::optional<py::bytes>> read_snapshot() {
        Guard guard(*this);
        int rc = fundos_read_snapshot(handle(), &buffers_->state);
        return {rc, rc == FUNDOS_OK ? std::optional<py::bytes>(as_bytes(&buffers_->state, sizeof(buffers_->state)))
                                    : std::nullopt};
    }

    std::tuple<int, std::optional<py::bytes>> wait_snapshot(uint64_t after_seq, uint64_t timeout_ns) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        int rc;
        {
            py::gil_scoped_release release;
            rc = fundos_wait_snapshot(agent, after_seq, &buffers_->state, timeout_ns);
        }
        return {rc, rc == FUNDOS_OK ? std::optional<py::bytes>(as_bytes(&buffers_->state, sizeof(buffers_->state)))
                                    : std::nullopt};
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
        int rc;
        {
            py::gil_scoped_release release;
            rc = fundos_submit_intent(agent, &slot);
        }
        return {rc, as_bytes(&slot, sizeof(slot))};
    }

    int heartbeat(uint64_t answered_seq) {
        Guard guard(*this);
        return fundos_heartbeat(handle(), answered_seq);
    }

    // (code, n reports as n * sizeof(IntentReport) bytes)
    std::tuple<int, py::bytes> poll_reports(size_t capacity) {
        Guard guard(*this);
        fundos_agent* agent = handle();
        if (capacity == 0 || capacity > FUNDOS_REPORT_RING_SLOTS) {
            capacity = FUNDOS_REPORT_RING_SLOTS;
        }
        size_t count = 0;
        int rc = fundos_poll_reports(agent, buffers_->reports, capacity, &count);
        return {rc, as_bytes(buffers_->reports, count * sizeof(fundos_intent_report_t))};
    }

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

    fundos_agent* agent_ = nullptr;
    std::unique_ptr<Buffers> buffers_ = std::make_unique<Buffers>();
    std::mutex mutex_;
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

    py::class_<Agent>(m, "Agent", "One fundos_agent handle (C SDK). Use fundos.Agent instead.")
        .def(py::init<>())
        .def("attach", &Agent::attach, py::arg("socket_path"), py::arg("agent_id"), py::arg("wait"),
             py::arg("spin_count"), py::arg("yield_count"), py::arg("ring_full"), py::arg("ring_full_timeout_ns"),
             py::arg("attach_timeout_ns"))
        .def("detach", &Agent::detach)
        .def_property_readonly("attached", &Agent::attached)
        .def("read_snapshot", &Agent::read_snapshot)
        .def("wait_snapshot", &Agent::wait_snapshot, py::arg("after_seq"), py::arg("timeout_ns"))
        .def("latest_seq", &Agent::latest_seq)
        .def("submit", &Agent::submit, py::arg("record"))
        .def("heartbeat", &Agent::heartbeat, py::arg("answered_seq"))
        .def("poll_reports", &Agent::poll_reports, py::arg("capacity"))
        .def("read_book", &Agent::read_book)
        .def("status", &Agent::status)
        .def("fileno", &Agent::fileno);
}
