#include "host/nn/sequential.hpp"

#include "host/error.hpp"
#include "host/nn/fused_eval.hpp"

namespace calo::nn {

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  if (!layer) fail("{}: add() got a null layer", name_);
  layers_.push_back(std::move(layer));
  return *this;
}

Tensor Sequential::forward(const Tensor& input, bool training) {
  if (layers_.empty()) return input.clone();
  return forward_range(input, 0, layers_.size(), training);
}

Tensor Sequential::forward_range(const Tensor& input, size_t first, size_t last, bool training) {
  if (first >= last || last > layers_.size())
    fail("{}: layer range [{}, {}) is outside its {} layers", name_, first, last, layers_.size());
  Tensor x = layers_[first]->forward(input, training);
  for (size_t i = first + 1; i < last; ++i) {
    // The layer before wrote x, so the pair may overwrite it (inference only; fused_eval.hpp).
    if (!training && i + 1 < last && forward_fused_eval(*layers_[i], *layers_[i + 1], x)) {
      ++i;
      continue;
    }
    x = layers_[i]->forward(x, training);
  }
  return x;
}

Tensor Sequential::backward(const Tensor& grad_output) {
  if (layers_.empty()) return grad_output.clone();
  Tensor g = layers_.back()->backward(grad_output);
  for (size_t i = layers_.size() - 1; i-- > 0;) g = layers_[i]->backward(g);
  return g;
}

std::vector<Param*> Sequential::params() {
  std::vector<Param*> out;
  for (auto& l : layers_)
    for (Param* p : l->params()) out.push_back(p);
  return out;
}

std::vector<Buffer> Sequential::buffers() {
  std::vector<Buffer> out;
  for (auto& l : layers_)
    for (const Buffer& b : l->buffers()) out.push_back(b);
  return out;
}

void Sequential::set_inference(bool on) {
  Layer::set_inference(on);
  for (auto& l : layers_) l->set_inference(on);
}

void Sequential::set_batch_communicator(dist::Communicator* comm) {
  for (auto& l : layers_) l->set_batch_communicator(comm);
}

void Sequential::to(Backend where) {
  for (auto& l : layers_) l->to(where);
}

}  // namespace calo::nn
