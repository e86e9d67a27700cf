#pragma once
// OpenBLAS on one thread for a scope. calo_eval lets OpenBLAS thread its own large GEMMs (PRDC),
// but FPD and KPD parallelise with OpenMP around many small GEMMs (one bootstrap draw or one Gram
// tile per thread); a threaded BLAS inside each of those would oversubscribe the cores.
#include <cblas.h>

namespace calo::eval {

class SerialBlas {
 public:
  SerialBlas() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SerialBlas() { openblas_set_num_threads(saved_); }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_;
};

}  // namespace calo::eval
