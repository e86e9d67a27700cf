#include "qpu/answer_histogram.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace calo::qpu {

QpAnswer histogram_answer(const QpAnswer& raw) {
  std::map<std::vector<int8_t>, size_t> row_of;  // solution -> output row
  std::vector<size_t> first;                     // output row -> first raw read
  std::vector<int> count;
  for (size_t r = 0; r < raw.solutions.size(); ++r) {
    const int n = raw.num_occurrences.empty() ? 1 : raw.num_occurrences[r];
    auto [it, fresh] = row_of.emplace(raw.solutions[r], first.size());
    if (fresh) {
      first.push_back(r);
      count.push_back(0);
    }
    count[it->second] += n;
  }
  std::vector<size_t> order(first.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return raw.energies[first[a]] < raw.energies[first[b]];
  });
  QpAnswer h;
  h.num_variables = raw.num_variables;
  h.active_variables = raw.active_variables;
  h.timing = raw.timing;
  for (size_t k : order) {
    h.solutions.push_back(raw.solutions[first[k]]);
    h.energies.push_back(raw.energies[first[k]]);
    h.num_occurrences.push_back(count[k]);
  }
  return h;
}

}  // namespace calo::qpu
