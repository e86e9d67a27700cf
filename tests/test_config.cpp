#include <gtest/gtest.h>

#include <functional>

#include "host/config.hpp"

using namespace calo;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Config, ReadsTypedValuesAndDefaults) {
  const Config c = Config::load_string("epochs: 3\nlr: 1.0e-4\nmodel:\n  nodes: [302, 302]\n  name: zephyr\nflag: true\n",
                                       "t.yaml");
  const ConfigNode r = c.root();
  EXPECT_EQ(r.get<int>("epochs"), 3);
  EXPECT_DOUBLE_EQ(r.get<double>("lr"), 1e-4);
  EXPECT_TRUE(r.get<bool>("flag"));
  EXPECT_EQ(r.get<int>("batch", 64), 64);
  const ConfigNode m = r.child("model");
  EXPECT_EQ(m.get<std::vector<int>>("nodes"), (std::vector<int>{302, 302}));
  EXPECT_EQ(m.get<std::string>("name"), "zephyr");
  EXPECT_NO_THROW(c.check_all_keys_used());
}

TEST(Config, WrongTypeNamesKeyFileAndLine) {
  const Config c = Config::load_string("a: 1\nmodel:\n  nodes: lots\n", "cfg.yaml");
  const std::string msg = error_of([&] { c.root().child("model").get<int>("nodes"); });
  EXPECT_NE(msg.find("model.nodes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cfg.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { c.root().get<double>("model"); }).find("number"), std::string::npos);
  EXPECT_NE(error_of([&] { Config::load_string("x: 1.5", "f").root().get<int>("x"); }).find("integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Config::load_string("x: yes", "f").root().get<bool>("x"); }).find("true or false"),
            std::string::npos);
}

TEST(Config, UnknownKeysAreRejectedWithTheValidOnes) {
  const Config c = Config::load_string("epochs: 3\nmodel:\n  nodes: 4\n  nodse: 5\n", "cfg.yaml");
  c.root().get<int>("epochs");
  c.root().child("model").get<int>("nodes");
  const std::string msg = error_of([&] { c.check_all_keys_used(); });
  EXPECT_NE(msg.find("unknown key 'model.nodse'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nodes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
}

TEST(Config, MissingKeysBadYamlAndMissingFiles) {
  EXPECT_NE(error_of([&] { Config::load_string("a: 1", "f.yaml").root().get<int>("b"); }).find("required key 'b'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Config::load_string("a: [1, 2", "f.yaml"); }).find("invalid YAML"), std::string::npos);
  EXPECT_NE(error_of([&] { Config::load_string("- 1\n- 2\n", "f.yaml"); }).find("top level"), std::string::npos);
  EXPECT_NE(error_of([&] { Config::load_file("/no/such/config.yaml"); }).find("does not exist"), std::string::npos);
}
