#!/usr/bin/env python3
"""Differential test: our prompt template engine against Jinja itself.

Jinja (a default Environment, with NeMo's `indent` filter) is the oracle, as
RE2's tester uses its simple engine. Renders hand-picked templates and random
token soup with both and requires the same output, or an error from both.
The known divergences (documented in rails/prompts/template/template.h) are
left out of the templates.

  template_jinja_diff.py <template_render binary> [seed] [count]

Exits 77 (CTest: skipped) when the jinja2 module is not installed.
"""
import json
import random
import subprocess
import sys
import textwrap

try:
    import jinja2
except ImportError:
    print("jinja2 is not installed; skipping")
    sys.exit(77)

CONTEXT = {"x": "Hello World", "xs": [1, "two", [3, None], 2.5], "d": {"k": "v", "n": 2, "l": [1, 2]},
           "n": 3, "f": 1.5, "nn": None, "e": "", "t": True, "h": 'user "hi"\n  greet\nbot greet\n  "Hey"'}

MANUAL = [
    "{{ x }}{{ xs }}{{ d }}{{ n }}{{ f }}{{ nn }}{{ t }}",
    "{{ xs[2][0] }}{{ xs.1 }}{{ d.l[-1] }}{{ d['k'] }}{{ x[1:4] }}{{ xs[::-1] }}{{ x[::2] }}",
    "{{ 7 // -2 }} {{ -7 % -3 }} {{ 2 ** -1 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ 10 / 4 }} {{ 3 * 1.0 }}",
    "{{ x ~ n ~ nn ~ missing }}", "{{ n ~ 1 + 2 }}", "{{ 'a' ~ 1 + 2 }}", "{{ -n ** 2 }}", "{{ -1 | abs }}",
    "{{ not n > 2 }} {{ n > 2 and nn or 'z' }} {{ 1 if nn is none }}",
    "{% for a in xs %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.previtem }}{{ loop.nextitem }}|{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}", "{% for c in x if c != 'l' %}{{ c }}{% endfor %}",
    "  {%- if n %} yes {% else %} no {%- endif -%}  !",
    "a\n  {% for i in xs %}\n  - {{ i }}\n  {% endfor %}\nb\n",
    "{{ xs | join(', ') }} {{ d | join }} {{ x | list | length }} {{ d | length }} {{ x | first }}{{ xs | last }}",
    "{{ x | replace('o', '0') }} {{ x | replace('', '-') }} {{ x | replace('o', '0', 1) }} {{ x | lower | trim }}",
    "{{ ' 12 ' | int }} {{ '1_000' | int }} {{ '0x1A' | int(0, 16) }} {{ '1e3' | int }} {{ '3' | float }}",
    "{{ d | tojson }} {{ xs | tojson }} {{ x | tojson }} {{ f | tojson }} {{ 'a\"b\\\\c\\n<&>' | tojson }}",
    "{{ d | tojson(2) }}", "{{ missing | default('dv') }}{{ nn | default('dv', true) }}{{ e | d('x', boolean=true) }}",
    "{{ h | indent(4) }}", "{{ x | capitalize }} {{ 'hELLO wORLD' | capitalize }}",
    "{{ x is string }}{{ n is number }}{{ t is number }}{{ t is integer }}{{ d is mapping }}{{ x is sequence }}",
    "{{ x.split() }}{{ x.split('o', 1) }}{{ ' a '.strip() }}{{ 'aab'.lstrip('a') }}{{ d.get('zz') }}",
    "{% set q = [1, 2] %}{% for i in q %}{% set q = 5 %}{{ q }}{% endfor %}{{ q }}",
    "{{ [] | first }}|{{ missing | first }}|{{ '' | last }}|{{ missing | join }}|{{ missing | list }}|",
    "{{ 1 == 1.0 }}{{ [1, 2] < [1, 3] }}{{ 'b' > 'a' }}{{ 'a' in ['a'] }}{{ 2 in d }}",
    "{{ range(2, 10, 3) | list }}", "{{ 'x' * 3 }}{{ [0] * 2 }}{{ 2 * 'y' }}",
    "{{ 'abc'[-1] }}{{ 'abc'[5] }}|{{ xs[9] }}|", "{% if missing.x %}{% endif %}", "{{ missing | int(7) }}",
    "{{ nn.x }}", "{{ x.nope }}|", "{{ d.l.0 }}", "{{ \"it's\" }}{{ 'say \"hi\"' }}",
    "{#- c -#}  {{ 1 }}  {#- c #}", "{{ 5 is divisibleby 3 }}", "{{ True }}{{ TRUE }}",
    "{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }}{{ loop.length }},{% endfor %}{% endfor %}",
]

TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "-", " ", "\n", "x", "xs", "d", "n", "nn", "e", "loop", ".", "index",
    "[", "]", "(", ")", "0", "1", "-1", "'s'", "|", "upper", "join", "length", "first", "default('z')",
    "string", "if", "for", "in", "endif", "endfor", "else", "elif", "set", "=", "and", "or", "not", "is",
    "defined", "none", "~", "*", "+", "//", "%", ":", "1.5", "k", "items()", "true", "tojson", "int",
    "{%-", "-%}", "{{-", "-}}", "{% for i in xs %}", "{% endfor %}", "{% if n %}", "{% endif %}", "{% else %}",
    "loop.index", "loop.last", "'a b'", "replace('a','b')", "trim", "indent(2)", "[1, 2]",
    "{'k': 1}", "is defined", "is none", "is string", "x if n else e", "not in", "==", "!=", "<", ">=", "h",
    "{{ i }}", "{% set v = ", "\"q\"", "  ", "\t", "d.k", "xs[1:]", "count", "lower", "d | tojson", "abs",
    "{{ x }}", "{{ xs | join(',') }}", "{# note #}", "{#- note -#}", "{% raw %}", "{% endraw %}", "**", "/"]
# Left out: "," (Jinja prints a bare tuple `{{ a, b }}`; we do not support it) and "range(" alone
# (Jinja prints range objects as `range(0, 3)`).


def main():
    binary = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    env = jinja2.Environment()
    env.filters["indent"] = lambda text, n_spaces: textwrap.indent(text, " " * n_spaces)
    rng = random.Random(seed)
    cases = MANUAL + ["".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 18))) for _ in range(count)]
    stdin = "".join(json.dumps({"template": t, "context": CONTEXT}) + "\n" for t in cases)
    lines = subprocess.run([binary], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    failed = 0
    for template, line in zip(cases, lines):
        ours = json.loads(line)
        try:
            theirs = (True, env.from_string(template).render(**CONTEXT))
        except Exception as ex:  # any Jinja error: we must fail too
            theirs = (False, f"{type(ex).__name__}: {ex}")
        if theirs[0] == ours["ok"] and (not theirs[0] or theirs[1] == ours["out"]):
            continue
        failed += 1
        if failed <= 20:
            print(f"MISMATCH {template!r}\n  jinja: {theirs[1]!r}\n  ours:  "
                  f"{ours.get('out') if ours['ok'] else 'error: ' + ours['error']!r}")
    print(f"{len(cases) - failed} passed, {failed} failed (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
