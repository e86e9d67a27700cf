#pragma once
// The layer contract (Caffe style): explicit forward/backward objects. forward() caches what
// backward() needs; backward() accumulates parameter gradients (+=) and returns the gradient with
// respect to the input. Tensors carry their backend: a layer runs on the CPU when its input lives
// on the host and on the GPU when it lives on the device; the CPU path is the reference the CUDA
// path is tested against.
#include <string>
#include <vector>

#include "host/tensor.hpp"

namespace calo::dist {
class Communicator;
}

namespace calo::nn {

struct Param {
  std::string name;  // unique within the model, e.g. "encoder.level0.conv1.weight"
  Tensor value;
  Tensor grad;  // same shape and backend as value
  bool trainable = true;
};

// Non-trainable state that must be checkpointed (e.g. BatchNorm running statistics).
struct Buffer {
  std::string name;  // e.g. "encoder.level0.bn.running_mean"
  Tensor* value;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Tensor forward(const Tensor& input, bool training) = 0;
  virtual Tensor backward(const Tensor& grad_output) = 0;
  virtual std::vector<Param*> params() { return {}; }
  virtual std::vector<Buffer> buffers() { return {}; }
  virtual std::string name() const = 0;
  // Moves parameters (and any state) to `where`.
  // Inference mode: forward keeps nothing for backward (no copies of its input), and a backward
  // after such a forward fails instead of using stale state. Generation and validation run so.
  virtual void set_inference(bool on) { inference_ = on; }
  // Data-parallel training: layers whose training forward depends on the whole batch (BatchNorm)
  // reduce their statistics over the ranks of `comm` (nullptr or one rank: this process's batch).
  // Composite layers pass it on.
  virtual void set_batch_communicator(dist::Communicator* /*comm*/) {}
  bool inference() const { return inference_; }
  virtual void to(Backend where) {
    for (Param* p : params()) {
      p->value = p->value.to(where);
      p->grad = p->grad.to(where);
    }
    for (Buffer& b : buffers()) *b.value = b.value->to(where);
  }

 protected:
  // What forward keeps of `x` for backward: a copy, or nothing in inference mode.
  Tensor keep_for_backward(const Tensor& x) const { return inference_ ? Tensor() : x.clone(); }
  // Throws when `kept` is empty (no training forward since the last inference forward).
  void require_kept(const Tensor& kept) const;

 private:
  bool inference_ = false;
};

}  // namespace calo::nn
