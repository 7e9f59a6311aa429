// Follows CPython Lib/pickle.py (_Unpickler: the opcodes below) and torch/serialization.py
// (persistent_load: ('storage', storage_type, key, location, numel); _rebuild_tensor_v2 arguments).
#include "src/pickle_reader.h"

#include "src/errors.h"

#include <cstring>

namespace k3::pickle {

namespace {

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

torch::ScalarType storage_dtype(const std::string& global, const std::string& where) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat},   {"torch.HalfStorage", torch::kHalf},
      {"torch.BFloat16Storage", torch::kBFloat16}, {"torch.DoubleStorage", torch::kDouble},
      {"torch.LongStorage", torch::kLong},     {"torch.IntStorage", torch::kInt},
      {"torch.ShortStorage", torch::kShort},   {"torch.CharStorage", torch::kChar},
      {"torch.ByteStorage", torch::kByte},     {"torch.BoolStorage", torch::kBool}};
  auto it = types.find(global);
  if (it == types.end()) throw FileError(where + ": expected a torch storage type, got " + global);
  return it->second;
}

class Parser {
 public:
  Parser(const std::uint8_t* data, std::size_t size, std::string source)
      : data_(data), size_(size), source_(std::move(source)) {}

  ValuePtr run() {
    while (true) {
      const std::size_t at = pos_;
      const std::uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                      // PROTO
        case 0x95: bytes(8); break;                    // FRAME
        case '.': return pop();                        // STOP
        case '(': marks_.push_back(stack_.size()); break;
        case '}': push(make(Value::Kind::Dict)); break;
        case ']': push(make(Value::Kind::List)); break;
        case ')': push(make(Value::Kind::Tuple)); break;
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: case 0x89: { auto v = make(Value::Kind::Bool); v->integer = op == 0x88; push(v); break; }
        case 'K': push_int(byte()); break;
        case 'M': push_int(uint_le(2)); break;
        case 'J': push_int(static_cast<int32_t>(static_cast<uint32_t>(uint_le(4)))); break;
        case 0x8a: push_int(long_le(byte())); break;   // LONG1
        case 0x8b: push_int(long_le(uint_le(4))); break;  // LONG4
        case 'G': {
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
          auto v = make(Value::Kind::Float);
          std::memcpy(&v->real, &bits, 8);
          push(v);
          break;
        }
        case 'X': case 'T': case 'B': push_string(uint_le(4)); break;
        case 0x8c: case 'U': case 'C': push_string(byte()); break;
        case 0x8d: case 0x8e: push_string(uint_le(8)); break;
        case 'c': {
          auto module = line(), name = line();
          auto v = make(Value::Kind::Global);
          v->text = module + "." + name;
          push(v);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), module = pop();
          auto v = make(Value::Kind::Global);
          v->text = module->text + "." + name->text;
          push(v);
          break;
        }
        case 'q': memo_[byte()] = top(); break;
        case 'r': memo_[uint_le(4)] = top(); break;
        case 0x94: memo_[memo_.size()] = top(); break;  // MEMOIZE
        case 'h': push(memo(byte(), at)); break;
        case 'j': push(memo(uint_le(4), at)); break;
        case 0x85: case 0x86: case 0x87: {
          auto v = make(Value::Kind::Tuple);
          const int n = op - 0x84;
          v->items.resize(static_cast<std::size_t>(n));
          for (int i = n - 1; i >= 0; --i) v->items[static_cast<std::size_t>(i)] = pop();
          push(v);
          break;
        }
        case 't': { auto v = make(Value::Kind::Tuple); v->items = pop_mark(); push(v); break; }
        case 'a': { auto item = pop(); top()->items.push_back(item); break; }
        case 'e': { auto items = pop_mark(); auto& list = top()->items; list.insert(list.end(), items.begin(), items.end()); break; }
        case 's': { auto value = pop(), key = pop(); dict_top(at)->entries.emplace_back(key, value); break; }
        case 'u': {
          auto items = pop_mark();
          auto dict = dict_top(at);
          for (std::size_t i = 0; i + 1 < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'b': pop(); break;  // BUILD: an OrderedDict's __dict__ (_metadata): not needed
        case 'Q': push(storage(pop(), at)); break;  // BINPERSID
        case 'R': { auto args = pop(), callable = pop(); push(reduce(callable, args, at)); break; }
        case 0x81: { auto args = pop(), cls = pop(); push(reduce(cls, args, at)); break; }  // NEWOBJ
        default: fail(at, "an opcode of torch.save's pickles", "0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& expected, const std::string& got) const {
    throw FileError(source_ + " (pickle byte " + std::to_string(at) + "): expected " + expected + ", got " + got);
  }
  static std::string hex(unsigned v) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[(v >> 4) & 15], digits[v & 15]};
  }
  std::uint8_t byte() {
    if (pos_ >= size_) fail(pos_, "more data", "the end of the pickle");
    return data_[pos_++];
  }
  const std::uint8_t* bytes(std::size_t n) {
    if (n > size_ - pos_) fail(pos_, std::to_string(n) + " more bytes", "the end of the pickle");
    const auto* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint64_t uint_le(int n) {
    const auto* p = bytes(static_cast<std::size_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  int64_t long_le(uint64_t n) {
    if (n > 8) fail(pos_, "an integer of at most 8 bytes", std::to_string(n) + " bytes");
    if (n == 0) return 0;
    const auto* p = bytes(n);
    uint64_t v = 0;
    for (int i = static_cast<int>(n) - 1; i >= 0; --i) v = (v << 8) | p[i];
    if (n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }
  std::string line() {
    std::string s;
    for (char c; (c = static_cast<char>(byte())) != '\n';) s.push_back(c);
    return s;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  void push_int(int64_t i) { auto v = make(Value::Kind::Int); v->integer = i; push(v); }
  void push_string(uint64_t n) {
    auto v = make(Value::Kind::String);
    const auto* p = bytes(n);
    v->text.assign(reinterpret_cast<const char*>(p), n);
    push(v);
  }
  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail(pos_, "a value on the stack", "none");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top() {
    if (stack_.empty()) fail(pos_, "a value on the stack", "none");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail(pos_, "a MARK", "none");
    const auto mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  ValuePtr memo(uint64_t index, std::size_t at) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(at, "a memoised value", "index " + std::to_string(index));
    return it->second;
  }
  ValuePtr dict_top(std::size_t at) {
    auto dict = top();
    if (dict->kind != Value::Kind::Dict) fail(at, "a dict to set items in", "another value");
    return dict;
  }
  static std::vector<int64_t> ints(const ValuePtr& tuple) {
    std::vector<int64_t> out;
    for (const auto& item : tuple->items) out.push_back(item->integer);
    return out;
  }
  ValuePtr storage(const ValuePtr& pid, std::size_t at) {
    if (pid->kind != Value::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->text != "storage")
      fail(at, "a persistent id ('storage', type, key, location, numel)", "another value");
    auto v = make(Value::Kind::Storage);
    v->tensor.dtype = storage_dtype(pid->items[1]->text, source_);
    v->tensor.storage_key = pid->items[2]->text;
    v->tensor.storage_numel = pid->items[4]->integer;
    return v;
  }
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args, std::size_t at) {
    const std::string& name = callable->text;
    if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "__builtin__.dict") {
      auto dict = make(Value::Kind::Dict);
      return dict;
    }
    if (name == "torch.jit._pickle.restore_type_tag" && !args->items.empty()) return args->items[0];
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Value::Kind::Tensor) fail(at, "a tensor in a Parameter", "none");
      return args->items[0];
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args->items.size() < 4 || args->items[0]->kind != Value::Kind::Storage)
        fail(at, "_rebuild_tensor_v2(storage, offset, size, stride, ...)", "other arguments");
      auto v = make(Value::Kind::Tensor);
      v->tensor = args->items[0]->tensor;
      v->tensor.storage_offset = args->items[1]->integer;
      v->tensor.sizes = ints(args->items[2]);
      v->tensor.strides = ints(args->items[3]);
      return v;
    }
    auto v = make(Value::Kind::Opaque);
    v->text = name;
    return v;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::string source_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
};

}  // namespace

ValuePtr parse(const std::uint8_t* data, std::size_t size, const std::string& source) {
  return Parser(data, size, source).run();
}

}  // namespace k3::pickle
