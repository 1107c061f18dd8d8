// Python operators on Values: arithmetic, bitwise, comparisons, membership,
// identity, unary operators, subscripts and slices, and comparison matchers
// (runtime/eval.h, py::).
//
// Ints are int64; where Python would grow a big int we raise OverflowError
// instead of silently switching to float.
#include <re2/re2.h>

#include <cmath>
#include <limits>
#include <vector>

#include "runtime/eval.h"
#include "runtime/internal/py_support.h"

namespace rg::runtime {

using colang::Dict;
using colang::List;
using colang::Value;
using internal::is_intlike;
using internal::quoted_type;
using internal::raise;
using internal::to_int;

namespace internal {

[[noreturn]] void raise(std::string_view type, std::string message) {
  throw EvalError(std::string(type), message);
}

}  // namespace internal

namespace {

// Refuse to build strings or lists larger than this (`"x" * 10**12`).
constexpr size_t kMaxRepeatBytes = size_t{1} << 28;

enum class BinOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow, kMatMul, kBitOr, kBitXor, kBitAnd,
                   kLShift, kRShift, kUnknown };

BinOp parse_binop(std::string_view op) {
  if (op.size() == 1) {
    switch (op[0]) {
      case '+': return BinOp::kAdd;
      case '-': return BinOp::kSub;
      case '*': return BinOp::kMul;
      case '/': return BinOp::kDiv;
      case '%': return BinOp::kMod;
      case '@': return BinOp::kMatMul;
      case '|': return BinOp::kBitOr;
      case '^': return BinOp::kBitXor;
      case '&': return BinOp::kBitAnd;
      default: return BinOp::kUnknown;
    }
  }
  if (op == "//") return BinOp::kFloorDiv;
  if (op == "**") return BinOp::kPow;
  if (op == "<<") return BinOp::kLShift;
  if (op == ">>") return BinOp::kRShift;
  return BinOp::kUnknown;
}

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  std::string msg = "unsupported operand type(s) for ";
  msg += op;
  msg += ": " + quoted_type(a) + " and " + quoted_type(b);
  raise("TypeError", std::move(msg));
}

[[noreturn]] void overflow() { raise("OverflowError", "integer result does not fit in 64 bits"); }


int64_t int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return result;
}

// Python's float floor division and modulo (the result of % takes the sign
// of the divisor).
void float_divmod(double x, double y, double& div, double& mod) {
  mod = std::fmod(x, y);
  div = (x - mod) / y;
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  if (div != 0.0) {
    const double fl = std::floor(div);
    div = (div - fl > 0.5) ? fl + 1.0 : fl;
  } else {
    div = std::copysign(0.0, x / y);
  }
}

double float_pow(double x, double y) {
  if (x == 0.0 && y < 0.0) raise("ZeroDivisionError", "0.0 cannot be raised to a negative power");
  if (x < 0.0 && std::isfinite(y) && y != std::floor(y)) {
    raise("ValueError", "negative number raised to a fractional power (complex result)");
  }
  const double r = std::pow(x, y);
  if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) {
    raise("OverflowError", "(34, 'Numerical result out of range')");
  }
  return r;
}

Value int_arith(BinOp op, std::string_view op_text, const Value& a, const Value& b) {
  const int64_t x = to_int(a);
  const int64_t y = to_int(b);
  int64_t r = 0;
  switch (op) {
    case BinOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) overflow();
      return Value(r);
    case BinOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) overflow();
      return Value(r);
    case BinOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) overflow();
      return Value(r);
    case BinOp::kDiv:
      if (y == 0) raise("ZeroDivisionError", "division by zero");
      return Value(static_cast<double>(x) / static_cast<double>(y));
    case BinOp::kFloorDiv: {
      if (y == 0) raise("ZeroDivisionError", "integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) overflow();
      int64_t q = x / y;
      if (x % y != 0 && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    case BinOp::kMod: {
      if (y == 0) raise("ZeroDivisionError", "integer modulo by zero");
      if (y == -1) return Value(int64_t{0});
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    case BinOp::kPow:
      if (y < 0) return Value(float_pow(static_cast<double>(x), static_cast<double>(y)));
      return Value(int_pow(x, y));
    case BinOp::kBitOr:
      if (a.is_bool() && b.is_bool()) return Value(a.as_bool() || b.as_bool());
      return Value(x | y);
    case BinOp::kBitXor:
      if (a.is_bool() && b.is_bool()) return Value(a.as_bool() != b.as_bool());
      return Value(x ^ y);
    case BinOp::kBitAnd:
      if (a.is_bool() && b.is_bool()) return Value(a.as_bool() && b.as_bool());
      return Value(x & y);
    case BinOp::kLShift: {
      if (y < 0) raise("ValueError", "negative shift count");
      if (x == 0) return Value(int64_t{0});
      if (y >= 63) overflow();
      const auto shifted = static_cast<int64_t>(static_cast<uint64_t>(x) << y);
      if ((shifted >> y) != x) overflow();
      return Value(shifted);
    }
    case BinOp::kRShift:
      if (y < 0) raise("ValueError", "negative shift count");
      if (y >= 64) return Value(int64_t{x < 0 ? -1 : 0});
      return Value(x >> y);
    default:
      unsupported(op_text, a, b);
  }
}

Value float_arith(BinOp op, std::string_view op_text, const Value& a, const Value& b) {
  const double x = a.as_number();
  const double y = b.as_number();
  double div, mod;
  switch (op) {
    case BinOp::kAdd: return Value(x + y);
    case BinOp::kSub: return Value(x - y);
    case BinOp::kMul: return Value(x * y);
    case BinOp::kDiv:
      if (y == 0.0) raise("ZeroDivisionError", "float division by zero");
      return Value(x / y);
    case BinOp::kFloorDiv:
      if (y == 0.0) raise("ZeroDivisionError", "float floor division by zero");
      float_divmod(x, y, div, mod);
      return Value(div);
    case BinOp::kMod:
      if (y == 0.0) raise("ZeroDivisionError", "float modulo");
      float_divmod(x, y, div, mod);
      return Value(mod);
    case BinOp::kPow:
      return Value(float_pow(x, y));
    default:
      unsupported(op_text, a, b);
  }
}

Value repeat(const Value& seq, int64_t times) {
  if (times < 0) times = 0;
  if (seq.is_str()) {
    const std::string& s = seq.as_str();
    if (!s.empty() && static_cast<uint64_t>(times) > kMaxRepeatBytes / s.size()) {
      raise("MemoryError", "repeated string too large");
    }
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += s;
    return Value(std::move(out));
  }
  const List& l = seq.as_list();
  if (!l.empty() && static_cast<uint64_t>(times) > kMaxRepeatBytes / (l.size() * sizeof(Value))) {
    raise("MemoryError", "repeated list too large");
  }
  List out;
  out.reserve(l.size() * static_cast<size_t>(times));
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), l.begin(), l.end());
  return Value(std::move(out));
}

bool list_has(const List& items, const Value& v) {
  for (const Value& item : items) {
    if (item == v) return true;
  }
  return false;
}

Value set_op(BinOp op, const List& x, const List& y) {
  List out;
  switch (op) {
    case BinOp::kBitOr:
      out = x;
      for (const Value& v : y) {
        if (!list_has(x, v)) out.push_back(v);
      }
      break;
    case BinOp::kBitAnd:
      for (const Value& v : x) {
        if (list_has(y, v)) out.push_back(v);
      }
      break;
    case BinOp::kSub:
      for (const Value& v : x) {
        if (!list_has(y, v)) out.push_back(v);
      }
      break;
    default:  // kBitXor
      for (const Value& v : x) {
        if (!list_has(y, v)) out.push_back(v);
      }
      for (const Value& v : y) {
        if (!list_has(x, v)) out.push_back(v);
      }
      break;
  }
  return Value::make_set(std::move(out));
}

Value sequence_binary(BinOp op, std::string_view op_text, const Value& a, const Value& b) {
  switch (op) {
    case BinOp::kAdd:
      if (a.is_str() && b.is_str()) {
        std::string out;
        out.reserve(a.as_str().size() + b.as_str().size());
        out += a.as_str();
        out += b.as_str();
        return Value(std::move(out));
      }
      if (a.is_list() && b.is_list()) {
        List out;
        out.reserve(a.as_list().size() + b.as_list().size());
        out.insert(out.end(), a.as_list().begin(), a.as_list().end());
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return Value(std::move(out));
      }
      if (a.is_str() || a.is_list()) {
        raise("TypeError", "can only concatenate " + std::string(a.type_name()) + " (not \"" +
                               std::string(b.type_name()) + "\") to " + std::string(a.type_name()));
      }
      break;
    case BinOp::kMul:
      if ((a.is_str() || a.is_list()) && is_intlike(b)) return repeat(a, to_int(b));
      if (is_intlike(a) && (b.is_str() || b.is_list())) return repeat(b, to_int(a));
      if (a.is_str() || a.is_list() || b.is_str() || b.is_list()) {
        raise("TypeError", "can't multiply sequence by non-int of type " +
                               quoted_type(a.is_str() || a.is_list() ? b : a));
      }
      break;
    case BinOp::kMod:
      if (a.is_str()) raise("TypeError", "printf-style string formatting (%) is not supported");
      break;
    case BinOp::kBitOr:
      if (a.is_dict() && b.is_dict()) {
        colang::Dict out = a.as_dict();
        for (const auto& [k, v] : b.as_dict()) out.set(k, v);
        return Value(std::move(out));
      }
      [[fallthrough]];
    case BinOp::kBitAnd:
    case BinOp::kBitXor:
    case BinOp::kSub:
      if (a.is_set() && b.is_set()) return set_op(op, a.as_list(), b.as_list());
      break;
    default:
      break;
  }
  unsupported(op_text, a, b);
}

// ----------------------------------------------------------- comparisons
enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kIs, kIsNot, kUnknown };

CmpOp parse_cmpop(std::string_view op) {
  if (op == "==") return CmpOp::kEq;
  if (op == "!=" || op == "<>") return CmpOp::kNe;
  if (op == "<") return CmpOp::kLt;
  if (op == "<=") return CmpOp::kLe;
  if (op == ">") return CmpOp::kGt;
  if (op == ">=") return CmpOp::kGe;
  if (op == "in") return CmpOp::kIn;
  if (op == "not in") return CmpOp::kNotIn;
  if (op == "is") return CmpOp::kIs;
  if (op == "is not") return CmpOp::kIsNot;
  return CmpOp::kUnknown;
}

bool apply_order(CmpOp op, int c) {
  if (c == 2) return false;  // NaN involved: every ordering is false
  switch (op) {
    case CmpOp::kLt: return c < 0;
    case CmpOp::kLe: return c <= 0;
    case CmpOp::kGt: return c > 0;
    default: return c >= 0;  // kGe
  }
}

bool is_subset(const List& x, const List& y) {
  for (const Value& v : x) {
    if (!list_has(y, v)) return false;
  }
  return true;
}

bool ordered(CmpOp op, std::string_view op_text, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return apply_order(op, colang::compare_numbers(a, b));
  if (a.is_str() && b.is_str()) {
    const int c = a.as_str().compare(b.as_str());
    return apply_order(op, c < 0 ? -1 : (c > 0 ? 1 : 0));
  }
  if (a.is_list() && b.is_list()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    const size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i) {
      if (!(x[i] == y[i])) return ordered(op, op_text, x[i], y[i]);
    }
    return apply_order(op, x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0));
  }
  if (a.is_set() && b.is_set()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    switch (op) {
      case CmpOp::kLt: return x.size() < y.size() && is_subset(x, y);
      case CmpOp::kLe: return is_subset(x, y);
      case CmpOp::kGt: return x.size() > y.size() && is_subset(y, x);
      default: return is_subset(y, x);
    }
  }
  raise("TypeError", "'" + std::string(op_text) + "' not supported between instances of " +
                         quoted_type(a) + " and " + quoted_type(b));
}

bool identical(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kList:
    case K::kSet:
      return &a.as_list() == &b.as_list();
    case K::kDict:
      return &a.as_dict() == &b.as_dict();
    case K::kRegex:
      return &a.as_regex() == &b.as_regex();
    case K::kMatcher:
      return &a.as_matcher() == &b.as_matcher();
    case K::kEvent:
      return &a.as_event() == &b.as_event();
    default:  // None, bools, numbers, strings and refs: by value
      return a == b;
  }
}

int64_t slice_bound(const Value& v) {
  if (!is_intlike(v)) {
    raise("TypeError", "slice indices must be integers or None or have an __index__ method");
  }
  return to_int(v);
}

}  // namespace

namespace internal {

void check_hashable(const Value& v) {
  if (v.is_list() || v.is_dict() || v.is_set() || v.kind() == Value::Kind::kEvent) {
    raise("TypeError", "unhashable type: " + quoted_type(v));
  }
}

bool py_contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kStr:
      if (!item.is_str()) {
        raise("TypeError", "'in <string>' requires string as left operand, not " +
                               std::string(item.type_name()));
      }
      return container.as_str().find(item.as_str()) != std::string::npos;
    case Value::Kind::kList:
      return list_has(container.as_list(), item);
    case Value::Kind::kSet:
      check_hashable(item);
      return list_has(container.as_list(), item);
    case Value::Kind::kDict:
      check_hashable(item);
      return item.is_str() && container.as_dict().contains(item.as_str());
    default:
      raise("TypeError", "argument of type " + quoted_type(container) + " is not iterable");
  }
}

Value py_unary(std::string_view op, const Value& v) {
  if (op == "-") {
    if (is_intlike(v)) {
      const int64_t x = to_int(v);
      if (x == std::numeric_limits<int64_t>::min()) overflow();
      return Value(-x);
    }
    if (v.is_float()) return Value(-v.as_float());
  } else if (op == "+") {
    if (is_intlike(v)) return Value(to_int(v));
    if (v.is_float()) return v;
  } else if (op == "~") {
    if (is_intlike(v)) return Value(~to_int(v));
  } else {
    raise("SyntaxError", "unknown unary operator '" + std::string(op) + "'");
  }
  raise("TypeError", "bad operand type for unary " + std::string(op) + ": " + quoted_type(v));
}

// ----------------------------------------------------------- subscripts
const std::string& dict_key(const Value& k) {
  if (!k.is_str()) {
    check_hashable(k);
    raise("KeyError", colang::to_python_repr(k));
  }
  return k.as_str();
}

Value py_index(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::kList: {
      if (!is_intlike(key)) {
        raise("TypeError", "list indices must be integers or slices, not " + std::string(key.type_name()));
      }
      const List& l = obj.as_list();
      const int64_t i = normalise_index(to_int(key), l.size());
      if (i < 0 || i >= static_cast<int64_t>(l.size())) raise("IndexError", "list index out of range");
      return l[static_cast<size_t>(i)];
    }
    case Value::Kind::kStr: {
      if (!is_intlike(key)) {
        raise("TypeError", "string indices must be integers, not " + quoted_type(key));
      }
      const std::string& s = obj.as_str();
      if (is_ascii(s)) {
        const int64_t i = normalise_index(to_int(key), s.size());
        if (i < 0 || i >= static_cast<int64_t>(s.size())) raise("IndexError", "string index out of range");
        return Value(std::string(1, s[static_cast<size_t>(i)]));
      }
      const std::vector<size_t> off = utf8_offsets(s);
      const size_t n = off.size() - 1;
      const int64_t i = normalise_index(to_int(key), n);
      if (i < 0 || i >= static_cast<int64_t>(n)) raise("IndexError", "string index out of range");
      const auto k = static_cast<size_t>(i);
      return Value(s.substr(off[k], off[k + 1] - off[k]));
    }
    case Value::Kind::kDict: {
      const std::string& k = dict_key(key);
      const Value* v = obj.as_dict().find(k);
      if (v == nullptr) raise("KeyError", colang::to_python_repr(key));
      return *v;
    }
    default:
      raise("TypeError", quoted_type(obj) + " object is not subscriptable");
  }
}

Value py_slice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (!obj.is_list() && !obj.is_str()) {
    raise("TypeError", quoted_type(obj) + " object is not subscriptable");
  }
  int64_t step = step_v.is_none() ? 1 : slice_bound(step_v);
  if (step == 0) raise("ValueError", "slice step cannot be zero");
  if (step == std::numeric_limits<int64_t>::min()) step = -std::numeric_limits<int64_t>::max();

  const std::string* s = obj.is_str() ? &obj.as_str() : nullptr;
  const bool ascii = s != nullptr && is_ascii(*s);
  std::vector<size_t> off;
  if (s != nullptr && !ascii) off = utf8_offsets(*s);
  const auto n = static_cast<int64_t>(s == nullptr ? obj.as_list().size()
                                                   : (ascii ? s->size() : off.size() - 1));

  // Python's slice index adjustment.
  const int64_t lower = step < 0 ? -1 : 0;
  const int64_t upper = step < 0 ? n - 1 : n;
  auto adjust = [&](const Value& v, int64_t dflt) {
    if (v.is_none()) return dflt;
    int64_t i = slice_bound(v);
    if (i < 0) {
      i = (i < std::numeric_limits<int64_t>::min() + n) ? lower : i + n;
      if (i < lower) i = lower;
    } else if (i > upper) {
      i = upper;
    }
    return i;
  };
  const int64_t start = adjust(start_v, step < 0 ? upper : lower);
  const int64_t stop = adjust(stop_v, step < 0 ? lower : upper);
  int64_t count = 0;
  if (step > 0 && start < stop) count = (stop - start - 1) / step + 1;
  if (step < 0 && start > stop) count = (start - stop - 1) / (-step) + 1;

  if (s == nullptr) {
    const List& l = obj.as_list();
    if (step == 1) return Value(List(l.begin() + start, l.begin() + start + count));
    List out;
    out.reserve(static_cast<size_t>(count));
    for (int64_t k = 0; k < count; ++k) out.push_back(l[static_cast<size_t>(start + k * step)]);
    return Value(std::move(out));
  }
  if (ascii) {
    if (step == 1) return Value(s->substr(static_cast<size_t>(start), static_cast<size_t>(count)));
    std::string out;
    out.reserve(static_cast<size_t>(count));
    for (int64_t k = 0; k < count; ++k) out.push_back((*s)[static_cast<size_t>(start + k * step)]);
    return Value(std::move(out));
  }
  if (step == 1) {
    if (count == 0) return Value(std::string());
    const size_t b = off[static_cast<size_t>(start)];
    const size_t e = off[static_cast<size_t>(start + count)];
    return Value(s->substr(b, e - b));
  }
  std::string out;
  for (int64_t k = 0; k < count; ++k) {
    const auto i = static_cast<size_t>(start + k * step);
    out.append(*s, off[i], off[i + 1] - off[i]);
  }
  return Value(std::move(out));
}

}  // namespace internal

namespace py {

Value binary(std::string_view op, const Value& a, const Value& b) {
  const BinOp bop = parse_binop(op);
  if (bop == BinOp::kUnknown) raise("SyntaxError", "unknown operator '" + std::string(op) + "'");
  if (bop == BinOp::kMatMul) unsupported(op, a, b);
  if (a.is_number() && b.is_number()) {
    if (is_intlike(a) && is_intlike(b)) return int_arith(bop, op, a, b);
    return float_arith(bop, op, a, b);
  }
  return sequence_binary(bop, op, a, b);
}

bool compare(std::string_view op, const Value& a, const Value& b) {
  const CmpOp cop = parse_cmpop(op);
  switch (cop) {
    case CmpOp::kEq: return a == b;
    case CmpOp::kNe: return !(a == b);
    case CmpOp::kIn: return internal::py_contains(b, a);
    case CmpOp::kNotIn: return !internal::py_contains(b, a);
    case CmpOp::kIs: return identical(a, b);
    case CmpOp::kIsNot: return !identical(a, b);
    case CmpOp::kUnknown:
      raise("SyntaxError", "unknown comparison operator '" + std::string(op) + "'");
    default:
      return ordered(cop, op, a, b);
  }
}

bool matcher_accepts(const colang::Matcher& m, const Value& v) {
  // As the reference: the value must be an instance of the operand's type
  // (an int operand accepts ints and bools, a float operand only floats).
  const Value* operand = m.operand.get();
  bool same_type = false;
  if (operand != nullptr) {
    if (operand->is_int()) {
      same_type = is_intlike(v);
    } else if (operand->is_float()) {
      same_type = v.is_float();
    } else if (operand->is_bool()) {
      same_type = v.is_bool();
    }
  }
  if (!same_type) {
    raise("TypeError", "Comparing variables of different types is not supported! (" +
                           quoted_type(v) + " against " +
                           (operand ? quoted_type(*operand) : std::string("'NoneType'")) + ")");
  }
  const int c = colang::compare_numbers(v, *operand);
  using Op = colang::Matcher::Op;
  switch (m.op) {
    case Op::kLess: return c != 2 && c < 0;
    case Op::kLessEqual: return c != 2 && c <= 0;
    case Op::kGreater: return c != 2 && c > 0;
    case Op::kGreaterEqual: return c != 2 && c >= 0;
    case Op::kNotEqual: return c != 0;
  }
  return false;
}

bool regex_search(const colang::Regex& re, std::string_view text) {
  if (!re.re) return false;
  return RE2::PartialMatch(text, *re.re);
}

}  // namespace py

}  // namespace rg::runtime
