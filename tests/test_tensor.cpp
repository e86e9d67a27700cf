#include <gtest/gtest.h>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/tensor.hpp"

using namespace calo;

TEST(Tensor, ShapeAndHostStorage) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.rank(), 3u);
  for (float v : t.host_span()) EXPECT_EQ(v, 0.0f);
  t.fill(2.0f);
  Tensor c = t.clone();
  t.host_span()[0] = 5.0f;
  EXPECT_EQ(c.host_span()[0], 2.0f) << "clone must own its data";
  c.reshape({6, 4});
  EXPECT_EQ(c.dim(0), 6);
  EXPECT_THROW(c.reshape({5, 5}), Error);
  EXPECT_THROW(Tensor::from_host({2, 2}, std::vector<float>(3)), Error);
}

TEST(Backend, ParsingAndClearErrors) {
  EXPECT_EQ(parse_backend("cpu"), Backend::cpu);
  EXPECT_EQ(parse_backend("cuda"), Backend::cuda);
  EXPECT_THROW(parse_backend("gpu"), InputError);
  EXPECT_NO_THROW(require_backend(Backend::cpu));
  if (cuda_device_count() == 0) {
    try {
      require_backend(Backend::cuda);
      FAIL() << "require_backend(cuda) must throw without a device";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("--backend cuda"), std::string::npos);
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line";
    }
  }
}

TEST(Tensor, CudaRoundTrip) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Tensor t = Tensor::from_host({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor d = t.to(Backend::cuda);
  Tensor d2 = d.clone();
  EXPECT_EQ(d2.to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}
