// The safetensors reader and writer: round trips, the exact bytes of the format, and
// an error naming the file and tensor for every way a file can be damaged.
#include "runtime/safetensors.h"

#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

StTensor f32(const std::string& name, std::vector<int64_t> shape, std::vector<float> v) {
  StTensor t{name, StDType::F32, std::move(shape), {}};
  t.data.resize(v.size() * 4);
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

// A file built by hand: header length, header text, data.
std::string raw_file(const std::string& header, const std::string& data) {
  uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

TEST(Safetensors, RoundTripKeepsTensorsAndMetadata) {
  TempDir dir;
  SafeTensors st;
  st.tensors = {f32("b", {2, 3}, {1, 2, 3, 4, 5, 6}), f32("a", {}, {7})};
  StTensor n{"n", StDType::I64, {}, std::vector<std::byte>(8)};
  n.data[0] = std::byte{42};
  st.tensors.push_back(n);
  st.metadata = {{"format", "pt"}, {"note", "x"}};
  write_safetensors(dir / "t.safetensors", st);
  SafeTensors back = read_safetensors(dir / "t.safetensors");
  ASSERT_EQ(back.tensors.size(), 3u);
  EXPECT_EQ(back.metadata, st.metadata);
  for (const StTensor& t : st.tensors) {
    const StTensor* b = back.find(t.name);
    ASSERT_NE(b, nullptr) << t.name;
    EXPECT_EQ(b->dtype, t.dtype);
    EXPECT_EQ(b->shape, t.shape);
    EXPECT_EQ(b->data, t.data);
  }
}

TEST(Safetensors, WritesTheFormatExactly) {
  TempDir dir;
  SafeTensors st;
  st.tensors = {f32("w", {1, 2}, {1.5f, -2})};
  write_safetensors(dir / "t.safetensors", st);
  std::string bytes = read_bytes(dir / "t.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u) << "the data starts 8-byte aligned";
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["shape"], nlohmann::json({1, 2}));
  EXPECT_EQ(header["w"]["data_offsets"], nlohmann::json({0, 8}));
  float v[2];
  std::memcpy(v, bytes.data() + 8 + n, 8);
  EXPECT_EQ(v[0], 1.5f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(bytes.size(), 8 + n + 8);
}

TEST(Safetensors, ReadsAFileWrittenByOthers) {
  TempDir dir;  // PyTorch-style: tensors listed out of data order, a scalar, metadata
  std::string header =
      R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})";
  int64_t a = 5;
  float b = 0.25f;
  write_bytes(dir / "t.safetensors", raw_file(header, std::string(reinterpret_cast<char*>(&a), 8) +
                                                          std::string(reinterpret_cast<char*>(&b), 4)));
  SafeTensors st = read_safetensors(dir / "t.safetensors");
  ASSERT_NE(st.find("a"), nullptr);
  EXPECT_TRUE(st.find("a")->shape.empty());
  int64_t got = 0;
  std::memcpy(&got, st.find("a")->data.data(), 8);
  EXPECT_EQ(got, 5);
  EXPECT_EQ(st.metadata.at("format"), "pt");
}

std::string damaged(const std::string& header, const std::string& data) {
  TempDir dir;
  write_bytes(dir / "bad.safetensors", raw_file(header, data));
  return error_of([&] { read_safetensors(dir / "bad.safetensors"); });
}

TEST(SafetensorsErrors, EveryDamageIsNamed) {
  std::string d8(8, '\0');
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"),
              HasSubstr("truncated"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", d8), HasSubstr("not JSON"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", d8),
              HasSubstr("tensor 'w': unsupported dtype 'Q7'"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8),
              HasSubstr("tensor 'w': data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, '\0')),
              HasSubstr("a hole before it"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      d8),
              HasSubstr("overlaps"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[2]}})", d8), HasSubstr("data_offsets is not [begin, end]"));
  EXPECT_THAT(damaged(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8), HasSubstr("negative"));
  EXPECT_THAT(damaged(R"({"__metadata__":{"a":1}})", ""), HasSubstr("__metadata__ entry 'a' is not a string"));
  EXPECT_THAT(damaged(R"([1,2])", ""), HasSubstr("not a JSON object"));
}

TEST(SafetensorsErrors, ShortFilesAndHugeHeaders) {
  TempDir dir;
  write_bytes(dir / "short", "abc");
  EXPECT_THAT(error_of([&] { read_safetensors(dir / "short"); }), HasSubstr("short: not a safetensors file"));
  uint64_t huge = 1ull << 40;
  write_bytes(dir / "huge", std::string(reinterpret_cast<char*>(&huge), 8) + "{}");
  EXPECT_THAT(error_of([&] { read_safetensors(dir / "huge"); }), HasSubstr("header length"));
  EXPECT_THAT(error_of([&] { read_safetensors(dir / "missing"); }), HasSubstr("missing: cannot open"));
}

TEST(SafetensorsErrors, WriterRefusesRepeatedNamesAndWrongSizes) {
  TempDir dir;
  SafeTensors st;
  st.tensors = {f32("w", {1}, {1}), f32("w", {1}, {2})};
  EXPECT_THAT(error_of([&] { write_safetensors(dir / "t", st); }), HasSubstr("'w' is reserved or repeated"));
  st.tensors = {f32("w", {3}, {1})};
  EXPECT_THAT(error_of([&] { write_safetensors(dir / "t", st); }), HasSubstr("4 bytes for F32 [3]"));
  EXPECT_FALSE(std::filesystem::exists(dir / "t")) << "nothing is left behind";
}

}  // namespace
}  // namespace minigrad::runtime
