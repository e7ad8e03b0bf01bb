#include "ir/opset_changes.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "ir/node_attrs.h"
#include "ir/shape_infer_ops.h"
#include "ir/status.h"

namespace edge {

namespace {

struct RawRow {
  const char* op;
  int version;
  const char* lowering;
  const char* inputs;
  const char* outputs;
  const char* attributes;
  OpInfer infer;
};

const RawRow kRows[] = {
#define EDGE_OPSET_CHANGE(op, version, lowering, inputs, outputs, attributes, infer) \
  RawRow{#op, version, lowering, inputs, outputs, attributes, OpInfer::k##infer},
#include "ir/opset_changes.def"
#undef EDGE_OPSET_CHANGE
};

[[noreturn]] void bad_row(const RawRow& r, const std::string& why) {
  fail_internal(std::string("opset_changes.def: ") + r.op + "-" + std::to_string(r.version) + ": " + why);
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

int parse_count(const RawRow& r, const std::string& s) {
  if (s == "*") return -1;
  try {
    size_t used = 0;
    const int v = std::stoi(s, &used);
    if (used == s.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  bad_row(r, "bad count '" + s + "'");
}

void parse_range(const RawRow& r, const std::string& s, int* lo, int* hi) {
  const size_t dash = s.find('-');
  if (dash == std::string::npos) bad_row(r, "bad range '" + s + "'");
  *lo = parse_count(r, s.substr(0, dash));
  *hi = parse_count(r, s.substr(dash + 1));
  if (*lo < 0 || (*hi >= 0 && *hi < *lo)) bad_row(r, "bad range '" + s + "'");
}

onnx::AttributeProto::AttributeType parse_attr_type(const RawRow& r, const std::string& s) {
  static const std::map<std::string, onnx::AttributeProto::AttributeType> kTypes = {
      {"int", onnx::AttributeProto::INT},       {"ints", onnx::AttributeProto::INTS},
      {"float", onnx::AttributeProto::FLOAT},   {"floats", onnx::AttributeProto::FLOATS},
      {"string", onnx::AttributeProto::STRING}, {"strings", onnx::AttributeProto::STRINGS},
      {"tensor", onnx::AttributeProto::TENSOR}, {"graph", onnx::AttributeProto::GRAPH}};
  auto it = kTypes.find(s);
  if (it == kTypes.end()) bad_row(r, "unknown attribute type '" + s + "'");
  return it->second;
}

LowerRule parse_rule(const RawRow& r, const std::string& w) {
  const size_t colon = w.find(':');
  if (colon == std::string::npos) bad_row(r, "bad lowering rule '" + w + "'");
  const std::string kind = w.substr(0, colon), arg = w.substr(colon + 1);
  const size_t eq = arg.find('=');
  LowerRule rule;
  if (kind == "drop") {
    rule.kind = eq == std::string::npos ? LowerRule::kDrop : LowerRule::kDropIfDefault;
    rule.attr = arg.substr(0, eq);
    if (eq != std::string::npos) rule.value = arg.substr(eq + 1);
  } else if (kind == "absent") {
    rule.kind = LowerRule::kAbsent;
    rule.attr = arg;
  } else if (kind == "no-input") {
    rule.kind = LowerRule::kNoInput;
    rule.input = parse_count(r, arg);
  } else if (kind == "input-to-attr" && eq != std::string::npos) {
    rule.kind = LowerRule::kInputToAttr;
    rule.input = parse_count(r, arg.substr(0, eq));
    rule.attr = arg.substr(eq + 1);
  } else {
    bad_row(r, "bad lowering rule '" + w + "'");
  }
  const bool needs_input = rule.kind == LowerRule::kNoInput || rule.kind == LowerRule::kInputToAttr;
  if ((rule.kind != LowerRule::kNoInput && rule.attr.empty()) || (needs_input && rule.input < 0)) {
    bad_row(r, "bad lowering rule '" + w + "'");
  }
  return rule;
}

OpsetChange parse_row(const RawRow& r) {
  OpsetChange c;
  c.op = r.op;
  c.version = r.version;
  c.infer = r.infer;
  const std::string lowering = r.lowering;
  c.same = lowering == "same";
  c.never = lowering.empty();
  if (!c.same && !c.never) {
    for (const auto& w : words(lowering)) c.rules.push_back(parse_rule(r, w));
  }
  c.has_signature = *r.inputs != '\0';
  if (c.has_signature) {
    parse_range(r, r.inputs, &c.min_inputs, &c.max_inputs);
    parse_range(r, r.outputs, &c.min_outputs, &c.max_outputs);
    for (const auto& w : words(r.attributes)) {
      const size_t colon = w.find(':');
      if (colon == std::string::npos || colon == 0) bad_row(r, "bad attribute '" + w + "'");
      AttrSpec a;
      a.name = w.substr(0, colon);
      std::string type = w.substr(colon + 1);
      a.required = !type.empty() && type.back() == '!';
      if (a.required) type.pop_back();
      a.type = parse_attr_type(r, type);
      c.attrs.push_back(a);
    }
  } else if (*r.outputs != '\0' || *r.attributes != '\0') {
    bad_row(r, "a row without inputs must leave outputs and attributes empty");
  }
  if (!c.same && !c.has_signature) bad_row(r, "a row whose nodes may stay unlowered needs a signature");
  return c;
}

// True when attribute `a` holds `value` (every element, for lists).
bool attr_equals(const onnx::AttributeProto& a, const std::string& value) {
  try {
    switch (a.type()) {
      case onnx::AttributeProto::INT:
        return a.i() == std::stoll(value);
      case onnx::AttributeProto::FLOAT:
        return a.f() == std::stof(value);
      case onnx::AttributeProto::STRING:
        return a.s() == value;
      case onnx::AttributeProto::INTS:
        return std::all_of(a.ints().begin(), a.ints().end(), [&](int64_t v) { return v == std::stoll(value); });
      default:
        return false;
    }
  } catch (const std::exception&) {
    return false;
  }
}

bool erase_attr(onnx::NodeProto& n, const std::string& name) {
  auto* attrs = n.mutable_attribute();
  for (int i = 0; i < attrs->size(); ++i) {
    if (attrs->Get(i).name() == name) {
      attrs->DeleteSubrange(i, 1);
      return true;
    }
  }
  return false;
}

// Drops input k and everything after it (the rules only touch trailing optional inputs).
bool truncate_inputs(onnx::NodeProto& n, int k) {
  const bool any = n.input_size() > k;
  while (n.input_size() > k) n.mutable_input()->RemoveLast();
  return any;
}

bool has_input(const onnx::NodeProto& n, int k) { return k < n.input_size() && !n.input(k).empty(); }

}  // namespace

std::string attr_type_name(onnx::AttributeProto::AttributeType t) {
  switch (t) {
    case onnx::AttributeProto::INT:
      return "int";
    case onnx::AttributeProto::INTS:
      return "ints";
    case onnx::AttributeProto::FLOAT:
      return "float";
    case onnx::AttributeProto::FLOATS:
      return "floats";
    case onnx::AttributeProto::STRING:
      return "string";
    case onnx::AttributeProto::STRINGS:
      return "strings";
    case onnx::AttributeProto::TENSOR:
      return "tensor";
    case onnx::AttributeProto::GRAPH:
      return "graph";
    case onnx::AttributeProto::GRAPHS:
      return "graphs";
    case onnx::AttributeProto::TENSORS:
      return "tensors";
    case onnx::AttributeProto::SPARSE_TENSOR:
      return "sparse_tensor";
    default:
      return "type " + std::to_string(static_cast<int>(t));
  }
}

const std::vector<OpsetChange>& all_opset_changes() {
  static const std::vector<OpsetChange> table = [] {
    std::vector<OpsetChange> rows;
    for (const auto& r : kRows) rows.push_back(parse_row(r));
    return rows;
  }();
  return table;
}

std::vector<const OpsetChange*> opset_changes(const std::string& op, int from, int to) {
  std::vector<const OpsetChange*> out;
  for (const auto& c : all_opset_changes()) {
    if (c.op == op && c.version > from && c.version <= to) out.push_back(&c);
  }
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->version > b->version; });
  return out;
}

const OpsetChange* op_signature_row(const std::string& op, int opset) {
  for (const auto* c : opset_changes(op, kOnnxLibraryOpset, opset)) {
    if (c->has_signature) return c;
  }
  return nullptr;
}

std::string lower_to_opset17(onnx::NodeProto& node, int opset, const ConstantLookup& constant) {
  const auto rows = opset_changes(node.op_type(), kOnnxLibraryOpset, opset);
  if (rows.empty()) return {};
  onnx::NodeProto work = node;
  const NodeAttrs attrs(work);
  bool changed = false;
  for (const auto* row : rows) {
    const std::string what = row->op + "-" + std::to_string(row->version);
    if (row->same) continue;
    if (row->never) return what + " has no opset-17 form";
    for (const auto& rule : row->rules) {
      const onnx::AttributeProto* a = rule.attr.empty() ? nullptr : attrs.find(rule.attr);
      switch (rule.kind) {
        case LowerRule::kDrop:
          break;
        case LowerRule::kDropIfDefault:
          if (a && !attr_equals(*a, rule.value)) return what + " with attribute " + rule.attr;
          break;
        case LowerRule::kAbsent:
          if (a) return what + " with attribute " + rule.attr;
          break;
        case LowerRule::kNoInput:
          if (has_input(work, rule.input)) return what + " with input " + std::to_string(rule.input);
          changed = truncate_inputs(work, rule.input) || changed;
          break;
        case LowerRule::kInputToAttr: {
          if (a) return what + " with attribute " + rule.attr;
          if (!has_input(work, rule.input)) {
            changed = truncate_inputs(work, rule.input) || changed;
            break;
          }
          const onnx::TensorProto* t = constant ? constant(work.input(rule.input)) : nullptr;
          std::vector<int64_t> values;
          if (!t || !constant_ints(*t, &values)) {
            return what + " with a non-constant input " + std::to_string(rule.input);
          }
          truncate_inputs(work, rule.input);
          auto* attr = work.add_attribute();
          attr->set_name(rule.attr);
          attr->set_type(onnx::AttributeProto::INTS);
          for (int64_t v : values) attr->add_ints(v);
          changed = true;
          break;
        }
      }
      if (rule.kind == LowerRule::kDrop || rule.kind == LowerRule::kDropIfDefault) {
        changed = erase_attr(work, rule.attr) || changed;
      }
    }
  }
  if (changed)
    node = std::move(work);  // untouched nodes keep their storage (pointers into
                             // them stay valid)
  return {};
}

void validate_signature(const onnx::NodeProto& node, int opset) {
  const OpsetChange* row = op_signature_row(node.op_type(), opset);
  if (!row) return;
  const std::string where = describe_node(node) + " (" + row->op + "-" + std::to_string(row->version) + ")";
  auto range = [](int lo, int hi) {
    if (hi < 0) return "at least " + std::to_string(lo);
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
  };
  int n_in = node.input_size();
  while (n_in > 0 && node.input(n_in - 1).empty()) --n_in;  // trailing omitted optional inputs
  if (n_in < row->min_inputs || (row->max_inputs >= 0 && n_in > row->max_inputs)) {
    fail(where + ": has " + std::to_string(n_in) + " inputs, expected " + range(row->min_inputs, row->max_inputs));
  }
  for (int i = 0; i < row->min_inputs; ++i) {
    if (node.input(i).empty()) fail(where + ": required input " + std::to_string(i) + " is missing");
  }
  const int n_out = node.output_size();
  if (n_out < row->min_outputs || (row->max_outputs >= 0 && n_out > row->max_outputs)) {
    fail(where + ": has " + std::to_string(n_out) + " outputs, expected " + range(row->min_outputs, row->max_outputs));
  }
  for (const auto& a : node.attribute()) {
    auto spec =
        std::find_if(row->attrs.begin(), row->attrs.end(), [&](const AttrSpec& s) { return s.name == a.name(); });
    if (spec == row->attrs.end()) fail(where + ": unknown attribute '" + a.name() + "'");
    if (a.type() != spec->type) {
      fail(where + ": attribute '" + a.name() + "' must be " + attr_type_name(spec->type) + ", got " +
           attr_type_name(a.type()));
    }
  }
  for (const auto& s : row->attrs) {
    if (s.required && !NodeAttrs(node).has(s.name)) fail(where + ": missing required attribute '" + s.name + "'");
  }
}

}  // namespace edge
