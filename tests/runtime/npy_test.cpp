// Tests of the .npy reader and writer: round trips of every dtype through every header
// version, headers written by other tools (hand-built bytes), gzip-compressed files,
// conversions to Buffers, and every malformed file giving an Error that names the file
// and the problem.
#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::raw_npy;
using testing::TempDir;
using testing::write_bytes;

// An array of `dtype` and `shape` whose bytes follow a simple varying pattern.
NpyArray pattern(NpyDType dtype, std::vector<int64_t> shape) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.resize(static_cast<size_t>(a.numel()) * npy_dtype_size(dtype));
  for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = std::byte(i * 37 + 11);
  if (dtype == NpyDType::Bool)
    for (auto& b : a.data) b &= std::byte{1};
  return a;
}

void expect_same(const NpyArray& got, const NpyArray& want) {
  EXPECT_EQ(got.dtype, want.dtype);
  EXPECT_EQ(got.shape, want.shape);
  EXPECT_TRUE(got.data == want.data);
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<NpyDType, int>> {};

TEST_P(RoundTrip, WriteThenReadGivesTheSameArray) {
  auto [dtype, version] = GetParam();
  TempDir dir;
  for (std::vector<int64_t> shape : {std::vector<int64_t>{3, 5}, {7}, {}, {2, 3, 4}, {0, 4}}) {
    NpyArray a = pattern(dtype, shape);
    std::filesystem::path path = dir / "a.npy";
    write_npy(path, a, version);
    expect_same(read_npy(path), a);
    size_t header = std::filesystem::file_size(path) - a.data.size();
    EXPECT_EQ(header % 64, 0u) << "data must start at a multiple of 64 bytes";
    EXPECT_EQ(static_cast<int>(testing::read_bytes(path)[6]), version);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryDTypeAndVersion, RoundTrip,
    ::testing::Combine(::testing::Values(NpyDType::U8, NpyDType::Bool, NpyDType::I32,
                                         NpyDType::I64, NpyDType::F32, NpyDType::F64),
                       ::testing::Values(1, 2, 3)),
    [](const auto& info) {
      NpyDType dtype = std::get<0>(info.param);
      return fmt::format("{}_v{}", npy_dtype_name(dtype), std::get<1>(info.param));
    });

TEST(Npy, HeaderWrittenAsNumPyDoes) {
  TempDir dir;
  write_npy(dir / "a.npy", pattern(NpyDType::F32, {2, 3}));
  std::string bytes = testing::read_bytes(dir / "a.npy");
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_THAT(bytes, HasSubstr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  EXPECT_EQ(bytes.size(), 128u + 24u);  // 10 + 60 + '\n' rounded up to 128, as np.save
  EXPECT_EQ(bytes[127], '\n');
}

TEST(Npy, ReadsHeadersFormattedDifferently) {
  TempDir dir;
  float values[2] = {1.5f, -2.0f};
  std::string_view data(reinterpret_cast<const char*>(values), sizeof values);
  const char* dicts[] = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }   \n",
      "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}",
      "{ 'fortran_order' : False , 'descr' : '=f4' , 'shape' : [ 2 ] }\n",
      "{'descr':'<f4','fortran_order':False,'shape':(1,2)}",
  };
  for (const char* dict : dicts) {
    write_bytes(dir / "h.npy", raw_npy(dict, data));
    NpyArray a = read_npy(dir / "h.npy");
    EXPECT_EQ(a.dtype, NpyDType::F32) << dict;
    EXPECT_EQ(a.numel(), 2) << dict;
    EXPECT_EQ(a.as<float>()[1], -2.0f) << dict;
  }
}

TEST(Npy, ReadsVersion2And3HeadersBuiltByHand) {
  TempDir dir;
  int32_t values[3] = {7, -8, 9};
  std::string_view data(reinterpret_cast<const char*>(values), sizeof values);
  for (int major : {2, 3}) {
    std::string dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n";
    write_bytes(dir / "v.npy", raw_npy(dict, data, major));
    NpyArray a = read_npy(dir / "v.npy");
    EXPECT_EQ(a.shape, std::vector<int64_t>{3});
    EXPECT_EQ(a.as<int32_t>()[1], -8);
  }
}

TEST(Npy, AcceptsOneByteDTypesWithAnyByteOrderMark) {
  TempDir dir;
  for (const char* descr : {"|u1", "<u1", "|b1", ">u1"}) {
    std::string dict =
        fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': (2,)}}", descr);
    write_bytes(dir / "b.npy", raw_npy(dict, std::string("\x01\x00", 2)));
    EXPECT_EQ(read_npy(dir / "b.npy").numel(), 2) << descr;
  }
}

TEST(Npy, ReadsGzipCompressedFiles) {
  TempDir dir;
  NpyArray a = pattern(NpyDType::F64, {4, 6});
  write_npy(dir / "a.npy", a);
  testing::gzip_file(dir / "a.npy", dir / "a.npy.gz");
  EXPECT_NE(testing::read_bytes(dir / "a.npy.gz"), testing::read_bytes(dir / "a.npy"));
  expect_same(read_npy(dir / "a.npy.gz"), a);
}

TEST(Npy, WriteReplacesAnExistingFileAndLeavesNoTemporary) {
  TempDir dir;
  write_npy(dir / "a.npy", pattern(NpyDType::U8, {100}));
  NpyArray b = pattern(NpyDType::I32, {3});
  write_npy(dir / "a.npy", b);
  expect_same(read_npy(dir / "a.npy"), b);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) ++files, (void)e;
  EXPECT_EQ(files, 1);
}

TEST(Npy, WriteErrorsNameThePath) {
  TempDir dir;
  std::string path = (dir / "no-such-dir" / "a.npy").string();
  std::string msg = error_of([&] { write_npy(path, pattern(NpyDType::F32, {2})); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("No such file or directory"));
  NpyArray bad = pattern(NpyDType::F32, {2});
  bad.shape = {3};
  msg = error_of([&] { write_npy(dir / "b.npy", bad); });
  EXPECT_THAT(msg, HasSubstr("b.npy"));
  EXPECT_THAT(msg, HasSubstr("do not fill shape (3,)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "b.npy"));
}

NpyArray int64_array(std::vector<int64_t> shape, std::vector<int64_t> values) {
  NpyArray a;
  a.dtype = NpyDType::I64;
  a.shape = std::move(shape);
  a.data.resize(values.size() * sizeof(int64_t));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

TEST(Npy, BufferConversions) {
  NpyArray a = int64_array({2, 2}, {1, -2, 3, 1000000});
  Buffer f = to_buffer(a, ir::DType::F32, "a");
  EXPECT_EQ(f.type(), (ir::Type{ir::DType::F32, {2, 2}}));
  EXPECT_EQ(f.as<float>()[1], -2.0f);
  Buffer i = to_buffer(a, ir::DType::I32, "a");
  EXPECT_EQ(i.as<int32_t>()[3], 1000000);
  NpyArray back = from_buffer(i);
  EXPECT_EQ(back.dtype, NpyDType::I32);
  EXPECT_EQ(back.shape, a.shape);
  EXPECT_EQ(back.as<int32_t>()[1], -2);
}

TEST(Npy, BufferConversionErrors) {
  NpyArray big = int64_array({2}, {1, int64_t{1} << 40});
  EXPECT_THAT(error_of([&] { to_buffer(big, ir::DType::I32, "big.npy"); }),
              HasSubstr("big.npy: element 1 is 1099511627776, not an int32 value"));
  NpyArray empty = int64_array({0, 3}, {});
  EXPECT_THAT(error_of([&] { to_buffer(empty, ir::DType::F32, "empty.npy"); }),
              HasSubstr("empty.npy: empty array of shape (0, 3)"));
}

// ---- Malformed files -----------------------------------------------------------------

// Writes `bytes` to dir/NAME and returns the Error message of reading it.
std::string read_error(const TempDir& dir, const std::string& name, const std::string& bytes,
                       std::initializer_list<int> ranks = {}) {
  write_bytes(dir / name, bytes);
  std::string msg = error_of([&] { read_npy(dir / name, ranks); });
  EXPECT_THAT(msg, HasSubstr((dir / name).string()));
  return msg;
}

const std::string kF32x3 = std::string(12, '\0');

std::string f32_dict(std::string_view shape) {
  return fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape);
}

TEST(NpyErrors, MissingFile) {
  TempDir dir;
  std::string path = (dir / "absent.npy").string();
  std::string msg = error_of([&] { read_npy(path); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("cannot open: No such file or directory"));
}

TEST(NpyErrors, BadMagic) {
  TempDir dir;
  EXPECT_THAT(read_error(dir, "csv.npy", "1,2,3\n4,5,6\n"), HasSubstr("bad magic"));
  EXPECT_THAT(read_error(dir, "empty.npy", ""), HasSubstr("bad magic"));
}

TEST(NpyErrors, UnsupportedVersion) {
  TempDir dir;
  EXPECT_THAT(read_error(dir, "v4.npy", raw_npy(f32_dict("(3,)"), kF32x3, 4)),
              HasSubstr("unsupported .npy format version 4.0"));
  EXPECT_THAT(read_error(dir, "v11.npy", raw_npy(f32_dict("(3,)"), kF32x3, 1, 1)),
              HasSubstr("unsupported .npy format version 1.1"));
}

TEST(NpyErrors, UnparseableHeaderDict) {
  TempDir dir;
  const char* dicts[] = {
      "not a dict",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)",      // no closing brace
      "{'descr': '<f4', 'fortran_order': False}",                     // no shape
      "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk",
      "{'descr: '<f4', 'fortran_order': False, 'shape': (3,)}",
  };
  for (const char* dict : dicts)
    EXPECT_THAT(read_error(dir, "h.npy", raw_npy(dict, kF32x3)),
                HasSubstr("unparseable header dict"))
        << dict;
}

TEST(NpyErrors, TruncatedHeader) {
  TempDir dir;
  std::string bytes = raw_npy(f32_dict("(3,)"), kF32x3);
  EXPECT_THAT(read_error(dir, "t.npy", bytes.substr(0, 20)), HasSubstr("truncated header"));
  EXPECT_THAT(read_error(dir, "t.npy", bytes.substr(0, 7)), HasSubstr("truncated header"));
}

TEST(NpyErrors, FortranOrder) {
  TempDir dir;
  std::string dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }";
  EXPECT_THAT(read_error(dir, "f.npy", raw_npy(dict, kF32x3)),
              HasSubstr("fortran_order True is not supported"));
}

TEST(NpyErrors, BigEndianAndUnsupportedDTypes) {
  TempDir dir;
  auto dict = [](std::string_view descr) {
    return fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': (3,), }}", descr);
  };
  EXPECT_THAT(read_error(dir, "be.npy", raw_npy(dict(">f4"), kF32x3)),
              HasSubstr("big-endian dtype '>f4' is not supported"));
  EXPECT_THAT(read_error(dir, "be8.npy", raw_npy(dict(">i8"), std::string(24, '\0'))),
              HasSubstr("big-endian dtype '>i8'"));
  for (const char* descr : {"<f2", "<u4", "|i1", "<c8", "<U10", "|O", "|f4"})
    EXPECT_THAT(read_error(dir, "dt.npy", raw_npy(dict(descr), kF32x3)),
                HasSubstr(fmt::format("unsupported dtype '{}'", descr)));
  std::string structured = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }";
  EXPECT_THAT(read_error(dir, "st.npy", raw_npy(structured, kF32x3)),
              HasSubstr("unparseable header"));
}

TEST(NpyErrors, ShapeNotOfTheExpectedRank) {
  TempDir dir;
  EXPECT_THAT(read_error(dir, "r.npy", raw_npy(f32_dict("(3,)"), kF32x3), {2}),
              HasSubstr("expected an array of rank 2, got shape (3,) (rank 1)"));
  EXPECT_THAT(read_error(dir, "r.npy", raw_npy(f32_dict("(1, 1, 3)"), kF32x3), {1, 2}),
              HasSubstr("expected an array of rank 1 or 2, got shape (1, 1, 3)"));
}

TEST(NpyErrors, TruncatedData) {
  TempDir dir;
  EXPECT_THAT(read_error(dir, "short.npy", raw_npy(f32_dict("(4,)"), kF32x3)),
              HasSubstr("truncated data: the shape needs 16 bytes, the file has 12"));
  EXPECT_THAT(read_error(dir, "huge.npy", raw_npy(f32_dict("(1000000, 1000000)"), kF32x3)),
              HasSubstr("truncated data: the shape needs 4000000000000 bytes, the file has 12"));
  std::string absurd = f32_dict("(4611686018427387904, 8)");  // 2^62 x 8 elements
  EXPECT_THAT(read_error(dir, "absurd.npy", raw_npy(absurd, kF32x3)), HasSubstr("is too large"));
}

TEST(NpyErrors, TrailingBytes) {
  TempDir dir;
  EXPECT_THAT(read_error(dir, "long.npy", raw_npy(f32_dict("(2,)"), kF32x3)),
              HasSubstr("trailing bytes after the 8 bytes of data"));
}

TEST(NpyErrors, CorruptGzip) {
  TempDir dir;
  NpyArray a = pattern(NpyDType::F32, {1000});
  write_npy(dir / "a.npy", a);
  testing::gzip_file(dir / "a.npy", dir / "a.npy.gz");
  std::string gz = testing::read_bytes(dir / "a.npy.gz");
  std::string cut = read_error(dir, "cut.npy.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THAT(cut, ::testing::AnyOf(HasSubstr("truncated data"), HasSubstr("read error")));
  gz[gz.size() / 2] ^= 0x5a;
  gz[gz.size() / 2 + 1] ^= 0x5a;
  std::string bad = read_error(dir, "bad.npy.gz", gz);
  EXPECT_THAT(bad, ::testing::AnyOf(HasSubstr("read error"), HasSubstr("truncated data")));
  EXPECT_EQ(bad.find((dir / "bad.npy.gz").string()), bad.rfind((dir / "bad.npy.gz").string()))
      << "the file is named once: " << bad;
}

}  // namespace
}  // namespace minigrad::runtime
