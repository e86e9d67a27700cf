#pragma once
// SAPI answer_mode "histogram" (solver_parameters.rst, answer_mode): identical reads merged into
// one row with num_occurrences, rows sorted by increasing energy (ties keep first-read order).
#include "qpu/qp_codec.hpp"

namespace calo::qpu {

// Turns a raw answer (one row per read, num_occurrences all 1 or empty) into its histogram.
QpAnswer histogram_answer(const QpAnswer& raw);

}  // namespace calo::qpu
