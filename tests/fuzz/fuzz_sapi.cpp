// Fuzz target: SAPI JSON replies as SapiClient reads them. First byte selects the reply: solver
// list, one solver, submit reply (a list of statuses), poll reply, problem status, error body.
#include "qpu/sapi_client.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace calo::qpu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string body(calo::fuzz::as_text(data + 1, size - 1));
  try {
    switch (data[0] % 6) {
      case 0: {  // GET solvers/remote/
        const auto j = parse_json(body, "solver list");
        if (!j.is_array()) return 0;
        for (const auto& s : j) (void)parse_solver(s);
        break;
      }
      case 1:  // GET solvers/remote/<name>/
        (void)parse_solver(parse_json(body, "solver"));
        break;
      case 2:    // POST problems/ and GET problems/?id=
      case 3: {  // (both lists of statuses)
        const auto j = parse_json(body, "submit");
        if (!j.is_array() || j.empty()) return 0;
        const ProblemStatus s = parse_status(j[0]);
        if (s.answer) (void)decode_qp_answer(*s.answer);
        break;
      }
      case 4: {  // GET problems/<id>/
        const ProblemStatus s = parse_status(parse_json(body, "problem"));
        if (s.answer) (void)decode_qp_answer(*s.answer);
        break;
      }
      default:  // a 4xx/5xx body
        (void)server_message(body);
        break;
    }
  } catch (const calo::Error&) {
  }
  return 0;
}
