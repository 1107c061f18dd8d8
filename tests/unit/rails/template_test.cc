// Tests for rails/prompts/template: the Jinja subset prompts are written in.
// Expected outputs are what Jinja 3 (default Environment, NeMo's filters)
// renders for the same template and context.
#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/template.h"

using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;
using rg::rails::prompts::default_filters;
using rg::rails::prompts::FilterCall;
using rg::rails::prompts::FilterError;
using rg::rails::prompts::FilterRegistry;
using rg::rails::prompts::Template;
using rg::rails::prompts::TemplateError;
using rg::rails::prompts::TemplateOptions;

namespace {

std::shared_ptr<const Template> compile(std::string_view src, std::string name = "t") {
  auto t = Template::compile(src, std::move(name));
  if (!t.ok()) FAIL("compile failed: " << t.error().to_string() << "\n  template: " << src);
  return t.value();
}

std::string render(std::string_view src, const Dict& ctx = {}) {
  auto r = compile(src)->render(ctx);
  if (!r.ok()) FAIL("render failed: " << r.error().to_string() << "\n  template: " << src);
  return r.value();
}

// The compile error, as text ("" when it compiled).
std::string compile_error(std::string_view src, std::string name = "t") {
  auto t = Template::compile(src, std::move(name));
  return t.ok() ? std::string() : t.error().to_string();
}

TemplateError render_error(std::string_view src, const Dict& ctx = {}) {
  auto r = compile(src)->render(ctx);
  if (r.ok()) FAIL("expected a render error, got '" << r.value() << "'\n  template: " << src);
  return r.error();
}

Dict ctx(std::initializer_list<std::pair<const char*, Value>> entries) {
  Dict d;
  for (const auto& [k, v] : entries) d.set(k, v);
  return d;
}

Value event(const char* type, const char* key, const char* text) {
  Dict d;
  d.set("type", type);
  d.set(key, text);
  return Value(std::move(d));
}

const char* kHistory =
    "user \"hi\"\n"
    "  express greeting\n"
    "bot express greeting\n"
    "  \"Hello there!\"\n"
    "user \"what can you do?\"\n"
    "  ask capabilities\n"
    "bot inform capabilities\n"
    "  \"I can help.\"";

}  // namespace

TEST_CASE("text passes through; one trailing newline is dropped; CRLF reads as LF") {
  CHECK(render("") == "");
  CHECK(render("plain text with { braces } and % signs #") == "plain text with { braces } and % signs #");
  CHECK(render("line\n") == "line");
  CHECK(render("line\n\n") == "line\n");
  CHECK(render("a\r\nb\rc") == "a\nb\nc");
  TemplateOptions keep;
  keep.keep_trailing_newline = true;
  auto t = Template::compile("line\n", "t", nullptr, keep);
  REQUIRE(t.ok());
  CHECK(t.value()->render({}).value() == "line\n");
}

TEST_CASE("variables print as Python str(); undefined prints nothing") {
  Dict c = ctx({{"s", "Ann"}, {"i", 3}, {"f", 1.5}, {"g", 10.0}, {"b", true}, {"n", nullptr},
                {"l", List{Value("a"), Value(1)}}});
  Dict d;
  d.set("k", "v");
  c.set("d", d);
  CHECK(render("{{ s }}|{{ i }}|{{ f }}|{{ g }}|{{ b }}|{{ n }}", c) == "Ann|3|1.5|10.0|True|None");
  CHECK(render("{{ l }} {{ d }}", c) == "['a', 1] {'k': 'v'}");
  CHECK(render("[{{ missing }}]", c) == "[]");
  CHECK(render("{{s}}{{   s   }}", c) == "AnnAnn");
}

TEST_CASE("attribute and index access") {
  Dict user;
  user.set("name", "Bo");
  Dict inner;
  inner.set("c", "deep");
  Dict b;
  b.set("b", inner);
  Dict c = ctx({{"user", user}, {"a", b}, {"xs", List{Value("x"), Value("y"), Value("z")}}, {"s", "héllo"}});
  CHECK(render("{{ user.name }} {{ user['name'] }} {{ user[\"name\"] }}", c) == "Bo Bo Bo");
  CHECK(render("{{ a.b.c }}", c) == "deep");
  CHECK(render("{{ xs[0] }}{{ xs[-1] }}{{ xs.1 }}", c) == "xzy");
  CHECK(render("[{{ user.age }}][{{ xs[7] }}]", c) == "[][]");
  CHECK(render("{{ xs[1:] }} {{ xs[:-2] }} {{ s[1:3] }} {{ s[1] }}", c) == "['y', 'z'] ['x'] él é");
  CHECK(render("{{ xs[::-1] }} {{ s[::2] }} {{ xs[1::-1] }} {{ xs[-5:99] }}", c) == "['z', 'y', 'x'] hlo ['y', 'x'] ['x', 'y', 'z']");
  CHECK(render("{% set k = 'name' %}{{ user[k] }}", c) == "Bo");
}

TEST_CASE("literals") {
  CHECK(render("{{ 'a' ~ \"b\" }}") == "ab");
  CHECK(render("{{ 'it\\'s' }} {{ \"tab\\there\" }}") == "it's tab\there");
  CHECK(render("{{ [1, 'two', 3.0] }}") == "[1, 'two', 3.0]");
  CHECK(render("{{ {'a': 1, 'b': [true, none]} }}") == "{'a': 1, 'b': [True, None]}");
  CHECK(render("{{ true }} {{ False }} {{ none }} {{ None }}") == "True False None None");
  CHECK(render("{{ 1.5e2 }} {{ 1_000 }} {{ -3 }}") == "150.0 1000 -3");
  CHECK(render("{{ ('a', 'b') }}") == "['a', 'b']");
}

TEST_CASE("arithmetic, concatenation and comparisons follow Python") {
  CHECK(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 / 2 }} {{ 6 / 2 }} {{ 7 % 3 }} {{ -7 % 3 }}") == "3 -4 3.5 3.0 1 2");
  CHECK(render("{{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }}") == "1024 7 9 5");
  CHECK(render("{{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1.5 + 1 }}") == "abab [1, 2] 2.5");
  CHECK(render("{{ 1 ~ 2 }} {{ 'x' ~ missing ~ 'y' }} {{ none ~ 1 }}") == "12 xy None1");
  CHECK(render("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 'b' >= 'a' }}") ==
        "True False True True True");
  Dict d;
  d.set("k", 1);
  Dict c = ctx({{"d", d}});
  CHECK(render("{{ 'a' in 'cat' }} {{ 2 not in [1, 3] }} {{ 'k' in d }} {{ 'z' in d }} {{ 'x' in missing }}", c) ==
        "True True True False False");
  CHECK(render("{{ missing == missing }} {{ missing == none }} {{ missing != 1 }}") == "True False True");
}

TEST_CASE("and / or / not and the conditional expression") {
  CHECK(render("{{ 0 or 'b' }} {{ 1 and 0 }} {{ not [] }} {{ missing or 'dflt' }} {{ 'a' and 'b' }}") ==
        "b 0 True dflt b");
  CHECK(render("{{ not 1 == 2 }} {{ not missing is defined }}") == "True True");
  CHECK(render("{{ 'y' if 1 else 'n' }} {{ 'y' if 0 else 'n' }} [{{ 'y' if 0 }}]") == "y n []");
  CHECK(render("{{ 'a' if 0 else 'b' if 1 else 'c' }}") == "b");
}

TEST_CASE("if / elif / else and truthiness") {
  const char* src = "{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}";
  CHECK(render(src, ctx({{"n", 0}})) == "none");
  CHECK(render(src, ctx({{"n", 1}})) == "one");
  CHECK(render(src, ctx({{"n", 5}})) == "many");
  Dict c = ctx({{"e", ""}, {"l", List{}}, {"d", Dict{}}, {"z", 0}, {"n", nullptr}, {"s", "x"}});
  CHECK(render("{% if e or l or d or z or n or missing %}T{% else %}F{% endif %}", c) == "F");
  CHECK(render("{% if s %}T{% endif %}{% if not missing %}U{% endif %}", c) == "TU");
  CHECK(render("{% if relevant_chunks != None and relevant_chunks != '' %}ctx{% endif %}",
               ctx({{"relevant_chunks", "x"}})) == "ctx");
}

TEST_CASE("for loops: loop variables, else, dicts, strings, unpacking, loop filter") {
  Dict c = ctx({{"xs", List{Value("a"), Value("b"), Value("c")}}});
  CHECK(render("{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}", c) ==
        "1:a, 2:b, 3:c");
  CHECK(render("{% for x in xs %}{{ loop.index0 }}{{ loop.first }}{{ loop.length }}{{ loop.revindex }} {% endfor %}", c) ==
        "0True33 1False32 2False31 ");
  CHECK(render("{% for x in xs %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}", c) ==
        "[<a>b][a<b>c][b<c>]");
  CHECK(render("{% for x in [] %}item{% else %}empty{% endfor %}") == "empty");
  CHECK(render("{% for x in missing %}item{% else %}empty{% endfor %}") == "empty");
  CHECK(render("{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", c) == "abc");
  Dict d;
  d.set("b", 2);
  d.set("a", 1);
  c.set("d", d);
  CHECK(render("{% for k in d %}{{ k }}{% endfor %}", c) == "ba");
  CHECK(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", c) == "b=2;a=1;");
  CHECK(render("{% for ch in 'héy' %}[{{ ch }}]{% endfor %}") == "[h][é][y]");
  CHECK(render("{% for x in [1, 2, 3] if x > 1 %}{{ x }}/{{ loop.length }} {% endfor %}") == "2/2 3/2 ");
  CHECK(render("{% for i in range(3) %}{{ i }}{% endfor %}") == "012");
}

TEST_CASE("nested for and if; set is scoped like Jinja") {
  Dict c = ctx({{"rows", List{Value(List{Value("a"), Value("b")}), Value(List{Value("c")})}}});
  CHECK(render("{% for r in rows %}{% set outer = loop.index %}{% for v in r %}"
               "{{ outer }}.{{ loop.index }}={{ v }}{% if loop.last and not outer == 2 %}|{% endif %} "
               "{% endfor %}{% endfor %}",
               c) == "1.1=a 1.2=b| 2.1=c ");
  CHECK(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i * 10 %}{{ x }} {% endfor %}{{ x }}") == "10 20 1");
  CHECK(render("{% set a, b = [1, 2] %}{{ a + b }}") == "3");
  CHECK(render("{% set greeting = 'hi ' ~ name %}{{ greeting | upper }}", ctx({{"name", "bo"}})) == "HI BO");
  CHECK(render("{% for x in [1] %}{{ x }}{% endfor %}[{{ x }}]") == "1[]");
}

TEST_CASE("whitespace control: exact outputs") {
  // Default Jinja: no trim_blocks, no lstrip_blocks.
  CHECK(render("{% if true %}\nyes\n{% endif %}\n") == "\nyes\n");
  CHECK(render("{%- if true -%}\n  yes\n{%- endif %}") == "yes");
  CHECK(render("a  {{- 'b' -}}  c") == "abc");
  CHECK(render("a  {{ 'b' -}}\n\n  c") == "a  bc");
  CHECK(render("a\n{# comment #}\nb") == "a\n\nb");
  CHECK(render("a\n{#- comment -#}\nb") == "ab");
  CHECK(render("a {#- multi\nline\ncomment #} b") == "a b");
  CHECK(render("x {%+ if true +%}y{% endif %}") == "x y");
  Dict c = ctx({{"xs", List{Value(1), Value(2)}}});
  CHECK(render("<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>", c) ==
        "<ul>\n  \n  <li>1</li>\n  \n  <li>2</li>\n  \n</ul>");
  CHECK(render("<ul>\n  {%- for x in xs %}\n  <li>{{ x }}</li>\n  {%- endfor %}\n</ul>", c) ==
        "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>");
  CHECK(render("{% for x in xs -%}\n  {{ x }}\n{%- endfor %}", c) == "12");
  CHECK(render("{% raw %}{{ not rendered }} {% if %}{% endraw %}") == "{{ not rendered }} {% if %}");
  CHECK(render("a {%- raw -%} {{ x }} {%- endraw -%} b") == "a{{ x }}b");
}

TEST_CASE("a general.yml-style prompt renders exactly") {
  const char* src =
      "{{ general_instructions }}{% if relevant_chunks %}\n\n"
      "This is some relevant context:\n"
      "```markdown\n{{ relevant_chunks }}\n```{% endif %}\n\n"
      "{{ history | user_assistant_sequence }}\n"
      "Assistant:\n";
  List history{event("UserMessage", "text", "hi"), event("StartUtteranceBotAction", "script", "hello"),
               event("UserMessage", "text", "q")};
  Dict c = ctx({{"general_instructions", "Be nice."}, {"relevant_chunks", ""}, {"history", history}});
  CHECK(render(src, c) == "Be nice.\n\nUser: hi\nAssistant: hello\nUser: q\nAssistant:");
  c.set("relevant_chunks", "Fact.");
  CHECK(render(src, c) ==
        "Be nice.\n\nThis is some relevant context:\n```markdown\nFact.\n```\n\nUser: hi\nAssistant: hello\nUser: q\n"
        "Assistant:");
}

TEST_CASE("built-in filters") {
  Dict u1, u2;
  u1.set("name", "A");
  u2.set("name", "B");
  Dict c = ctx({{"xs", List{Value("a"), Value("b")}}, {"users", List{u1, u2}}});
  CHECK(render("{{ xs | join(', ') }}|{{ [1, 2] | join }}|{{ users | join(', ', attribute='name') }}", c) ==
        "a, b|12|A, B");
  CHECK(render("{{ 'héllo' | length }} {{ xs | length }} {{ missing | length }} {{ xs | count }}", c) == "5 2 0 2");
  CHECK(render("[{{ '  Hi There  ' | trim | upper }}] {{ 'ABC' | lower }} {{ 'hELLO' | capitalize }}") ==
        "[HI THERE] abc Hello");
  CHECK(render("{{ 'xxhixx' | trim('x') }}") == "hi");
  CHECK(render("{{ 'a-b-c' | replace('-', '+') }} {{ 'a-b-c' | replace('-', '+', 1) }}") == "a+b+c a+b-c");
  CHECK(render("{{ missing | default('x') }} [{{ '' | default('x') }}] {{ '' | default('x', true) }} "
               "{{ missing | d('y') }} {{ none | default('x') }} [{{ missing | default(other) }}]") ==
        "x [] x y None []");
  CHECK(render("{{ xs | first }}{{ xs | last }}[{{ [] | first }}]{{ 'abc' | last }}", c) == "ab[]c");
  CHECK(render("{{ '42' | int + 1 }} {{ '3.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 'ff' | int(base=16) }} "
               "{{ 2.9 | int }}") == "43 3 0 5 255 2");
  CHECK(render("{{ 3 | string ~ '!' }} {{ '1.5' | float }} {{ -3 | abs }} {{ 'ab' | list }}") == "3! 1.5 3 ['a', 'b']");
  CHECK(render("{{ {'b': 1, 'a': [true, none, 'x<y']} | tojson }}") == "{\"a\": [true, null, \"x\\u003cy\"], \"b\": 1}");
  CHECK(render("{{ {'a': [1]} | tojson(indent=2) }}") == "{\n  \"a\": [\n    1\n  ]\n}");
  CHECK(render("{{ 'é' | tojson }}") == "\"\\u00e9\"");
  CHECK(render("{{ 'Hello World' | lower | replace('world', 'there') | upper }}") == "HELLO THERE");
  CHECK(render("{% if xs | length > 1 %}many{% endif %}", c) == "many");
  CHECK(render("{{ 'a' ~ xs | join('+') }}", c) == "aa+b");
}

TEST_CASE("tests: is defined / none / string and friends") {
  Dict c = ctx({{"x", 1}, {"n", nullptr}, {"s", "str"}});
  CHECK(render("{{ x is defined }} {{ missing is defined }} {{ missing is not defined }} {{ missing is undefined }}", c) ==
        "True False True True");
  CHECK(render("{{ n is none }} {{ x is none }} {{ missing is none }} {{ n is not none }}", c) == "True False False False");
  CHECK(render("{{ s is string }} {{ x is string }} {{ x is number }} {{ x is integer }} {{ 1.5 is float }}", c) ==
        "True False True True True");
  CHECK(render("{{ [1] is sequence }} {{ {} is mapping }} {{ 3 is odd }} {{ 4 is even }} {{ 6 is divisibleby(3) }}") ==
        "True True True True True");
  CHECK(render("{% if x is defined and x > 0 %}pos{% endif %}", c) == "pos");
  CHECK(render("{{ 6 is divisibleby 3 }} {{ 5 is divisibleby 3 }}") == "True False");
  CHECK(compile_error("{{ x is defined(1) }}") == "t:1: test 'defined' takes no arguments");
}

TEST_CASE("methods on values") {
  Dict d;
  d.set("k", "v");
  Dict c = ctx({{"d", d}});
  CHECK(render("[{{ '  a b '.strip() }}] {{ 'a,b'.split(',') | join('|') }} {{ 'x y  z'.split() }}") ==
        "[a b] a|b ['x', 'y', 'z']");
  CHECK(render("{{ 'Hi'.upper() }} {{ 'Hi'.lower() }} {{ 'hello'.startswith('he') }} {{ 'hello'.endswith('x') }}") ==
        "HI hi True False");
  CHECK(render("{{ d.get('k') }} {{ d.get('zz', 'no') }} {{ d.keys() }} {{ d.values() }}", c) == "v no ['k'] ['v']");
  CHECK(render("{{ ', '.join(['a', 'b']) }} {{ 'aXbX'.replace('X', '-') }}") == "a, b a-b-");
}

TEST_CASE("text filters: indent, first_turns, last_turns") {
  CHECK(render("{{ 'a\\nb\\n\\nc' | indent(2) }}") == "  a\n  b\n\n  c");
  CHECK(render("{{ 'a\\n  \\nb\\n' | indent(n_spaces=1) }}") == " a\n  \n b\n");
  Dict c = ctx({{"h", kHistory}});
  CHECK(render("{{ h | first_turns(1) }}", c) == "user \"hi\"\n  express greeting\nbot express greeting\n  \"Hello there!\"");
  CHECK(render("{{ h | last_turns(1) }}", c) ==
        "user \"what can you do?\"\n  ask capabilities\nbot inform capabilities\n  \"I can help.\"");
  CHECK(render("{{ h | first_turns(5) }}", c) == kHistory);
  CHECK(render("{{ h | last_turns(5) }}", c) == kHistory);
  CHECK(render("[{{ h | first_turns(0) }}]", c) == "[]");
}

TEST_CASE("text filters: remove_text_messages and verbose_v1") {
  Dict c = ctx({{"h", kHistory}});
  CHECK(render("{{ h | remove_text_messages }}", c) ==
        "user express greeting\nbot express greeting\nuser ask capabilities\nbot inform capabilities");
  // A leading user message with no intent, then a blank line, is dropped;
  // a multi-line bot message goes entirely.
  CHECK(render("{{ s | remove_text_messages }}",
               ctx({{"s", "user \"hey\"\n\nbot greet\n  \"Hi,\nthere\"\nbot ask\n  \"More?\""}})) ==
        "bot greet\nbot ask");
  CHECK(render("{{ h | verbose_v1 }}", c) ==
        "User message: \"hi\"\nUser intent: express greeting\nBot intent: express greeting\n"
        "Bot message: \"Hello there!\"\nUser message: \"what can you do?\"\nUser intent: ask capabilities\n"
        "Bot intent: inform capabilities\nBot message: \"I can help.\"");
  CHECK(render("{{ s | verbose_v1 }}", ctx({{"s", "user ask help\nexecute check\n  # The result was True"}})) ==
        "User intent: ask help\nexecute check\n  # The result was True");
  CHECK(render("{{ h | remove_text_messages | verbose_v1 }}", c) ==
        "User intent: express greeting\nBot intent: express greeting\nUser intent: ask capabilities\n"
        "Bot intent: inform capabilities");
}

TEST_CASE("text filters: user_assistant_sequence") {
  List history{event("UserMessage", "text", "hi"), event("BotIntent", "intent", "greet"),
               event("StartUtteranceBotAction", "script", "Hello!")};
  Dict c = ctx({{"history", history}});
  CHECK(render("{{ history | user_assistant_sequence }}", c) == "User: hi\nAssistant: Hello!");
  CHECK(render("{{ history | user_assistant_sequence_nemollm }}", c) ==
        "<extra_id_1>User\nhi\n<extra_id_1>Assistant\nHello!");
  CHECK(render("[{{ [] | user_assistant_sequence }}]") == "[]");
}

TEST_CASE("compile errors name the template and line") {
  CHECK(compile_error("{{ x }}\n\n{{ name | lowr }}", "prompts.yml:generate_user_intent") ==
        "prompts.yml:generate_user_intent:3: unknown filter 'lowr'");
  auto t = Template::compile("{{ x }}\n\n{{ name | lowr }}", "p");
  REQUIRE(!t.ok());
  CHECK(t.error().code == TemplateError::Code::kUnknownFilter);
  CHECK(t.error().line == 3);
  CHECK(t.error().column == 11);
  CHECK(compile_error("a\n{% for x in xs %}\n{{ x }}") == "t:2: unclosed '{% for %}' opened on line 2");
  CHECK(compile_error("{% for x in xs %}\n{% if x %}\n{% endfor %}") ==
        "t:3: unexpected '{% endfor %}': the innermost open block is '{% if %}' opened on line 2");
  CHECK(compile_error("{% for x in xs %}\n  {% if x %}\n{% endif %}") == "t:1: unclosed '{% for %}' opened on line 1");
  CHECK(compile_error("ok\n{% endif %}") == "t:2: unexpected '{% endif %}': no block is open");
  CHECK(compile_error("{% if x %}{% else %}{% elif y %}{% endif %}") ==
        "t:1: unexpected '{% elif %}': the innermost open block is '{% if %}' opened on line 1");
  CHECK(compile_error("{% include 'x.txt' %}") == "t:1: unknown tag 'include'");
  CHECK(compile_error("a\n{{ x") == "t:2: unclosed '{{' opened on line 2");
  CHECK(compile_error("a\n\n{% if x") == "t:3: unclosed '{%' opened on line 3");
  CHECK(compile_error("{# never closed") == "t:1: unclosed comment '{#' opened on line 1");
  CHECK(render("text{#") == "text");  // Jinja drops a bare `{#` or `{% raw %}` at the very end
  CHECK(render("text{% raw %}") == "text");
  CHECK(compile_error("{{ 'abc }}") == "t:1: unterminated string opened on line 1");
  CHECK(compile_error("{{ x + }}") == "t:1: expected an expression, found end of tag");
  CHECK(compile_error("{{ x y }}") == "t:1: unexpected 'y', expected end of tag");
  CHECK(compile_error("{{ }}") == "t:1: expected an expression, found end of tag");
  CHECK(compile_error("{{ x is shiny }}") == "t:1: unknown test 'shiny'");
  CHECK(compile_error("{{ x $ 1 }}") == "t:1: unexpected character '$'");
  CHECK(compile_error("{% for x of xs %}{% endfor %}") == "t:1: unexpected 'of', expected 'in'");
  CHECK(compile_error("{% raw %}never closed") == "t:1: unclosed '{% raw %}' opened on line 1");
  // Hostile nesting fails cleanly instead of overflowing the stack.
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  CHECK(compile_error(deep).find("nested too deeply") != std::string::npos);
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "{% if x %}";
  CHECK(compile_error(blocks).find("nested too deeply") != std::string::npos);
}

TEST_CASE("render errors name the template and line") {
  TemplateError e = render_error("line one\n{{ missing.attr }}");
  CHECK(e.to_string() == "t:2: 'missing' is undefined");
  CHECK(e.code == TemplateError::Code::kUndefined);
  CHECK(render_error("\n\n{{ 1 + 'a' }}").to_string() == "t:3: unsupported operand type(s) for +: 'int' and 'str'");
  CHECK(render_error("{{ missing + 1 }}").to_string() == "t:1: 'missing' is undefined");
  CHECK(render_error("{{ missing | tojson }}").to_string() ==
        "t:1: filter 'tojson': Object of type Undefined is not JSON serializable");
  CHECK(render_error("{{ history | indent(2) }}").to_string() == "t:1: filter 'indent': 'history' is undefined");
  CHECK(render_error("{{ 5 | indent(2) }}").to_string() == "t:1: filter 'indent': expected a string, got int");
  CHECK(render_error("{{ 'x' | indent }}").to_string() == "t:1: filter 'indent': missing argument: indent(n_spaces)");
  CHECK(render_error("{{ 'x' | join(1, 2, 3) }}").to_string() == "t:1: filter 'join': takes at most 2 arguments (3 given)");
  CHECK(render_error("{{ 1 / 0 }}").to_string() == "t:1: division by zero");
  CHECK(render_error("{{ missing | int }}").to_string() == "t:1: filter 'int': 'missing' is undefined");
  CHECK(render_error("{{ [1][::0] }}").to_string() == "t:1: slice step cannot be zero");
  CHECK(render_error("{% for x in 5 %}{% endfor %}").to_string() == "t:1: 'int' object is not iterable");
  CHECK(render_error("{{ 1 < 'a' }}").to_string() == "t:1: '<' not supported between instances of 'int' and 'str'");
  CHECK(render_error("{{ 3 | length }}").to_string() == "t:1: filter 'length': object of type 'int' has no len()");
  Dict d;
  d.set("a", 1);
  CHECK(render_error("{{ d.nope.deeper }}", ctx({{"d", d}})).to_string() ==
        "t:1: 'dict object' has no attribute 'nope'");
  CHECK(render_error("{{ 'x'.nope() }}").to_string() == "t:1: 'str object' has no attribute 'nope'");
  CHECK(render_error("{% for a, b in [[1, 2, 3]] %}{% endfor %}").to_string() ==
        "t:1: too many values to unpack (expected 2, got 3)");
}

TEST_CASE("render budgets: loop iterations and output size") {
  CHECK(render_error("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(2) %}{% endfor %}"
                     "{% endfor %}{% endfor %}")
            .to_string() == "t:1: more than 1000000 loop iterations in one render");
  CHECK(render_error("{% for i in range(100) %}{{ 'x' * 1000000 }}{% endfor %}").to_string() ==
        "t:1: output larger than 64 MiB");
}

TEST_CASE("filter registry: one line per filter, resolved at compile time") {
  auto registry = std::make_shared<FilterRegistry>(*default_filters());
  registry->add("shout", [](const FilterCall& call) -> std::optional<Value> {
    return Value(call.input_str() + std::string(static_cast<size_t>(call.int_param(0, "times", 1)), '!'));
  });
  registry->add("boom", [](const FilterCall&) -> std::optional<Value> { throw FilterError("bad input"); });
  CHECK(compile_error("{{ 'hi' | shout }}") == "t:1: unknown filter 'shout'");
  auto t = Template::compile("{{ 'hi' | shout(3) }} {{ 'x' | shout(times=2) | upper }}", "t", registry);
  REQUIRE(t.ok());
  CHECK(t.value()->render({}).value() == "hi!!! X!!");
  auto b = Template::compile("\n{{ 1 | boom }}", "custom", registry);
  REQUIRE(b.ok());
  CHECK(b.value()->render({}).error().to_string() == "custom:2: filter 'boom': bad input");
  // The shared default registry is untouched.
  CHECK(default_filters()->find("shout") == nullptr);
  CHECK(default_filters()->find("verbose_v1") != nullptr);
}

TEST_CASE("referenced names") {
  auto t = compile("{{ a.b }}{% for x in xs %}{{ x | default(y) }}{% endfor %}{% if z is defined %}{% endif %}");
  CHECK(t->referenced_names() == std::vector<std::string>{"a", "x", "xs", "y", "z"});
}

TEST_CASE("one compiled template renders from many threads") {
  auto t = compile(
      "{% for x in xs %}{{ loop.index }}:{{ x | upper }}{% if not loop.last %}, {% endif %}{% endfor %}"
      "{% set total = xs | length %} ({{ total }}) {{ who | default('nobody') }}");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      // (strings built with += only: GCC 12 warns falsely on "lit" + std::string&&)
      const std::string tag = std::to_string(th);
      std::string who = "w";
      who += tag;
      for (int i = 0; i < 300; ++i) {
        List xs;
        for (int k = 0; k <= (th + i) % 4; ++k) {
          std::string item = "t";
          item += tag;
          item += "i";
          item += std::to_string(k);
          xs.emplace_back(item);
        }
        Dict c;
        c.set("xs", xs);
        if (i % 2 == 0) c.set("who", who);
        std::string expected;
        for (size_t k = 0; k < xs.size(); ++k) {
          if (k > 0) expected += ", ";
          expected += std::to_string(k + 1);
          expected += ":T";
          expected += tag;
          expected += "I";
          expected += std::to_string(k);
        }
        expected += " (";
        expected += std::to_string(xs.size());
        expected += ") ";
        expected += i % 2 == 0 ? who : std::string("nobody");
        auto r = t->render(c);
        if (!r.ok() || r.value() != expected) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
}

TEST_CASE("random token soup never crashes: it compiles and renders, or reports an error with a line") {
  const std::vector<std::string> pieces = {
      "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", " ", "\n", "x", "xs", "loop", ".", "index", "[", "]",
      "(", ")", "0", "1", "'s'", "\"", "|", "upper", "join", "indent(2)", "default('d')", "if", "for", "in",
      "endif", "endfor", "else", "elif", "set", "=", "and", "or", "not", "is", "defined", "~", "*", "//",
      "%", "{", "}", ":", ",", "raw", "endraw", "verbose_v1", "first_turns(1)", "none", "1.5", "-1"};
  std::mt19937 rng(12345);
  Dict c = ctx({{"x", "user \"a\"\n  b"}, {"xs", List{Value(1), Value("two"), Value(List{Value(3)})}}});
  int compiled = 0, rendered = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string src;
    int n = 1 + static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) src += pieces[rng() % pieces.size()];
    auto t = Template::compile(src, "soup");
    if (!t.ok()) {
      CHECK(t.error().line >= 1);
      CHECK(t.error().to_string().rfind("soup:", 0) == 0);
      continue;
    }
    ++compiled;
    auto r = t.value()->render(c);
    if (r.ok()) {
      ++rendered;
    } else {
      CHECK(r.error().line >= 1);
    }
  }
  MESSAGE(compiled << " of 3000 compiled, " << rendered << " rendered");
  CHECK(compiled > 0);
}
