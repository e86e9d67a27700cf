#pragma once
// A chain of layers: forward runs them in order, backward in reverse.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/nn/layer.hpp"

namespace calo::nn {

class Sequential : public Layer {
 public:
  explicit Sequential(std::string name = "sequential") : name_(std::move(name)) {}
  Sequential& add(std::unique_ptr<Layer> layer);
  template <class L, class... Args>
  L& emplace(Args&&... args) {
    auto p = std::make_unique<L>(std::forward<Args>(args)...);
    L& ref = *p;
    add(std::move(p));
    return ref;
  }
  Tensor forward(const Tensor& input, bool training) override;
  // Layers [first, last) only: the CPU decoder runs its first Linear over a slice of showers and
  // the rest over micro-slices (Calo4pQVAE::decode).
  Tensor forward_range(const Tensor& input, size_t first, size_t last, bool training);
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override;
  std::vector<Buffer> buffers() override;
  std::string name() const override { return name_; }
  void to(Backend where) override;
  void set_inference(bool on) override;
  void set_batch_communicator(dist::Communicator* comm) override;

  size_t size() const { return layers_.size(); }
  Layer& at(size_t i) { return *layers_.at(i); }

 private:
  std::string name_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace calo::nn
