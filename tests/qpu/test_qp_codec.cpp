// qp encoding/decoding against the official dwave-cloud-client fixtures and SAPI docs example
// (research/dwave.md section 3).
#include <gtest/gtest.h>

#include <cmath>

#include "host/error.hpp"
#include "qpu/qp_codec.hpp"

using namespace calo::qpu;

TEST(Base64, RoundTripAllLengths) {
  for (size_t n = 0; n < 20; ++n) {
    std::vector<uint8_t> bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = uint8_t(37 * i + 200);
    EXPECT_EQ(base64_decode(base64_encode(bytes), "x"), bytes) << n;
  }
  const std::string s = "Man";
  EXPECT_EQ(base64_encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()}), "TWFu");
  EXPECT_THROW(base64_decode("TW$u", "f"), calo::RemoteError);
  EXPECT_THROW(base64_decode("TWF", "f"), calo::RemoteError);
}

TEST(QpEncoding, OfficialSubQubitsExample) {
  // dwave-cloud-client tests/test_coders.py::test_qp_request_encoding_sub_qubits
  SolverGraph g{4, {0, 1, 2, 3}, {{0, 1}, {1, 2}, {2, 3}, {0, 3}}};
  IsingProblem p;
  p.h[0] = 1;
  p.h[1] = 1;
  p.add_J(0, 1, -1);
  const QpData qp = encode_qp(g, p);
  EXPECT_EQ(qp.lin, "AAAAAAAA8D8AAAAAAADwPwAAAAAAAPh/AAAAAAAA+H8=");
  EXPECT_EQ(qp.quad, "AAAAAAAA8L8=");
  const IsingProblem back = decode_qp(g, qp);
  EXPECT_EQ(back.h, p.h);
  EXPECT_EQ(back.J, p.J);
}

TEST(QpEncoding, DirectedPairsAreSummedAndCoupledOnlyQubitsGetZero) {
  SolverGraph g{4, {0, 1, 2, 3}, {{0, 1}, {1, 2}, {2, 3}, {0, 3}}};
  IsingProblem p;
  p.add_J(2, 1, 0.25);
  p.add_J(1, 2, 0.5);
  const QpData qp = encode_qp(g, p);
  const auto lin = decode_f64(qp.lin, "lin");
  ASSERT_EQ(lin.size(), 4u);
  EXPECT_TRUE(std::isnan(lin[0]));
  EXPECT_EQ(lin[1], 0.0);
  EXPECT_EQ(lin[2], 0.0);
  EXPECT_TRUE(std::isnan(lin[3]));
  EXPECT_EQ(decode_f64(qp.quad, "quad"), std::vector<double>{0.75});
}

TEST(QpEncoding, RejectsUnknownQubitsAndCouplers) {
  SolverGraph g{4, {0, 1, 2, 3}, {{0, 1}, {1, 2}, {2, 3}, {0, 3}}};
  IsingProblem p;
  p.add_J(0, 2, 1.0);
  EXPECT_THROW(encode_qp(g, p), calo::InputError);
  IsingProblem q;
  q.h[7] = 1;
  EXPECT_THROW(encode_qp(g, q), calo::InputError);
  // quad with the wrong count for the active set
  EXPECT_THROW(decode_qp(g, {"AAAAAAAA8D8AAAAAAADwPwAAAAAAAPh/AAAAAAAA+H8=", ""}),
               calo::InputError);
  EXPECT_THROW(decode_qp(g, {"AAAAAAAA8D8=", "AAAAAAAA8L8="}), calo::InputError);
}

TEST(QpAnswer, SapiDocsExampleIsMsbFirst) {
  // dwave-ocean-sdk docs/leap_sapi/sapi_rest.rst, "Retrieve an Answer"
  const auto j = nlohmann::json::parse(R"({"format":"qp","num_variables":5760,
    "active_variables":"HgAAAB8AAAA=","solutions":"AMA=","energies":"AAAAAAAA8L8AAAAAAADwvw==",
    "num_occurrences":"BgAAAAQAAAA=","timing":{"qpu_sampling_time":769.4,
    "qpu_programming_time":15062.36,"qpu_access_time":15831.76}})");
  const QpAnswer a = decode_qp_answer(j);
  EXPECT_EQ(a.num_variables, 5760);
  EXPECT_EQ(a.active_variables, (std::vector<int>{30, 31}));
  ASSERT_EQ(a.solutions.size(), 2u);
  EXPECT_EQ(a.solutions[0], (std::vector<int8_t>{-1, -1}));
  EXPECT_EQ(a.solutions[1], (std::vector<int8_t>{1, 1}));
  EXPECT_EQ(a.energies, (std::vector<double>{-1, -1}));
  EXPECT_EQ(a.num_occurrences, (std::vector<int>{6, 4}));
  EXPECT_DOUBLE_EQ(a.timing["qpu_access_time"].get<double>(), 15831.76);
  // J(30,31) = -1 gives E = -1 for both: consistent only with MSB-first packing.
  for (const auto& s : a.solutions) EXPECT_EQ(-1.0 * s[0] * s[1], -1.0);
}

TEST(QpAnswer, CloudClientResMsgFixture) {
  // dwave-cloud-client tests/test_coders.py CodersTestBase.res_msg
  const auto j = nlohmann::json::parse(R"({"format":"qp","num_variables":5,
    "energies":"AAAAAAAALsA=","num_occurrences":"ZAAAAA==",
    "active_variables":"AAAAAAEAAAACAAAAAwAAAAQAAAA=","solutions":"AAAAAA==","timing":{}})");
  const QpAnswer a = decode_qp_answer(j);
  EXPECT_EQ(a.active_variables, (std::vector<int>{0, 1, 2, 3, 4}));
  ASSERT_EQ(a.solutions.size(), 1u);
  EXPECT_EQ(a.solutions[0], (std::vector<int8_t>{-1, -1, -1, -1, -1}));
  EXPECT_EQ(a.energies, (std::vector<double>{-15.0}));
  EXPECT_EQ(a.num_occurrences, (std::vector<int>{100}));
  // h = 1, J = -1 on K5 at all -1: 5*(-1) + 10*(-1) = -15.
  EXPECT_EQ(5 * 1.0 * -1 + 10 * -1.0, a.energies[0]);
}

TEST(QpAnswer, EncodeDecodeRoundTripNineSpins) {
  QpAnswer a;
  a.num_variables = 20;
  a.active_variables = {1, 2, 3, 5, 8, 9, 10, 11, 19};
  a.solutions = {{1, -1, 1, 1, -1, -1, 1, -1, 1}, {-1, -1, -1, -1, -1, -1, -1, -1, -1}};
  a.energies = {-2.5, 3.0};
  a.num_occurrences = {1, 1};
  const QpAnswer b = decode_qp_answer(encode_qp_answer(a));
  EXPECT_EQ(b.solutions, a.solutions);
  EXPECT_EQ(b.active_variables, a.active_variables);
  EXPECT_EQ(b.energies, a.energies);
  // first solution byte 0: bits 1,0,1,1,0,0,1,0 -> 0xB2; byte 1: bit 1 -> 0x80
  EXPECT_EQ(base64_decode(encode_qp_answer(a)["solutions"].get<std::string>(), "s")[0], 0xB2);
}

TEST(QpAnswer, MalformedAnswersGiveClearErrors) {
  auto base = nlohmann::json::parse(R"({"format":"qp","num_variables":5760,
    "active_variables":"HgAAAB8AAAA=","solutions":"AMA=","energies":"AAAAAAAA8L8AAAAAAADwvw=="})");
  auto expect_msg = [](const nlohmann::json& j, const std::string& needle) {
    try {
      decode_qp_answer(j);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const calo::RemoteError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto j = base;
  j["solutions"] = "AA==";
  expect_msg(j, "truncated");
  j = base;
  j.erase("energies");
  expect_msg(j, "'energies'");
  j = base;
  j["format"] = "bq";
  expect_msg(j, "format");
  j = base;
  j["energies"] = "AAAAAAAA8L8AAAAAAAD";
  expect_msg(j, "energies");
  j = base;
  j["active_variables"] = "AAAAAAAA";
  expect_msg(j, "active_variables");
  j = base;
  j["active_variables"] = "ECcAAB8AAAA=";  // 10000 >= num_variables
  expect_msg(j, "outside");
}
