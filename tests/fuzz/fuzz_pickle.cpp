// libFuzzer target: the data.pkl record of an original .pt checkpoint, as `k3anim convert`
// reads it (scripts/fuzz.sh 300 fuzz_pickle). Input: the record's bytes. Anything but a
// k3::Error escaping is a bug, and so is a result that breaks parse()'s promises (a tree, at
// most kMaxPickleDepth deep, tensors inside their storage), checked here independently.
#include "base/errors.h"
#include "src/convert/pickle_reader.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void check(const k3::pickle::Value& v, int depth) {
  using k3::pickle::Value;
  if (depth > k3::pickle::kMaxPickleDepth) std::abort();
  if (v.kind == Value::Kind::Tensor) {
    const auto& t = v.tensor;
    if (t.sizes.size() != t.strides.size() || t.storage_offset < 0) std::abort();
    bool empty = false;
    long double last = static_cast<long double>(t.storage_offset);
    for (std::size_t d = 0; d < t.sizes.size(); ++d) {
      if (t.sizes[d] < 0 || t.strides[d] < 0) std::abort();
      empty |= t.sizes[d] == 0;
      if (t.sizes[d] > 0) last += static_cast<long double>(t.sizes[d] - 1) * static_cast<long double>(t.strides[d]);
    }
    if (!empty && last >= static_cast<long double>(t.storage_numel)) std::abort();
  }
  for (const auto& item : v.items) check(*item, depth + 1);
  for (const auto& [key, value] : v.entries) {
    check(*key, depth + 1);
    check(*value, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const k3::pickle::ValuePtr root = k3::pickle::parse(data, size, "fuzz");
    if (!root) std::abort();
    check(*root, 1);
  } catch (const k3::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
