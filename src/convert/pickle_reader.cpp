// Follows CPython Lib/pickle.py (_Unpickler: the opcodes below) and torch/serialization.py
// (persistent_load: ('storage', storage_type, key, location, numel); _rebuild_tensor_v2 arguments).
#include "src/convert/pickle_reader.h"

#include "base/errors.h"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace k3::pickle {

namespace {


c10::ScalarType storage_dtype(const std::string& global, const std::string& where) {
  static const std::map<std::string, c10::ScalarType> types = {
      {"torch.FloatStorage", c10::kFloat},   {"torch.HalfStorage", c10::kHalf},
      {"torch.BFloat16Storage", c10::kBFloat16}, {"torch.DoubleStorage", c10::kDouble},
      {"torch.LongStorage", c10::kLong},     {"torch.IntStorage", c10::kInt},
      {"torch.ShortStorage", c10::kShort},   {"torch.CharStorage", c10::kChar},
      {"torch.ByteStorage", c10::kByte},     {"torch.BoolStorage", c10::kBool}};
  auto it = types.find(global);
  if (it == types.end()) throw FileError(where + ": expected a torch storage type, got " + global);
  return it->second;
}

class Parser {
 public:
  Parser(const std::uint8_t* data, std::size_t size, std::string source)
      : data_(data), size_(size), source_(std::move(source)) {}
  // Every value made is also held in made_: emptying each one's children first makes the
  // teardown flat, so neither a deep chain (recursive destructors) nor a value that contains
  // itself (a shared_ptr cycle: a leak) survives a failed or finished parse.
  ~Parser() {
    for (const auto& v : made_) {
      if (kept_.count(v.get())) continue;
      v->items.clear();
      v->entries.clear();
    }
  }

  ValuePtr parse() {
    ValuePtr root = run();
    try {
      check_tree(root);
    } catch (...) {
      kept_.clear();  // nothing is kept: tear everything down flat
      throw;
    }
    return root;
  }

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
  ValuePtr make(Value::Kind kind) {
    if (made_.size() >= kMaxPickleValues)
      fail(pos_, "at most " + std::to_string(kMaxPickleValues) + " values (kMaxPickleValues)", "more");
    auto v = std::make_shared<Value>();
    v->kind = kind;
    made_.push_back(v);
    return v;
  }

  // Depth-first walk without recursion over the value graph: refuses a value that contains
  // itself, nesting deeper than kMaxPickleDepth, and a result longer than kMaxPickleValues to walk
  // as a tree (a small pickle can share one list many times over: the lengths are summed per
  // value, not walked). Checks every tensor's layout and marks what the caller keeps.
  void check_tree(const ValuePtr& root) {
    struct Frame {
      const Value* value;
      std::size_t next_child;
    };
    std::unordered_map<const Value*, std::size_t> walk_length;  // values finished
    std::unordered_set<const Value*> on_path;
    std::vector<Frame> path{{root.get(), 0}};
    on_path.insert(root.get());
    auto child = [](const Value* v, std::size_t i) -> const Value* {
      if (i < v->items.size()) return v->items[i].get();
      i -= v->items.size();
      if (i < 2 * v->entries.size()) return (i % 2 ? v->entries[i / 2].second : v->entries[i / 2].first).get();
      return nullptr;
    };
    while (!path.empty()) {
      Frame& f = path.back();
      const Value* c = child(f.value, f.next_child++);
      if (c) {
        if (walk_length.count(c)) continue;
        if (on_path.count(c)) fail(size_, "a tree of values", "a value that contains itself");
        if (path.size() >= static_cast<std::size_t>(kMaxPickleDepth))
          fail(size_, "values nested at most " + std::to_string(kMaxPickleDepth) + " deep (kMaxPickleDepth)", "deeper");
        on_path.insert(c);
        path.push_back({c, 0});
        continue;
      }
      std::size_t length = 1;
      for (std::size_t i = 0; (c = child(f.value, i)); ++i) length += walk_length.at(c);
      if (length > kMaxPickleValues)
        fail(size_, "a result of at most " + std::to_string(kMaxPickleValues) + " values when walked (kMaxPickleValues)",
             "more (values shared many times over)");
      if (f.value->kind == Value::Kind::Tensor) check_tensor(f.value->tensor);
      walk_length[f.value] = length;
      kept_.insert(f.value);
      on_path.erase(f.value);
      path.pop_back();
    }
  }

  void check_tensor(const TensorMeta& t) const {
    const std::string what = "tensor of storage '" + t.storage_key + "'";
    if (t.sizes.size() != t.strides.size())
      fail(size_, what + ": as many strides as sizes", std::to_string(t.strides.size()) + " strides for " + std::to_string(t.sizes.size()) + " sizes");
    if (t.storage_offset < 0 || t.storage_numel < 0)
      fail(size_, what + ": a non-negative storage offset and size", std::to_string(t.storage_offset) + " and " + std::to_string(t.storage_numel));
    // The last element addressed, in checked arithmetic; an empty tensor addresses nothing.
    int64_t last = t.storage_offset;
    bool empty = false;
    for (std::size_t d = 0; d < t.sizes.size(); ++d) {
      if (t.sizes[d] < 0 || t.strides[d] < 0)
        fail(size_, what + ": non-negative sizes and strides", std::to_string(t.sizes[d]) + " and " + std::to_string(t.strides[d]));
      if (t.sizes[d] == 0) empty = true;
      int64_t reach = 0;
      if (t.sizes[d] > 0 && (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &reach) || __builtin_add_overflow(last, reach, &last)))
        fail(size_, what + ": a layout inside 64-bit offsets", "one that overflows");
    }
    if (!empty && last >= t.storage_numel)
      fail(size_, what + ": elements inside its storage of " + std::to_string(t.storage_numel), "an extent of " + std::to_string(last) + " + 1");
  }

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
  std::vector<ValuePtr> made_;
  std::unordered_set<const Value*> kept_;  // reachable from a returned root: left intact
};

}  // namespace

ValuePtr parse(const std::uint8_t* data, std::size_t size, const std::string& source) {
  return Parser(data, size, source).parse();
}

}  // namespace k3::pickle
