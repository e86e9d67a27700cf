#pragma once
// Solver feature filters as dwave-cloud-client's Client.get_solvers(**filters) reads them from
// dwave.conf's "solver" (a JSON object): keys are property paths joined by "__" with an optional
// operator suffix (eq, gt, gte, lt, lte, regex, in, contains, issubset, issuperset, within,
// available), e.g. {"num_qubits__gt": 4000, "topology__type": "zephyr", "name__regex": "Adv.*"}.
// Paths are looked up at the solver's top level (status, avg_load), then its properties; "name"
// is identity.name; "qpu", "online" are booleans derived as Ocean does. "order_by" is accepted and
// only "avg_load" / "-avg_load" (or none) are honoured.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace calo::qpu {

// True when the solver definition `solver` (a solvers/remote/ element) satisfies every feature.
// Throws InputError for an unknown operator or a malformed value, naming the key.
bool solver_matches(const nlohmann::json& solver, const nlohmann::json& filter);

// Indices of the matching solvers in `solvers`, in the filter's order_by (default: as listed).
std::vector<size_t> filter_solvers(const nlohmann::json& solvers, const nlohmann::json& filter);

}  // namespace calo::qpu
