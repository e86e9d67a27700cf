#include "host/nn/sequential.hpp"

#include "host/error.hpp"

namespace calo::nn {

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  if (!layer) fail("{}: add() got a null layer", name_);
  layers_.push_back(std::move(layer));
  return *this;
}

Tensor Sequential::forward(const Tensor& input, bool training) {
  if (layers_.empty()) return input.clone();
  Tensor x = layers_.front()->forward(input, training);
  for (size_t i = 1; i < layers_.size(); ++i) x = layers_[i]->forward(x, training);
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
