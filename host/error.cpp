#include "host/error.hpp"

#include "kernels/error_raise.hpp"

namespace calo {

void raise_error(const std::string& message) {
  throw Error(message);
}
void raise_input_error(const std::string& message) {
  throw InputError(message);
}

}  // namespace calo
