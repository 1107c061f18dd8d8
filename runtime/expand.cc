// Expansion of compound statements into basic elements (spec B.5).
//
// The shapes follow the reference so that heads race, merge and fail the same
// way (the conformance corpus observes their event order); the code is ours.
#include "runtime/expand.h"

#include <utility>

namespace rg::runtime {
namespace {

using colang::Arg;
using colang::Expr;
using colang::ExprKind;
using colang::ExprPtr;
using colang::SourceLoc;
using colang::Spec;
using colang::SpecExpr;
using colang::SpecKind;
using colang::SpecOpKind;
using colang::Stmt;
using colang::StmtKind;
using colang::Value;

// ---------------------------------------------------------------- expression builders
ExprPtr make_expr(Expr e) { return std::make_shared<const Expr>(std::move(e)); }

ExprPtr literal(Value v, std::string source) {
  Expr e;
  e.kind = ExprKind::kLiteral;
  e.literal = std::move(v);
  e.source = std::move(source);
  return make_expr(std::move(e));
}

ExprPtr string_literal(const std::string& text) {
  Expr e;
  e.kind = ExprKind::kString;
  e.parts.push_back({text, nullptr});
  e.source = "'" + text + "'";
  return make_expr(std::move(e));
}

ExprPtr var(const std::string& name) {
  Expr e;
  e.kind = ExprKind::kVar;
  e.name = name;
  e.source = "$" + name;
  return make_expr(std::move(e));
}

ExprPtr attr(ExprPtr obj, const std::string& name) {
  Expr e;
  e.kind = ExprKind::kAttr;
  e.source = obj->source + "." + name;
  e.operand = std::move(obj);
  e.name = name;
  return make_expr(std::move(e));
}

ExprPtr negate(ExprPtr cond) {
  Expr e;
  e.kind = ExprKind::kNot;
  e.source = "not (" + cond->source + ")";
  e.loc = cond->loc;
  e.operand = std::move(cond);
  return make_expr(std::move(e));
}

// '(flow id){uid()}': the instance uid of a started flow.
ExprPtr instance_uid_expr(const std::string& flow_id) {
  Expr call;
  call.kind = ExprKind::kCall;
  call.name = "uid";
  call.source = "uid()";
  Expr e;
  e.kind = ExprKind::kString;
  e.parts.push_back({"(" + flow_id + ")", nullptr});
  e.parts.push_back({"uid()", make_expr(std::move(call))});
  e.source = "'(" + flow_id + "){uid()}'";
  return make_expr(std::move(e));
}

Spec event_spec(const std::string& name, std::vector<Arg> args, SourceLoc loc) {
  Spec s;
  s.kind = SpecKind::kEvent;
  s.name = name;
  s.args = std::move(args);
  s.loc = loc;
  return s;
}

Spec member_spec(const std::string& ref, const std::string& member, SourceLoc loc) {
  Spec s;
  s.kind = SpecKind::kReference;
  s.name = ref;
  s.members.push_back({member, {}, loc});
  s.loc = loc;
  return s;
}

// Disjunctive normal form of a spec group: an or of and-groups (`and` binds
// tighter than `or`).
using AndGroup = std::vector<Spec>;
std::vector<AndGroup> to_dnf(const SpecExpr& e) {
  switch (e.type) {
    case SpecExpr::Type::kSpec:
      return {{e.spec}};
    case SpecExpr::Type::kOr: {
      std::vector<AndGroup> out;
      for (const auto& c : e.children) {
        auto sub = to_dnf(c);
        out.insert(out.end(), sub.begin(), sub.end());
      }
      return out;
    }
    case SpecExpr::Type::kAnd: {
      std::vector<AndGroup> out = {{}};
      for (const auto& c : e.children) {
        auto sub = to_dnf(c);
        std::vector<AndGroup> next;
        for (const auto& left : out)
          for (const auto& right : sub) {
            AndGroup g = left;
            g.insert(g.end(), right.begin(), right.end());
            next.push_back(std::move(g));
          }
        out = std::move(next);
      }
      return out;
    }
  }
  return {};
}

class Expander {
 public:
  explicit Expander(FlowConfig& config) : config_(config) {}

  void body(const std::vector<Stmt>& stmts) {
    for (const auto& s : stmts) statement(s);
  }

 private:
  FlowConfig& config_;
  int counter_ = 0;
  struct Loop {
    std::string begin, end;
  };
  std::vector<Loop> loops_;

  std::string fresh(std::string_view what) {
    return "_" + std::string(what) + "_" + std::to_string(counter_++);
  }

  Element& emit(ElementKind kind, SourceLoc loc) {
    config_.elements.emplace_back();
    Element& el = config_.elements.back();
    el.kind = kind;
    el.loc = loc;
    return el;
  }
  void label(const std::string& name, SourceLoc loc) { emit(ElementKind::kLabel, loc).name = name; }
  void jump(const std::string& target, ExprPtr cond, SourceLoc loc) {
    Element& el = emit(ElementKind::kGoto, loc);
    el.name = target;
    el.expr = std::move(cond);
  }
  void assign(const std::string& name, ExprPtr expr, SourceLoc loc) {
    Element& el = emit(ElementKind::kAssignment, loc);
    el.name = name;
    el.expr = std::move(expr);
  }
  void match(Spec spec, SourceLoc loc, bool internal = false) {
    Element& el = emit(ElementKind::kMatch, loc);
    el.spec = std::move(spec);
    el.internal_match = internal;
  }
  void send(Spec spec, SourceLoc loc) { emit(ElementKind::kSend, loc).spec = std::move(spec); }
  void catch_push(const std::string& target, SourceLoc loc) {
    emit(ElementKind::kCatchPatternFailure, loc).name = target;
  }
  void catch_pop(SourceLoc loc) { emit(ElementKind::kCatchPatternFailure, loc); }
  void fork(const std::string& fork_id, std::vector<std::string> labels, SourceLoc loc) {
    Element& el = emit(ElementKind::kForkHead, loc);
    el.fork_id = fork_id;
    el.labels = std::move(labels);
  }
  void merge(const std::string& fork_id, SourceLoc loc) {
    emit(ElementKind::kMergeHeads, loc).fork_id = fork_id;
  }
  void wait_for(int n, SourceLoc loc) { emit(ElementKind::kWaitForHeads, loc).count = n; }

  // ------------------------------------------------------------ statements
  void statement(const Stmt& s) {
    switch (s.kind) {
      case StmtKind::kSpecOp:
        spec_op(s.op, s.spec, s.return_var, s.loc);
        return;
      case StmtKind::kAssignment:
        assignment(s);
        return;
      case StmtKind::kIf:
        if_stmt(s);
        return;
      case StmtKind::kWhile:
        while_stmt(s);
        return;
      case StmtKind::kWhen:
        when_stmt(s);
        return;
      case StmtKind::kReturn:
        emit(ElementKind::kReturn, s.loc).expr = s.expr;
        return;
      case StmtKind::kAbort:
        emit(ElementKind::kAbort, s.loc);
        return;
      case StmtKind::kBreak:
      case StmtKind::kContinue: {
        if (loops_.empty())
          throw ExpandError(std::string(s.kind == StmtKind::kBreak ? "'break'" : "'continue'") +
                                " outside of a 'while' loop",
                            s.loc);
        bool is_break = s.kind == StmtKind::kBreak;
        emit(is_break ? ElementKind::kBreak : ElementKind::kContinue, s.loc).name =
            is_break ? loops_.back().end : loops_.back().begin;
        return;
      }
      case StmtKind::kPass:
      case StmtKind::kDocString:
        return;
      case StmtKind::kLabel:
        label(s.name, s.loc);
        return;
      case StmtKind::kGlobal:
        emit(ElementKind::kGlobal, s.loc).name = s.name;
        return;
      case StmtKind::kLog:
        emit(ElementKind::kLog, s.loc).expr = s.expr;
        return;
      case StmtKind::kPrint:
        emit(ElementKind::kPrint, s.loc).expr = s.expr;
        return;
      case StmtKind::kPriority:
        emit(ElementKind::kPriority, s.loc).expr = s.expr;
        return;
      case StmtKind::kGenerateFlow:
        generate_flow(s.loc);
        return;
    }
  }

  void assignment(const Stmt& s) {
    if (s.expr && s.expr->kind == ExprKind::kString && s.expr->nld) {
      // `$v = ..."instructions"`: the value is generated by the host.
      Spec action;
      action.kind = SpecKind::kAction;
      action.name = "GenerateValueAction";
      action.args = {{"var_name", string_literal(s.name)}, {"instructions", s.expr}};
      action.loc = s.loc;
      SpecExpr e;
      e.spec = std::move(action);
      spec_op(SpecOpKind::kAwait, e, s.name, s.loc);
      return;
    }
    ExprPtr value = s.expr;
    if (s.assign_op == "+=" || s.assign_op == "-=") {
      // A true increment (the reference assigns the right-hand side; see
      // docs/colang-divergences.md).
      Expr e;
      e.kind = ExprKind::kBinary;
      e.op = s.assign_op == "+=" ? "+" : "-";
      e.lhs = var(s.name);
      e.rhs = s.expr;
      e.loc = s.loc;
      e.source = "$" + s.name + " " + e.op + " " + s.expr->source;
      value = make_expr(std::move(e));
    }
    assign(s.name, std::move(value), s.loc);
  }

  void if_stmt(const Stmt& s) {
    std::string end = fresh("if_end");
    for (size_t i = 0; i < s.conditions.size(); ++i) {
      std::string next = fresh("if_next");
      jump(next, negate(s.conditions[i]), s.loc);
      body(s.bodies[i]);
      jump(end, nullptr, s.loc);
      label(next, s.loc);
    }
    if (s.has_else) body(s.else_body);
    label(end, s.loc);
  }

  void while_stmt(const Stmt& s) {
    Loop loop{fresh("while_begin"), fresh("while_end")};
    label(loop.begin, s.loc);
    jump(loop.end, negate(s.conditions[0]), s.loc);
    loops_.push_back(loop);
    body(s.bodies[0]);
    loops_.pop_back();
    jump(loop.begin, nullptr, s.loc);
    label(loop.end, s.loc);
  }

  // when c1 B1 or when c2 B2 ... else E (B.5): every case's flows and actions
  // start at once inside one scope; the first case that succeeds ends the
  // scope (the others are stopped); else runs when all cases failed.
  void when_stmt(const Stmt& s) {
    SourceLoc loc = s.loc;
    std::string scope = fresh("when_scope");
    std::string cases_fork = fresh("when_fork");
    std::string else_label = fresh("when_else");
    std::string end_label = fresh("when_end");
    std::vector<std::string> case_labels;
    for (size_t i = 0; i < s.cases.size(); ++i) case_labels.push_back(fresh("when_case"));

    emit(ElementKind::kBeginScope, loc).name = scope;
    fork(cases_fork, case_labels, loc);
    for (size_t i = 0; i < s.cases.size(); ++i) {
      std::string ok = fresh("when_case_ok");
      std::string fail = fresh("when_case_fail");
      label(case_labels[i], loc);
      catch_push(fail, loc);
      auto groups = to_dnf(s.cases[i]);
      std::vector<std::string> group_labels;
      for (size_t g = 0; g < groups.size(); ++g) group_labels.push_back(fresh("when_group"));
      std::string groups_fork = fresh("when_group_fork");
      fork(groups_fork, group_labels, loc);
      for (size_t g = 0; g < groups.size(); ++g) {
        label(group_labels[g], loc);
        start_and_match(groups[g], "", loc);
        jump(ok, nullptr, loc);
      }
      label(ok, loc);
      merge(cases_fork, loc);
      catch_pop(loc);
      emit(ElementKind::kEndScope, loc).name = scope;
      body(s.bodies[i]);
      jump(end_label, nullptr, loc);

      label(fail, loc);
      wait_for(static_cast<int>(groups.size()), loc);
      catch_pop(loc);
      jump(else_label, nullptr, loc);
    }
    label(else_label, loc);
    wait_for(static_cast<int>(s.cases.size()), loc);
    emit(ElementKind::kEndScope, loc).name = scope;
    if (s.has_else)
      body(s.else_body);
    else
      emit(ElementKind::kAbort, loc);
    label(end_label, loc);
  }

  // An indented `...` line: the host generates the rest of the flow.
  void generate_flow(SourceLoc loc) {
    Spec gen;
    gen.kind = SpecKind::kAction;
    gen.name = "GenerateFlowAction";
    gen.args = {{"flow_id", attr(var("self"), "flow_id")}};
    gen.loc = loc;
    SpecExpr e;
    e.spec = gen;
    spec_op(SpecOpKind::kAwait, e, "flow_info", loc);

    Expr index;
    index.kind = ExprKind::kIndex;
    index.operand = var("flow_info");
    index.items.push_back(string_literal("body"));
    index.source = "$flow_info['body']";
    Spec add;
    add.kind = SpecKind::kAction;
    add.name = "AddFlowsAction";
    add.args = {{"config", make_expr(std::move(index))}};
    add.loc = loc;
    e.spec = add;
    spec_op(SpecOpKind::kAwait, e, "", loc);

    ExprPtr flow_name = attr(var("flow_info"), "name");
    std::string uid_var = fresh("gen_uid");
    Expr call;
    call.kind = ExprKind::kCall;
    call.name = "uid";
    call.source = "uid()";
    assign(uid_var, make_expr(std::move(call)), loc);
    send(event_spec("StartFlow",
                    {{"flow_id", flow_name},
                     {"flow_instance_uid", var(uid_var)},
                     {"context", attr(var("self"), "context")}},
                    loc),
         loc);
    match(event_spec("FlowStarted", {{"flow_instance_uid", var(uid_var)}}, loc), loc, true);
    match(event_spec("FlowFinished", {{"flow_instance_uid", var(uid_var)}}, loc), loc);
  }

  // ------------------------------------------------------------ spec operations
  void spec_op(SpecOpKind op, const SpecExpr& e, const std::string& return_var, SourceLoc loc) {
    switch (op) {
      case SpecOpKind::kMatch:
        match_group(e, return_var, loc);
        return;
      case SpecOpKind::kSend:
      case SpecOpKind::kStart:
        start_or_send_group(op, e, loc);
        return;
      case SpecOpKind::kAwait:
        await_group(e, return_var, loc);
        return;
      case SpecOpKind::kActivate:
      case SpecOpKind::kDeactivate: {
        // `activate a and b` activates both; there is no meaning for `or`.
        bool activate = op == SpecOpKind::kActivate;
        auto groups = to_dnf(e);
        if (groups.size() > 1)
          throw ExpandError(std::string(activate ? "'activate'" : "'deactivate'") +
                                " does not support 'or' groups",
                            loc);
        for (const auto& spec : groups[0]) activate ? activate_one(spec) : deactivate_one(spec);
        return;
      }
      case SpecOpKind::kStop:
        throw ExpandError(
            "'stop' is reserved but not implemented; use 'send $ref.Stop()' for an action or "
            "'send StopFlow(flow_id=...)' for a flow",
            loc);
    }
  }

  // `$v = match E` / `$v = await F`: capture the event, read its return value.
  // `$_e.arguments["return_value"]`: a subscript, so a flow that ended
  // without `return` makes the caller fail (KeyError), as in the reference (D.13).
  void bind_return(const std::string& return_var, const std::string& event_var, SourceLoc loc) {
    Expr index;
    index.kind = ExprKind::kIndex;
    index.operand = attr(var(event_var), "arguments");
    index.items.push_back(string_literal("return_value"));
    index.source = "$" + event_var + ".arguments['return_value']";
    index.loc = loc;
    assign(return_var, make_expr(std::move(index)), loc);
  }

  void match_one(Spec spec, const std::string& return_var) {
    SourceLoc loc = spec.loc;
    if (spec.kind == SpecKind::kFlow && spec.members.empty())
      throw ExpandError("'match' of a flow needs an event member, e.g. 'match (" + spec.name +
                            ").Finished()'",
                        loc);
    if (spec.kind == SpecKind::kAction && spec.members.empty())
      throw ExpandError("'match' of an action needs an event member, e.g. 'match " + spec.name +
                            ".Finished()'",
                        loc);
    std::string event_var;
    if (!return_var.empty()) {
      if (spec.capture.empty()) spec.capture = fresh("event");
      event_var = spec.capture;
    }
    match(std::move(spec), loc);
    if (!return_var.empty()) bind_return(return_var, event_var, loc);
  }

  void match_group(const SpecExpr& e, const std::string& return_var, SourceLoc loc) {
    auto groups = to_dnf(e);
    if (groups.size() == 1 && groups[0].size() == 1) {
      match_one(groups[0][0], return_var);
      return;
    }
    if (!return_var.empty())
      throw ExpandError("a return value cannot be taken from an and/or group", loc);
    std::string fork_id = fresh("match_fork");
    std::string fail = fresh("match_fail");
    std::string end = fresh("match_end");
    std::vector<std::string> labels;
    if (groups.size() == 1) {
      // match A and B: every element must match; any failure fails.
      const auto& specs = groups[0];
      for (size_t i = 0; i < specs.size(); ++i) labels.push_back(fresh("match_and"));
      catch_push(fail, loc);
      fork(fork_id, labels, loc);
      for (size_t i = 0; i < specs.size(); ++i) {
        label(labels[i], loc);
        match_one(specs[i], "");
        jump(end, nullptr, loc);
      }
      label(fail, loc);
      merge(fork_id, loc);
      catch_pop(loc);
      emit(ElementKind::kAbort, loc);
      label(end, loc);
      wait_for(static_cast<int>(specs.size()), loc);
      merge(fork_id, loc);
      catch_pop(loc);
      return;
    }
    // match A or B: the first and-group that matches wins; all must fail to fail.
    for (size_t i = 0; i < groups.size(); ++i) labels.push_back(fresh("match_or"));
    catch_push(fail, loc);
    fork(fork_id, labels, loc);
    for (size_t i = 0; i < groups.size(); ++i) {
      label(labels[i], loc);
      SpecExpr and_group;
      and_group.type = groups[i].size() == 1 ? SpecExpr::Type::kSpec : SpecExpr::Type::kAnd;
      if (groups[i].size() == 1) {
        and_group.spec = groups[i][0];
      } else {
        for (const auto& spec : groups[i]) {
          SpecExpr child;
          child.spec = spec;
          and_group.children.push_back(std::move(child));
        }
      }
      match_group(and_group, "", loc);
      jump(end, nullptr, loc);
    }
    label(fail, loc);
    wait_for(static_cast<int>(groups.size()), loc);
    merge(fork_id, loc);
    catch_pop(loc);
    emit(ElementKind::kAbort, loc);
    label(end, loc);
    merge(fork_id, loc);
    catch_pop(loc);
  }

  // start/send of one spec. Returns the reference variable of a started flow
  // or action (empty for sent events).
  std::string start_one(Spec spec, bool is_send) {
    SourceLoc loc = spec.loc;
    if (is_send) {
      if ((spec.kind == SpecKind::kFlow || spec.kind == SpecKind::kAction) && spec.members.empty())
        throw ExpandError("'send' of a flow or an action needs a member, e.g. '.Start()'", loc);
      send(std::move(spec), loc);
      return "";
    }
    switch (spec.kind) {
      case SpecKind::kFlow:
        return start_flow(std::move(spec), false);
      case SpecKind::kAction: {
        if (!spec.members.empty())
          throw ExpandError("'start' of an action takes no member: 'start " + spec.name + "(...)'",
                            loc);
        std::string ref = spec.capture.empty() ? fresh("action") : spec.capture;
        spec.capture.clear();
        Element& el = emit(ElementKind::kNewActionInstance, loc);
        el.spec = std::move(spec);
        el.name = ref;
        send(member_spec(ref, "Start", loc), loc);
        return ref;
      }
      case SpecKind::kEvent:
        throw ExpandError("'start' of an event ('" + spec.name + "'); use 'send'", loc);
      case SpecKind::kReference:
        throw ExpandError("'start' of a reference is not supported; use 'send $ref.Start()'", loc);
    }
    return "";
  }

  // start F args [as $r]: send StartFlow with a fresh instance uid, wait for
  // its FlowStarted (the child runs up to its first real wait), keep the ref.
  std::string start_flow(Spec spec, bool activated) {
    SourceLoc loc = spec.loc;
    if (!spec.members.empty())
      throw ExpandError("'start' of a flow takes no member", loc);
    std::string uid_var = fresh("instance_uid");
    assign(uid_var, instance_uid_expr(spec.name), loc);
    std::vector<Arg> args = {{"flow_id", string_literal(spec.name)},
                             {"flow_instance_uid", var(uid_var)}};
    if (activated) args.push_back({"activated", literal(Value(true), "True")});
    for (const auto& a : spec.args) args.push_back(a);
    send(event_spec("StartFlow", std::move(args), loc), loc);
    std::string event_var = fresh("started");
    Spec started = event_spec(
        "FlowStarted", {{"flow_id", string_literal(spec.name)}, {"flow_instance_uid", var(uid_var)}},
        loc);
    started.capture = event_var;
    match(std::move(started), loc, /*internal=*/true);
    if (activated) return "";
    std::string ref = spec.capture.empty() ? fresh("flow") : spec.capture;
    assign(ref, attr(var(event_var), "flow"), loc);
    return ref;
  }

  void activate_one(const Spec& spec) {
    if (spec.kind != SpecKind::kFlow)
      throw ExpandError("'activate' takes a flow, not '" + spec.name + "'", spec.loc);
    if (!spec.capture.empty())
      throw ExpandError("an activated flow cannot be captured with 'as'", spec.loc);
    start_flow(spec, /*activated=*/true);
  }

  void deactivate_one(const Spec& spec) {
    if (spec.kind != SpecKind::kFlow)
      throw ExpandError("'deactivate' takes a flow, not '" + spec.name + "'", spec.loc);
    std::vector<Arg> args = {{"flow_id", string_literal(spec.name)},
                             {"deactivate", literal(Value(true), "True")}};
    for (const auto& a : spec.args) args.push_back(a);
    send(event_spec("StopFlow", std::move(args), spec.loc), spec.loc);
  }

  // Runs `body(group_index)` in a race of heads: a fork per and-group; the
  // first to reach the end wins (merge); all failing fails the flow.
  template <typename Body>
  void race(size_t n, SourceLoc loc, Body&& body_fn) {
    std::string fork_id = fresh("race_fork");
    std::string fail = fresh("race_fail");
    std::string end = fresh("race_end");
    std::vector<std::string> labels;
    for (size_t i = 0; i < n; ++i) labels.push_back(fresh("race_branch"));
    catch_push(fail, loc);
    fork(fork_id, labels, loc);
    for (size_t i = 0; i < n; ++i) {
      label(labels[i], loc);
      body_fn(i);
      jump(end, nullptr, loc);
    }
    label(fail, loc);
    wait_for(static_cast<int>(n), loc);
    merge(fork_id, loc);
    catch_pop(loc);
    emit(ElementKind::kAbort, loc);
    label(end, loc);
    merge(fork_id, loc);
    catch_pop(loc);
  }

  void start_or_send_group(SpecOpKind op, const SpecExpr& e, SourceLoc loc) {
    bool is_send = op == SpecOpKind::kSend;
    auto groups = to_dnf(e);
    if (groups.size() == 1) {
      for (const auto& spec : groups[0]) start_one(spec, is_send);
      return;
    }
    race(groups.size(), loc, [&](size_t i) {
      for (const auto& spec : groups[i]) start_one(spec, is_send);
    });
  }

  // Starts the flows/actions of an and-group and waits for all of them (events
  // in the group are matched as they are).
  void start_and_match(const AndGroup& group, const std::string& return_var, SourceLoc loc) {
    SpecExpr waits;
    waits.type = group.size() == 1 ? SpecExpr::Type::kSpec : SpecExpr::Type::kAnd;
    std::vector<std::pair<std::string, std::string>> copies;  // user ref <- temporary
    for (const auto& spec : group) {
      Spec wait_spec;
      if (spec.kind == SpecKind::kFlow || spec.kind == SpecKind::kAction) {
        if (!spec.members.empty()) {
          wait_spec = spec;  // `await X.Finished()`-style: a plain match
        } else {
          // Start through a temporary ref; the user's `as $ref` is bound only
          // after the wait succeeds, so branches that reuse a name do not
          // overwrite each other's reference.
          Spec to_start = spec;
          to_start.capture = fresh("ref");
          std::string ref = start_one(to_start, false);
          if (!spec.capture.empty()) copies.emplace_back(spec.capture, ref);
          wait_spec = member_spec(ref, "Finished", spec.loc);
        }
      } else {
        wait_spec = spec;
      }
      if (group.size() == 1) {
        waits.spec = std::move(wait_spec);
      } else {
        SpecExpr child;
        child.spec = std::move(wait_spec);
        waits.children.push_back(std::move(child));
      }
    }
    match_group(waits, return_var, loc);
    for (const auto& [user, tmp] : copies) assign(user, var(tmp), loc);
  }

  void await_group(const SpecExpr& e, const std::string& return_var, SourceLoc loc) {
    auto groups = to_dnf(e);
    if (groups.size() == 1) {
      start_and_match(groups[0], return_var, loc);
      return;
    }
    if (!return_var.empty())
      throw ExpandError("a return value cannot be taken from an 'or' group", loc);
    std::string scope = fresh("await_scope");
    emit(ElementKind::kBeginScope, loc).name = scope;
    race(groups.size(), loc, [&](size_t i) { start_and_match(groups[i], "", loc); });
    emit(ElementKind::kEndScope, loc).name = scope;
  }
};

void apply_decorators(const colang::Flow& flow, FlowConfig& config) {
  for (const auto& d : flow.decorators) {
    const colang::Dict& p = d.parameters;
    if (d.name == "active") {
      config.active = true;
    } else if (d.name == "loop") {
      const Value* id = p.find("id");
      if (!id) id = p.find("$0");
      const Value* prio = p.find("priority");
      if (!prio) prio = p.find("$1");
      if (id && id->is_str()) {
        if (id->as_str() == "NEW") {
          config.loop_type = FlowConfig::LoopType::kNew;
        } else {
          config.loop_type = FlowConfig::LoopType::kNamed;
          config.loop_id = id->as_str();
        }
      }
      if (prio && prio->is_number()) config.loop_priority = static_cast<int>(prio->as_number());
    } else if (d.name == "meta") {
      auto flag = [&](const char* key) {
        const Value* v = p.find(key);
        return v && v->truthy();
      };
      config.meta_user_intent = flag("user_intent");
      config.meta_bot_intent = flag("bot_intent");
      config.meta_user_action = flag("user_action");
      config.meta_bot_action = flag("bot_action");
      if (flag("exclude_from_llm")) config.exclude_from_llm = true;
    }
  }
}

}  // namespace

FlowConfig expand_flow(const colang::Flow& flow) {
  FlowConfig config;
  config.id = flow.name;
  config.decorators = flow.decorators;
  config.source_code = flow.source_code;
  config.file = flow.file;
  config.loc = flow.loc;
  config.exclude_from_llm = flow.exclude_from_llm;
  for (const auto& p : flow.parameters) config.parameters.push_back({p.name, p.default_value});
  for (const auto& p : flow.return_members)
    config.return_members.push_back({p.name, p.default_value});
  apply_decorators(flow, config);

  // Every flow starts by waiting for its own StartFlow event (B.3).
  Element start;
  start.kind = ElementKind::kMatch;
  start.loc = flow.loc;
  start.spec = event_spec("StartFlow", {{"flow_id", string_literal(flow.name)}}, flow.loc);
  config.elements.push_back(std::move(start));

  Expander expander(config);
  expander.body(flow.body);

  for (size_t i = 0; i < config.elements.size(); ++i) {
    const Element& el = config.elements[i];
    if (el.kind == ElementKind::kLabel) config.labels[el.name] = static_cast<int>(i);
  }
  for (const auto& el : config.elements) {
    bool needs_label = el.kind == ElementKind::kGoto || el.kind == ElementKind::kBreak ||
                       el.kind == ElementKind::kContinue ||
                       (el.kind == ElementKind::kCatchPatternFailure && !el.name.empty());
    if (needs_label && !config.labels.count(el.name))
      throw ExpandError("jump to an undefined label '" + el.name + "'", el.loc);
    if (el.kind == ElementKind::kForkHead)
      for (const auto& l : el.labels)
        if (!config.labels.count(l)) throw ExpandError("undefined label '" + l + "'", el.loc);
  }
  return config;
}

std::string_view element_kind_name(ElementKind kind) {
  // ORDER ElementKind
  static constexpr std::string_view kNames[] = {
      "match",  "send",    "_new_action_instance", "assignment", "label",     "goto",
      "fork",   "merge",   "wait_for_heads",       "catch",      "begin_scope", "end_scope",
      "return", "abort",   "break",                "continue",   "global",    "log",
      "print",  "priority", "noop"};
  return kNames[static_cast<int>(kind)];
}

}  // namespace rg::runtime
