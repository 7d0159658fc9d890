#include "fundos/process/venue_summary.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fundos::process {

runtime::Status add_venue_summary(const std::string& dir, const engine::Engine& engine) {
    const std::string path = (std::filesystem::path(dir) / "report.json").string();
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string report = text.str();
    // report_json ends its object with "\n}\n"; the section goes in before it, in the same style.
    const std::size_t end = report.rfind("\n}\n");
    if (!in || end == std::string::npos) {
        return runtime::Status::error(path + ": not the report this Fund writes; cannot add its venue summary");
    }
    const engine::VenueCounters c = engine.venue_counters();
    std::string unconfirmed;
    for (const engine::VenueParentView& p : engine.venue_view().parents) {
        unconfirmed += (unconfirmed.empty() ? "" : ", ") + std::to_string(p.parent_id);
    }
    std::string s = ",\n  \"venue\": {\n";
    s += "    \"events\": " + std::to_string(c.events) + ",\n";
    s += "    \"applied\": " + std::to_string(c.applied) + ",\n";
    s += "    \"unknown\": " + std::to_string(c.unknown) + ",\n";
    s += "    \"finished\": " + std::to_string(c.finished) + ",\n";
    s += "    \"duplicates\": " + std::to_string(c.duplicates) + ",\n";
    s += "    \"invalid\": " + std::to_string(c.invalid) + ",\n";
    s += "    \"excess_fills\": " + std::to_string(c.excess_fills) + ",\n";
    s += "    \"leaves_mismatch\": " + std::to_string(c.leaves_mismatch) + ",\n";
    s += std::string("    \"anomalous\": ") + (c.anomalous() ? "true" : "false") + ",\n";
    s += "    \"unconfirmed_parents\": [" + unconfirmed + "]\n  }";
    report.insert(end, s);
    return runtime::write_file_atomic(path, report);
}

}  // namespace fundos::process
