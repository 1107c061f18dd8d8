#include "rails/safety/injection_detection.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include "colang/value_json.h"
#include "rails/config/yaml_value.h"

namespace rg::rails::safety {

namespace {

constexpr std::string_view kConfigPath = "rails.config.injection_detection";
constexpr int kMaxOmitRounds = 8;

// Shell commands worth flagging inside $(...) and `...`.
#define RG_SHELL_CMDS                                                                          \
  "(?:curl|wget|cat|ls|id|whoami|uname|rm|nc|ncat|netcat|bash|sh|zsh|python[23]?|perl|ruby|php|" \
  "echo|env|printenv|base64|chmod|chown|touch|ping|nslookup|dig|hostname|ps|kill|cp|mv|find|"  \
  "grep|head|tail|tee|dd|mkfifo|telnet|ssh|scp|nohup|xargs|awk|sed|openssl|sudo|su|wall)"

#define RG_EVENTS                                                                              \
  "(?:abort|afterprint|animation\\w*|auxclick|beforeprint|beforeunload|begin|blur|canplay\\w*|" \
  "change|click|close|contextmenu|copy|cuechange|cut|dblclick|drag\\w*|drop|durationchange|"   \
  "end|ended|error|finish|focus\\w*|formdata|hashchange|input|invalid|key\\w+|load\\w*|"       \
  "message|mouse\\w+|offline|online|pagehide|pageshow|paste|pause|play\\w*|pointer\\w+|"       \
  "popstate|progress|ratechange|repeat|reset|resize|scroll\\w*|search|seek\\w*|select\\w*|"    \
  "show|start|submit|suspend|timeupdate|toggle|touch\\w+|transition\\w*|unload|"              \
  "volumechange|waiting|wheel)"

// "javascript" with whitespace allowed between letters (browsers drop tabs
// and newlines inside a URL scheme).
#define RG_JS_SCHEME "(?:j\\s*a\\s*v\\s*a|v\\s*b)\\s*s\\s*c\\s*r\\s*i\\s*p\\s*t\\s*(?::|&#0*58;?|&#x0*3a;?|&colon;)"

// SQL separators: whitespace, inline comments, '+' (URL-encoded space).
#define RG_SQL_SEP "(?:\\s|/\\*[^*]*\\*/|\\+|%20)+"

struct BuiltinRule {
  const char* type;
  const char* name;
  const char* regex;
};

// Each rule names one family of payload; the comment says what it must not
// catch.
const BuiltinRule kBuiltinRules[] = {
    // ------------------------------------------------------------ code
    // os.system("..."), os.popen(, os.execv(, os.spawnl(
    {"code", "python_os_exec",
     R"re((?i)\bos\s*\.\s*(?:system|popen[234]?|exec(?:l|le|lp|lpe|v|ve|vp|vpe)|spawn(?:l|le|lp|lpe|v|ve|vp|vpe)|startfile)\s*\()re"},
    {"code", "subprocess",
     R"re((?i)\bsubprocess\s*\.\s*(?:run|call|check_call|check_output|popen|getoutput|getstatusoutput)\s*\(|\bimport\s+subprocess\b|\bfrom\s+subprocess\s+import\b)re"},
    // eval("..."), exec(compile(...)), eval(input()), exec(code) -- not
    // "eval()" or "eval (short for evaluate)" in prose.
    {"code", "eval_exec",
     R"re((?i)\b(?:eval|exec|execfile)\s*\(\s*(?:['"`]|[\w.]+\s*\(|[a-z_]\w*\s*\)))re"},
    {"code", "python_dunder",
     R"re((?i)__import__\s*\(|\b__builtins__\b|__globals__|__subclasses__\s*\(|__class__\s*\.\s*__(?:mro|bases?)__|\bgetattr\s*\(\s*__builtins__)re"},
    // $(whoami), $( curl ...) -- not "$(5)" or "$(a + b)".
    {"code", "shell_substitution", "(?i)\\$\\(\\s*" RG_SHELL_CMDS "\\b"},
    // `id` / `cat /etc/passwd` used as a value (after =, (, ;, |, &, a quote
    // or echo) -- not a command quoted in Markdown prose.
    {"code", "backtick_substitution",
     "(?i)(?:[=(;|&\"']|\\becho)\\s*`\\s*" RG_SHELL_CMDS "\\b[^`\\n]{0,200}`"},
    {"code", "rm_rf",
     R"re((?i)\brm\s+(?:-[a-z]+\s+)*-(?:[a-z]*r[a-z]*f|[a-z]*f[a-z]*r)[a-z]*(?:\s|$)|\brm\s+(?:-\w+\s+)*--recursive\b|--no-preserve-root)re"},
    // curl ... | sh, wget -O- ... | bash, bash <(curl ...), sh -c "$(curl
    {"code", "pipe_to_shell",
     R"re((?i)\b(?:curl|wget|fetch)\b[^|\n]{0,300}\|\s*(?:sudo\s+)?(?:(?:ba|z|k|da|c|tc)?sh|python[23]?|perl|ruby|php|node)\b|\b(?:ba)?sh\s*<\s*\(\s*(?:curl|wget)\b|\b(?:ba)?sh\s+-c\s+['"]?\s*\$?\(?\s*(?:curl|wget)\b)re"},
    {"code", "reverse_shell",
     R"re((?i)/dev/(?:tcp|udp)/|\b(?:nc|ncat|netcat)\b[^\n|;]{0,100}\s-[a-z]*[ec]\s|\bbash\s+-i\b|\bsh\s+-i\s*[<>]|\bmkfifo\s+/tmp/|\bsocket\s*\.\s*socket\s*\([^)]*\)[^\n]{0,200}\.connect\s*\()re"},
    {"code", "node_exec",
     R"re((?i)\bchild_process\b|\brequire\s*\(\s*['"](?:child_process|net|vm)['"]\s*\)|\bnew\s+Function\s*\(\s*['"`]|\bprocess\s*\.\s*(?:binding|mainModule)\b|\bexec(?:Sync|File|FileSync)\s*\(\s*['"`]|\bspawn(?:Sync)?\s*\(\s*['"`])re"},
    {"code", "java_exec",
     R"re((?i)\bRuntime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(|\bnew\s+ProcessBuilder\s*\()re"},
    {"code", "php_exec",
     R"re((?i)\b(?:shell_exec|passthru|proc_open|popen|pcntl_exec|system)\s*\(\s*['"$]|<\?php\b|\bpreg_replace\s*\(\s*['"][^'"]{0,80}/e['"])re"},
    {"code", "powershell",
     R"re((?i)\b(?:invoke-expression|iex)\b\s*[(\$'"]|\bpowershell(?:\.exe)?\b[^\n]{0,40}\s-(?:e|ec|enc|encodedcommand|nop|noprofile|w\s+hidden|windowstyle\s+hidden|exec(?:utionpolicy)?\s+bypass)\b|\.downloadstring\s*\(|\|\s*iex\b|\bcmd(?:\.exe)?\s+/c\s)re"},
    // Interpreter one-liners and droppers.
    {"code", "interpreter_one_liner",
     R"re((?i)\bperl\s+-e\s+['"][^'"]{0,200}\b(?:exec|system|socket)\b|\bruby\s+-rsocket\b|\bTCPSocket\s*\.\s*(?:new|open)\s*\(|\bfsockopen\s*\(|\bpty\s*\.\s*spawn\s*\(|\$\{IFS\}|\bcertutil(?:\.exe)?\s+-urlcache\b|\bchmod\s+\+x\s+/tmp/\S+\s*(?:&&|;)|\bshutil\s*\.\s*rmtree\s*\(\s*['"]/['"]|\bos\s*\.\s*(?:remove|unlink)\s*\(\s*['"]/(?:etc|bin|usr|boot)/|\bpickle\s*\.\s*loads?\s*\(\s*(?:base64|b64decode|request|input))re"},
    {"code", "sensitive_file_read",
     R"re((?i)\b(?:cat|type|more|less|head|tail|nl|tac|strings)\s+(?:/etc/(?:passwd|shadow|sudoers|hosts)|~?/\.ssh/|/proc/self/environ|c:\\windows\\win\.ini))re"},
    // ; whoami / && id / | uname -a at the end of a command
    {"code", "command_chaining",
     R"re((?i)(?:[;|`]|&&)\s*(?:whoami|id|uname\s+-a|net\s+user|ipconfig|ifconfig|hostname|ls\s+-la?\s+/\S*)\s*(?:$|[;&|#`]))re"},

    // ------------------------------------------------------------ sqli
    // UNION [ALL] SELECT followed by what an injection selects -- not "a
    // UNION combines two SELECT statements".
    {"sqli", "union_select",
     "(?i)\\bunion" RG_SQL_SEP "(?:(?:all|distinct)" RG_SQL_SEP ")?select(?:\\s|/\\*[^*]*\\*/|\\+|%20|\\()+"
     "(?:null\\b|\\d+\\s*(?:,|--|#|$|from\\b)|@@\\w+|(?:user|database|version|current_user|schema|"
     "system_user|load_file|concat(?:_ws)?|group_concat|char|table_name|column_name|username|"
     "password|passwd|pwd|email)\\b|\\*\\s*from\\b|0x[0-9a-f]+)"},
    {"sqli", "quote_union",
     "(?i)['\"\\d)]\\s*(?:\\)\\s*)*union" RG_SQL_SEP "(?:(?:all|distinct)" RG_SQL_SEP ")?select\\b"},
    // ' OR 1=1, ' or 'a'='a, " or ""=", ') or ('1'='1, ' || 1=1, 1 OR 1=1
    {"sqli", "tautology",
     R"re((?i)['")]\s*(?:or|\|\||and|&&)\s*(?:\(\s*)*(?:['"]?\w*['"]?\s*(?:=|<>|!=|\blike\b)\s*['"]?\w*|\d+\s*[<>]=?\s*\d+|true\b|not\s+false\b|\d+\s*(?:--|#))|\b(?:or|and)\s+\d+\s*=\s*\d+\b|\bor\s+true\s*(?:--|#))re"},
    // admin'--, ' #, "/*
    {"sqli", "comment_terminator",
     R"re((?i)[\w)]'(?:\)\s*)*(?:--|#|/\*)|[\w)]'\s+(?:\)\s*)*(?:--|#|/\*)[\s+-]*$|[\w)]"(?:\)\s*)*(?:--|#|/\*)|['"]\s*;\s*(?:--|#)|%27\s*(?:%20|\+|\s)*(?:or|and|union|;|%3b)(?:%20|\+|\s))re"},
    // ' HAVING 1=1 --, ' GROUP BY x HAVING 1=1 --
    {"sqli", "having_group_probe",
     R"re((?i)(?:^|[\w)])['"]\s*\)*\s*(?:having|group\s+by)\s+[^\n]{0,60}(?:--|#))re"},
    // '; DROP TABLE users; --, 1; DELETE FROM, "); EXEC xp_
    {"sqli", "stacked_query",
     R"re((?i)['"\d)]\s*;\s*(?:drop\s+(?:table|database|schema|user|view|index|procedure|function)\b|delete\s+from\b|insert\s+into\b|update\s+\w+\s+set\b|truncate\s+(?:table\s+)?\w|alter\s+(?:table|user|database)\b|create\s+(?:table|user|login|database|function|procedure)\b|exec(?:ute)?\s+(?:xp_|sp_|master\.|@|\(|immediate)|shutdown\b|declare\s+@|select\s+(?:\*|@@|null\b|pg_sleep|sleep\s*\(|version\s*\(|load_file)|grant\s+\w+\s+on\b|waitfor\b|copy\s+\w+\s+(?:from|to)\s+program)|;\s*drop\s+(?:table|database)\s+[\w`"\[\]]+\s*;?\s*(?:--|#))re"},
    // ' AND SLEEP(5), 1 OR pg_sleep(10), IF(1=1,SLEEP(5),0), WAITFOR DELAY
    // '0:0:5' -- not time.sleep(5).
    {"sqli", "time_based",
     R"re((?i)(?:\b(?:and|or|select|if|then|else|when)\b|['";(,|&])\s*(?:\(\s*)*(?:pg_)?sleep\s*\(\s*\d|\bwaitfor\s+delay\s+'|\bbenchmark\s*\(\s*\d+\s*,|\bdbms_(?:lock\.sleep|pipe\.receive_message)\s*\(|\bpg_sleep\s*\()re"},
    {"sqli", "error_based",
     R"re((?i)\b(?:extractvalue|updatexml)\s*\(|\bconvert\s*\(\s*int\s*,\s*(?:@@|\(\s*select|db_name|user)|\bcast\s*\(\s*\(\s*select\b|\bxp_cmdshell\b|\bsp_oacreate\b|\binto\s+(?:out|dump)file\s+['"]|\bload_file\s*\(|\butl_http\s*\.\s*request\s*\(|\bchar\s*\(\s*\d+\s*(?:,\s*\d+\s*){2,}\)|\bconcat\s*\(\s*0x[0-9a-f]+)re"},
    {"sqli", "boolean_blind",
     R"re((?i)['"]\s*\)*\s*(?:and|&&|or)\s*(?:\(\s*)*(?:select|substring|substr|ascii|length|mid|ord|exists)\s*\(|\b(?:and|or)\s+(?:\(\s*)*(?:ascii|ord)\s*\(\s*(?:substring|substr|mid)\s*\()re"},
    {"sqli", "order_by_probe", R"re((?i)['"\d]\s*\)?\s*order\s+by\s+\d+\s*(?:--|#|/\*))re"},

    // ------------------------------------------------------------ template
    {"template", "jinja_dunder", R"re(\{\{[^{}]{0,300}(?:__\w+__|\\x5f\\x5f))re"},
    // {{ config }}, {{ self._TemplateReference__context }}, {{ lipsum.__globals__ }}
    // -- not {{ name }} in a Mustache explanation.
    {"template", "jinja_objects",
     R"re((?i)\{\{-?\s*(?:config|self|_self|settings|lipsum|cycler|joiner|namespace|url_for|get_flashed_messages)\b|\{\{-?\s*request\s*(?:\||\.\s*(?:application|environ|__))|\{\{#with\s+[^}]*\bas\s*\|)re"},
    {"template", "jinja_dangerous_calls",
     R"re((?i)\{\{[^{}]{0,300}(?:\bpopen\s*\(|\bos\s*\.\s*system|\bsubprocess|\beval\s*\(|\bexec\s*\(|\bimport\s*\(|\|\s*attr\s*\(|\bgetattr\s*\(|\bmro\b|\bsubclasses\b|\bbuiltins\b|\bglobals\b|\.read\s*\(\s*\)|\bconstructor\b))re"},
    // {{7*7}}, ${7*7}, #{7*7}, <%= 7*7 %>, *{7*'7'} -- not {7*7} or 7*7.
    {"template", "arithmetic_probe",
     R"re((?:\{\{|\$\{|#\{|\*\{|@\{|<%=?)\s*\d+\s*\*\s*['"]?\d+['"]?\s*(?:\}\}?|%>))re"},
    {"template", "jinja_statement",
     R"re((?i)\{%-?\s*(?:import\b|from\s+\S+\s+import\b|include\s|extends\s|exec\b|eval\b|python\b|debug\b|set\s+\w+\s*=[^%]{0,300}(?:__|popen|system|eval|exec|import|config|self|_self)|for\s+\w+\s+in\s+[^%]{0,300}(?:__|subclasses|mro|config)|if\s+[^%]{0,300}(?:__|popen|system|config\.)|[^%]{0,300}_self\b))re"},
    // ${T(java.lang.Runtime).getRuntime().exec('id')}, #{...}, *{T(...)},
    // ${jndi:ldap://...}, ${${lower:j}ndi:...}, __${...}__:: -- not ${name}.
    {"template", "expression_language",
     R"re((?i)[$#*@]\{[^{}]{0,300}?(?:\bT\s*\(\s*java|java\.lang|\bRuntime\b|getRuntime|\bexec\s*\(|\.getClass\s*\(|forName\s*\(|\bProcessBuilder|\bnew\s+java|applicationScope|sessionScope|pageContext|facesContext|\bfreemarker|\.getMethod\s*\(|\.invoke\s*\(|__\w+__)|\$\{\s*(?:jndi\s*:|\$\{\s*(?:lower|upper|::-|env|sys|date)|(?:env|sys|ctx|main|bundle|docker|k8s|spring|java)\s*:)|__\$\{[^}]{0,200}\}__\s*::|@\(?\s*System\s*\.\s*Diagnostics\s*\.\s*Process)re"},
    // <%= system('id') %>, <%= `ls` %>, <%= File.open('/etc/passwd').read %>
    {"template", "erb",
     R"re((?i)<%[=-]?\s*[^%]{0,300}?(?:\bsystem\s*[('"`]|\bexec\s*[('"]|\beval\s*[('"]|`|%x|\bIO\s*\.\s*popen|\bFile\s*\.\s*(?:open|read|write)|\bKernel\b|\bopen\s*\(\s*['"]\|?|\bspawn\b|\binstance_eval|\bclass_eval|\bsend\s*\(|\bRuntime\b|\brequire\s|\bDir\s*\.|\bENV\b|\bProcess\s*\.))re"},
    {"template", "freemarker_velocity",
     R"re((?i)freemarker\.template\.utility\.(?:Execute|ObjectConstructor|JythonRuntime)|<#assign\b[^>]{0,200}\?new\s*\(|#set\s*\(\s*\$\w+\s*=\s*[^)]{0,200}(?:getClass|forName|Runtime|exec)|\$class\.inspect|\.getClass\s*\(\s*\)\s*\.\s*forName\s*\()re"},
    {"template", "smarty_twig",
     R"re((?i)\{\s*/?php\s*\}|\{\s*(?:system|exec|passthru|shell_exec|eval)\s*\(|\{\s*include\s+file\s*=|\{\s*self::getStreamVariable|\{\s*Smarty_Internal_Write_File|\{\{\s*_self\s*\.\s*env\b|registerUndefinedFilterCallback|\bgetFilter\s*\(\s*['"](?:id|system|exec|cat))re"},

    // ------------------------------------------------------------ xss
    {"xss", "script_tag",
     R"re((?i)<\s*/?\s*script\b|(?:%3c|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c)\s*/?\s*script\b)re"},
    // javascript:alert(1), href="javascript: ...", [x](javascript:...) --
    // not "JavaScript: The Good Parts".
    {"xss", "javascript_url",
     "(?i)" RG_JS_SCHEME "[^\\s]|(?:[=(\"'`]|\\]\\()\\s*" RG_JS_SCHEME},
    // onerror=, " onmouseover=, /onload= -- a known event name right after
    // whitespace, '/', a quote or '<'.
    {"xss", "event_handler",
     "(?i)(?:^|[\\s/\"'`;<]|%20|%09|%0a|\\+)on" RG_EVENTS "\\s*(?:=|%3d)"},
    {"xss", "dangerous_tag",
     R"re((?i)<\s*(?:iframe|frame|frameset|embed|object|applet|isindex|marquee|xss)\b|<\s*base\s+href|<\s*meta\s[^>]*http-equiv|<\s*svg\b[^>]*\bon\w+|<\s*form\b[^>]*\b(?:form)?action\s*=\s*['"]?\s*javascript|<\s*style\b[^>]*>[^<]*(?:expression\s*\(|javascript:|@import|behavior\s*:|-moz-binding)|<\s*link\s[^>]*href\s*=\s*['"]?\s*(?:javascript|data):|\bsrcdoc\s*=)re"},
    {"xss", "data_url",
     R"re((?i)\bdata\s*:\s*(?:text/html|image/svg\+xml|application/(?:x-)?(?:javascript|ecmascript|xhtml\+xml)|text/(?:java|ecma|vb)script)\s*[;,])re"},
    {"xss", "js_sinks",
     R"re((?i)\b(?:alert|prompt|confirm)\s*(?:\(\s*|`)(?:\d|document\s*\.|window\s*\.|['"`/]\s*xss|String\.fromCharCode|this\b|top\b)|\bdocument\s*\.\s*(?:cookie\b[^\n]{0,50}(?:fetch|location|new\s+Image|XMLHttpRequest|\+)|write\s*\(\s*['"`]?\s*<)|\.innerHTML\s*=\s*['"`]?\s*<[^>]*(?:on\w+|script)|\beval\s*\(\s*(?:atob|unescape|String\.fromCharCode|decodeURI)|\bString\s*\.\s*fromCharCode\s*\(\s*\d+\s*,\s*\d+|(?:top|window|self|parent)\s*\[\s*['"`][a-z'"`+\s]*\]\s*\()re"},
};

#undef RG_SHELL_CMDS
#undef RG_EVENTS
#undef RG_JS_SCHEME
#undef RG_SQL_SEP

re2::RE2::Options rule_options() {
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(16 << 20);
  return o;
}

// "" when `regex` compiles and cannot match only empty text, else why not.
std::string check_regex(const std::string& regex) {
  re2::RE2 re(regex, rule_options());
  if (!re.ok()) return "invalid regex: " + re.error();
  if (re.Match("", 0, 0, re2::RE2::ANCHOR_BOTH, nullptr, 0))
    return "the regex matches empty text";
  return "";
}

bool read_text(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// One rule entry (a mapping) from a file or the inline list. `where` names
// it for errors ("rules.yml: rules[2]").
std::optional<InjectionRule> read_rule(const colang::Value& v, const std::string& source,
                                       const std::string& where, std::string* error) {
  auto bad = [&](const std::string& what) -> std::optional<InjectionRule> {
    if (error) *error = where + ": " + what;
    return std::nullopt;
  };
  if (!v.is_dict()) return bad("expected a mapping {name, type, regex}");
  const colang::Dict& d = v.as_dict();
  InjectionRule r;
  r.source = source;
  for (const auto& [key, value] : d) {
    if (key != "name" && key != "type" && key != "injection" && key != "regex")
      return bad("unknown key '" + key + "' (expected name, type, regex)");
    if (!value.is_str()) return bad(key + ": expected a string");
  }
  if (const auto* n = d.find("name")) r.name = n->as_str();
  if (r.name.empty()) return bad("a rule needs a name");
  const std::string named = where + " (rule '" + r.name + "')";
  const auto* t = d.find("type");
  if (!t) t = d.find("injection");
  if (!t || t->as_str().empty()) {
    if (error) *error = named + ": a rule needs a type (code, sqli, template, xss or your own)";
    return std::nullopt;
  }
  r.type = t->as_str();
  const auto* re = d.find("regex");
  if (!re || re->as_str().empty()) {
    if (error) *error = named + ": a rule needs a regex";
    return std::nullopt;
  }
  r.regex = re->as_str();
  if (std::string why = check_regex(r.regex); !why.empty()) {
    if (error) *error = named + ": " + why;
    return std::nullopt;
  }
  return r;
}

std::optional<std::vector<InjectionRule>> read_rule_list(const colang::Value& list, const std::string& source,
                                                         const std::string& prefix, std::string* error) {
  if (!list.is_list()) {
    if (error) *error = prefix + ": expected a list of {name, type, regex}";
    return std::nullopt;
  }
  std::vector<InjectionRule> out;
  size_t i = 0;
  for (const colang::Value& item : list.as_list()) {
    auto r = read_rule(item, source, prefix + "[" + std::to_string(i++) + "]", error);
    if (!r) return std::nullopt;
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- rules

const std::vector<std::string>& builtin_injection_types() {
  static const std::vector<std::string> types = {"code", "sqli", "template", "xss"};
  return types;
}

const std::vector<InjectionRule>& builtin_injection_rules() {
  static const std::vector<InjectionRule> rules = [] {
    std::vector<InjectionRule> out;
    for (const BuiltinRule& b : kBuiltinRules)
      out.push_back({std::string(b.type) + "." + b.name, b.type, b.regex, "built-in"});
    return out;
  }();
  return rules;
}

std::optional<std::vector<InjectionRule>> load_injection_rules_file(const std::filesystem::path& path,
                                                                    std::string* error) {
  const std::string file = path.string();
  std::string text;
  if (!read_text(path, text)) {
    if (error) *error = file + ": cannot read the rules file";
    return std::nullopt;
  }
  colang::Value doc;
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  try {
    if (ext == ".json") {
      doc = colang::from_json(nlohmann::json::parse(text));
    } else {
      doc = config::yaml_to_value(YAML::Load(text));
    }
  } catch (const std::exception& e) {
    if (error) *error = file + ": cannot parse: " + e.what();
    return std::nullopt;
  }
  if (doc.is_dict()) {
    const colang::Value* rules = doc.as_dict().find("rules");
    if (!rules) {
      if (error) *error = file + ": expected a list of {name, type, regex} or a mapping {rules: [...]}";
      return std::nullopt;
    }
    colang::Value inner = *rules;  // not doc = *rules: *rules lives inside doc
    doc = std::move(inner);
  }
  if (!doc.is_list()) {
    if (error) *error = file + ": expected a list of {name, type, regex} or a mapping {rules: [...]}";
    return std::nullopt;
  }
  std::vector<InjectionRule> out;
  size_t i = 0;
  for (const colang::Value& item : doc.as_list()) {
    std::string where = file + ": rules[" + std::to_string(i++) + "]";
    auto r = read_rule(item, file, where, error);
    if (!r) return std::nullopt;
    out.push_back(std::move(*r));
  }
  return out;
}

std::optional<InjectionConfig> parse_injection_config(const colang::Dict& d, std::string* error,
                                                      const std::filesystem::path& config_dir) {
  auto bad = [&](const std::string& key, const std::string& what) -> std::optional<InjectionConfig> {
    if (error) *error = std::string(kConfigPath) + "." + key + ": " + what;
    return std::nullopt;
  };
  InjectionConfig c;
  for (const auto& [key, value] : d) {
    (void)value;
    if (key != "injections" && key != "action" && key != "rules" && key != "rules_path" &&
        key != "yara_rules" && key != "yara_path")
      return bad(key, "unknown key (expected injections, action, rules, rules_path)");
  }

  const colang::Value* inj = d.find("injections");
  if (!inj || inj->is_none()) return bad("injections", "required: the types to check, e.g. [code, sqli, template, xss]");
  if (!inj->is_list()) return bad("injections", "expected a list of types");
  for (const colang::Value& t : inj->as_list()) {
    if (!t.is_str() || t.as_str().empty()) return bad("injections", "expected type names (strings)");
    if (std::find(c.injections.begin(), c.injections.end(), t.as_str()) == c.injections.end())
      c.injections.push_back(t.as_str());
  }

  if (const colang::Value* a = d.find("action"); a && !a->is_none()) {
    if (!a->is_str()) return bad("action", "expected reject or omit");
    if (a->as_str() == "reject") c.action = InjectionAction::kReject;
    else if (a->as_str() == "omit") c.action = InjectionAction::kOmit;
    else if (a->as_str() == "sanitize") return bad("action", "sanitize is not supported (use reject or omit)");
    else return bad("action", "expected reject or omit, got \"" + a->as_str() + "\"");
  }

  for (const char* key : {"yara_rules", "yara_path"}) {
    if (const colang::Value* y = d.find(key); y && !y->is_none())
      c.warnings.push_back(std::string(kConfigPath) + "." + key +
                           " is ignored: YARA rules are not supported; the built-in RE2 rules and "
                           "`rules` / `rules_path` are used instead");
  }

  if (const colang::Value* p = d.find("rules_path"); p && !p->is_none()) {
    if (!p->is_str() || p->as_str().empty()) return bad("rules_path", "expected a file path");
    std::filesystem::path path = p->as_str();
    if (path.is_relative() && !config_dir.empty()) path = config_dir / path;
    auto rules = load_injection_rules_file(path, error);
    if (!rules) return std::nullopt;
    for (auto& r : *rules) c.user_rules.push_back(std::move(r));
  }
  if (const colang::Value* r = d.find("rules"); r && !r->is_none()) {
    auto rules = read_rule_list(*r, std::string(kConfigPath) + ".rules", std::string(kConfigPath) + ".rules", error);
    if (!rules) return std::nullopt;
    for (auto& x : *rules) c.user_rules.push_back(std::move(x));
  }

  // Every listed type needs rules; every user rule's type must be listed.
  const auto& builtin = builtin_injection_types();
  for (const std::string& t : c.injections) {
    bool known = std::find(builtin.begin(), builtin.end(), t) != builtin.end() ||
                 std::any_of(c.user_rules.begin(), c.user_rules.end(),
                             [&](const InjectionRule& r) { return r.type == t; });
    if (!known)
      return bad("injections", "unknown injection type '" + t +
                                   "' (built in: code, sqli, template, xss; others need rules)");
  }
  std::set<std::string> names;
  for (const InjectionRule& r : c.user_rules) {
    if (std::find(c.injections.begin(), c.injections.end(), r.type) == c.injections.end()) {
      if (error)
        *error = r.source + ": rule '" + r.name + "': type '" + r.type + "' is not listed in " +
                 std::string(kConfigPath) + ".injections";
      return std::nullopt;
    }
    if (!names.insert(r.name).second) {
      if (error) *error = r.source + ": rule '" + r.name + "' is defined twice";
      return std::nullopt;
    }
  }
  return c;
}

// ---------------------------------------------------------------- detector

struct InjectionDetector::Compiled {
  InjectionRule rule;
  re2::RE2 re;
  Compiled(InjectionRule r) : rule(std::move(r)), re(rule.regex, rule_options()) {}
};

struct InjectionDetector::SetBox {
  re2::RE2::Set set;
  explicit SetBox(const re2::RE2::Options& o) : set(o, re2::RE2::UNANCHORED) {}
};

InjectionDetector::~InjectionDetector() = default;

std::shared_ptr<const InjectionDetector> InjectionDetector::create(const InjectionConfig& config,
                                                                   std::string* error) {
  std::shared_ptr<InjectionDetector> d(new InjectionDetector());
  d->action_ = config.action;
  d->injections_ = config.injections;
  auto listed = [&](const std::string& type) {
    return std::find(config.injections.begin(), config.injections.end(), type) != config.injections.end();
  };
  std::vector<const InjectionRule*> active;
  for (const InjectionRule& r : builtin_injection_rules())
    if (listed(r.type)) active.push_back(&r);
  for (const InjectionRule& r : config.user_rules)
    if (listed(r.type)) active.push_back(&r);

  re2::RE2::Options options = rule_options();
  options.set_max_mem(64 << 20);
  d->set_ = std::make_unique<SetBox>(options);
  for (const InjectionRule* r : active) {
    auto compiled = std::make_unique<Compiled>(*r);
    if (!compiled->re.ok()) {
      if (error) *error = r->source + ": rule '" + r->name + "': invalid regex: " + compiled->re.error();
      return nullptr;
    }
    std::string set_error;
    if (d->set_->set.Add(r->regex, &set_error) < 0) {
      if (error) *error = r->source + ": rule '" + r->name + "': invalid regex: " + set_error;
      return nullptr;
    }
    d->rules_.push_back(std::move(compiled));
  }
  for (const std::string& t : config.injections) {
    bool has = std::any_of(d->rules_.begin(), d->rules_.end(),
                           [&](const auto& c) { return c->rule.type == t; });
    if (!has) {
      if (error) *error = std::string(kConfigPath) + ".injections: type '" + t + "' has no rules";
      return nullptr;
    }
  }
  if (!d->rules_.empty() && !d->set_->set.Compile()) {
    if (error) *error = std::string(kConfigPath) + ": the rules do not fit in RE2's memory budget";
    return nullptr;
  }
  return d;
}

std::vector<InjectionFinding> InjectionDetector::detect(std::string_view text) const {
  std::vector<InjectionFinding> findings;
  if (rules_.empty() || text.empty()) return findings;
  const re2::StringPiece input(text.data(), text.size());
  std::vector<int> hits;
  re2::RE2::Set::ErrorInfo info{};
  if (!set_->set.Match(input, &hits, &info)) {
    if (info.kind == re2::RE2::Set::kNoError) return findings;  // nothing matched
    // The DFA ran out of memory (huge text): check every rule directly.
    hits.clear();
    for (size_t i = 0; i < rules_.size(); ++i) hits.push_back(static_cast<int>(i));
  }
  std::sort(hits.begin(), hits.end());
  for (int index : hits) {
    const Compiled& c = *rules_[static_cast<size_t>(index)];
    size_t pos = 0;
    re2::StringPiece m;
    while (pos <= text.size() &&
           c.re.Match(input, pos, text.size(), re2::RE2::UNANCHORED, &m, 1)) {
      size_t begin = static_cast<size_t>(m.data() - text.data());
      size_t end = begin + m.size();
      if (end == begin) {  // an empty match: step over one byte
        pos = begin + 1;
        continue;
      }
      findings.push_back({c.rule.type, c.rule.name, begin, end});
      pos = end;
    }
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const InjectionFinding& a, const InjectionFinding& b) { return a.begin < b.begin; });
  return findings;
}

namespace {

// `text` without the union of the findings' spans.
std::string remove_spans(std::string_view text, std::vector<InjectionFinding> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const InjectionFinding& a, const InjectionFinding& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const InjectionFinding& f : spans) {
    if (f.begin > pos) out.append(text.substr(pos, f.begin - pos));
    pos = std::max(pos, f.end);
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace

InjectionResult InjectionDetector::apply(std::string_view text) const {
  InjectionResult r;
  r.findings = detect(text);
  if (r.findings.empty()) {
    r.text = std::string(text);
    return r;
  }
  if (action_ == InjectionAction::kReject) {
    r.blocked = true;
    r.text = std::string(text);
    return r;
  }
  std::string current = remove_spans(text, r.findings);
  for (int round = 1; round < kMaxOmitRounds; ++round) {
    auto again = detect(current);
    if (again.empty()) {
      r.text = std::move(current);
      return r;
    }
    current = remove_spans(current, again);
  }
  if (detect(current).empty()) {
    r.text = std::move(current);
    return r;
  }
  r.blocked = true;  // removal keeps producing matches
  r.text = std::string(text);
  return r;
}

}  // namespace rg::rails::safety
