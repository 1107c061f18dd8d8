#include "rails/dialog/generation.h"

namespace rg::rails::dialog {

using colang::Dict;
using colang::List;
using colang::Value;

Dict GenerationOptions::to_dict() const {
  Dict rails;
  rails.set("input", input);
  rails.set("output", output);
  rails.set("retrieval", retrieval);
  rails.set("dialog", dialog);
  Dict log;
  log.set("activated_rails", log_activated_rails);
  log.set("llm_calls", log_llm_calls);
  log.set("internal_events", log_internal_events);
  log.set("colang_history", log_colang_history);
  Dict d;
  d.set("rails", Value(std::move(rails)));
  d.set("llm_params", Value(llm_params));
  d.set("llm_output", llm_output);
  d.set("output_vars", output_vars);
  d.set("log", Value(std::move(log)));
  return d;
}

namespace {

bool read_bool(const Value& v, const std::string& field, bool* out, std::string* error) {
  if (!v.is_bool()) {
    *error = field + ": expected a boolean, got " + std::string(v.type_name());
    return false;
  }
  *out = v.as_bool();
  return true;
}

}  // namespace

GenerationOptions parse_generation_options(const Value& value, std::string* error) {
  GenerationOptions o;
  error->clear();
  if (value.is_none()) return o;
  o.given = true;
  if (!value.is_dict()) {
    *error = "options: expected an object, got " + std::string(value.type_name());
    return o;
  }
  for (const auto& [key, v] : value.as_dict()) {
    if (key == "rails") {
      if (v.is_list()) {
        // A list names the rails that run; the others are off.
        o.input = o.output = o.retrieval = o.dialog = false;
        for (const Value& item : v.as_list()) {
          if (!item.is_str()) {
            *error = "options.rails: expected a list of rail kinds";
            return o;
          }
          const std::string& s = item.as_str();
          if (s == "input") o.input = true;
          else if (s == "output") o.output = true;
          else if (s == "retrieval") o.retrieval = true;
          else if (s == "dialog") o.dialog = true;
          else {
            *error = "options.rails: unknown rail kind '" + s +
                     "' (expected input, output, retrieval or dialog)";
            return o;
          }
        }
      } else if (v.is_dict()) {
        for (const auto& [kind, flag] : v.as_dict()) {
          bool* target = kind == "input" ? &o.input
                         : kind == "output" ? &o.output
                         : kind == "retrieval" ? &o.retrieval
                         : kind == "dialog" ? &o.dialog
                                            : nullptr;
          if (!target) {
            *error = "options.rails." + kind + ": unknown rail kind";
            return o;
          }
          // Per-rail name lists are accepted; only their truthiness counts.
          if (flag.is_bool()) *target = flag.as_bool();
          else if (flag.is_list()) *target = !flag.as_list().empty();
          else {
            *error = "options.rails." + kind + ": expected a boolean or a list";
            return o;
          }
        }
      } else {
        *error = "options.rails: expected an object or a list";
        return o;
      }
    } else if (key == "llm_params") {
      if (!v.is_dict()) {
        *error = "options.llm_params: expected an object";
        return o;
      }
      o.llm_params = v.as_dict();
    } else if (key == "llm_output") {
      if (!read_bool(v, "options.llm_output", &o.llm_output, error)) return o;
    } else if (key == "output_vars") {
      if (!v.is_bool() && !v.is_list()) {
        *error = "options.output_vars: expected a boolean or a list of names";
        return o;
      }
      o.output_vars = v;
    } else if (key == "log") {
      if (!v.is_dict()) {
        *error = "options.log: expected an object";
        return o;
      }
      for (const auto& [k, flag] : v.as_dict()) {
        bool* target = k == "activated_rails" ? &o.log_activated_rails
                       : k == "llm_calls" ? &o.log_llm_calls
                       : k == "internal_events" ? &o.log_internal_events
                       : k == "colang_history" ? &o.log_colang_history
                                               : nullptr;
        if (!target) {
          *error = "options.log." + k + ": unknown log option";
          return o;
        }
        if (!read_bool(flag, "options.log." + k, target, error)) return o;
      }
    } else {
      *error = "options." + key + ": unknown option";
      return o;
    }
  }
  return o;
}

static Dict llm_call_value(const LlmCallInfo& c) {
  Dict d;
  d.set("task", c.task);
  d.set("duration", c.duration);
  d.set("total_tokens", c.total_tokens);
  d.set("prompt_tokens", c.prompt_tokens);
  d.set("completion_tokens", c.completion_tokens);
  d.set("started_at", c.started_at);
  d.set("finished_at", c.finished_at);
  d.set("prompt", c.prompt);
  d.set("completion", c.completion);
  d.set("raw_response", c.raw_response);
  d.set("llm_model_name", c.llm_model_name);
  return d;
}

Dict log_to_value(const GenerationResult& r, const GenerationOptions& o) {
  Dict log;
  if (o.log_activated_rails) {
    List rails;
    for (const ActivatedRail& rail : r.activated_rails) {
      Dict d;
      d.set("type", rail.type);
      d.set("name", rail.name);
      List decisions;
      for (const auto& s : rail.decisions) decisions.push_back(Value(s));
      d.set("decisions", Value(std::move(decisions)));
      d.set("stop", rail.stop);
      d.set("started_at", rail.started_at);
      d.set("finished_at", rail.finished_at);
      d.set("duration", rail.duration);
      List actions;
      for (const ExecutedAction& a : rail.executed_actions) {
        Dict ad;
        ad.set("action_name", a.action_name);
        ad.set("action_params", Value(a.action_params));
        ad.set("return_value", a.return_value);
        ad.set("started_at", a.started_at);
        ad.set("finished_at", a.finished_at);
        ad.set("duration", a.duration);
        List calls;
        for (const auto& c : a.llm_calls) calls.push_back(Value(llm_call_value(c)));
        ad.set("llm_calls", Value(std::move(calls)));
        actions.push_back(Value(std::move(ad)));
      }
      d.set("executed_actions", Value(std::move(actions)));
      rails.push_back(Value(std::move(d)));
    }
    log.set("activated_rails", Value(std::move(rails)));
  }
  if (o.log_activated_rails || o.log_llm_calls) {
    Dict stats;
    double llm_duration = 0;
    int64_t prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
    for (const auto& c : r.llm_calls) {
      llm_duration += c.duration;
      prompt_tokens += c.prompt_tokens;
      completion_tokens += c.completion_tokens;
      total_tokens += c.total_tokens;
    }
    double by_type[4] = {0, 0, 0, 0};
    double total = 0;
    for (const ActivatedRail& rail : r.activated_rails) {
      int i = rail.type == "input" ? 0 : rail.type == "dialog" ? 1 : rail.type == "generation" ? 2 : 3;
      by_type[i] += rail.duration;
      total += rail.duration;
    }
    stats.set("input_rails_duration", by_type[0]);
    stats.set("dialog_rails_duration", by_type[1]);
    stats.set("generation_rails_duration", by_type[2]);
    stats.set("output_rails_duration", by_type[3]);
    stats.set("total_duration", total);
    stats.set("llm_calls_duration", llm_duration);
    stats.set("llm_calls_count", static_cast<int64_t>(r.llm_calls.size()));
    stats.set("llm_calls_total_prompt_tokens", prompt_tokens);
    stats.set("llm_calls_total_completion_tokens", completion_tokens);
    stats.set("llm_calls_total_tokens", total_tokens);
    log.set("stats", Value(std::move(stats)));
  }
  if (o.log_llm_calls) {
    List calls;
    for (const auto& c : r.llm_calls) calls.push_back(Value(llm_call_value(c)));
    log.set("llm_calls", Value(std::move(calls)));
  }
  if (o.log_internal_events) log.set("internal_events", Value(r.new_events));
  if (o.log_colang_history) log.set("colang_history", r.colang_history);
  return log;
}

Dict output_data(const GenerationResult& r, const GenerationOptions& o) {
  Dict out;
  if (o.output_vars.is_bool()) {
    if (o.output_vars.as_bool()) {
      for (const auto& [k, v] : r.context) {
        if (k == "config" || k == "event") continue;
        out.set(k, v);
      }
    }
  } else if (o.output_vars.is_list()) {
    for (const Value& name : o.output_vars.as_list()) {
      if (!name.is_str()) continue;
      const Value* v = r.context.find(name.as_str());
      out.set(name.as_str(), v ? *v : Value());
    }
  }
  return out;
}

}  // namespace rg::rails::dialog
