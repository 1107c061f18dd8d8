#!/usr/bin/env python3
"""End-to-end test of the chat page (rails/server/chat_ui/index.html) in
headless Chromium, driven over WebDriver (Debian's chromium-driver) with the
standard library only. Nothing is downloaded.

  chat_ui_test.py --railguard build/bin/railguard --config tests/server/data/ui_config
  chat_ui_test.py --mock          # against tests/server/mock_server.py instead
  ... --prefix /rails              # the server runs under --prefix /rails

Steps: start the server on a free loopback port and wait for /health; start
chromedriver on another free port; open the page (under the prefix, if any);
wait for the config selector; send "hello" with the button (a streamed
request) and check the bot's text; turn on details, send a politics question with Enter (non-streamed,
with the log) and check the refusal and that the rail "politics" is listed;
send to a config that does not exist and check that the HTTP error's message
is shown; reset and check that the conversation is empty.

Exit 0: passed; 1: failed (the reason is printed, with the page's text);
77: skipped (chromium or chromedriver is not installed).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
GREETING = "Hello there! I can chat, but I stay away from politics."
REFUSAL = "Sorry, I don't talk about politics."
RAIL = "politics"
ENTER = "\ue007"  # WebDriver's Enter key


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            text = res.read().decode()
    except urllib.error.HTTPError as e:
        text = e.read().decode()
    return json.loads(text) if text else None


def wait_for(what, probe, timeout=20.0, proc=None):
    """Calls probe() until it returns something truthy; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Failure("%s: the process exited with status %d" % (what, proc.returncode))
        try:
            last = probe()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise Failure("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


class Browser:
    """The few WebDriver commands the test needs."""

    def __init__(self, driver_url, chromium, profile):
        self.url = driver_url
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + profile, "--window-size=1000,800"]},
        }}}
        res = http("POST", self.url + "/session", caps, timeout=60)
        value = res.get("value", {})
        if "sessionId" not in value:
            raise Failure("chromedriver could not start Chromium: %s" % value.get("message", res))
        self.session = self.url + "/session/" + value["sessionId"]

    def cmd(self, method, path, body=None):
        res = http(method, self.session + path, body)
        value = res.get("value") if isinstance(res, dict) else None
        if isinstance(value, dict) and "error" in value:
            raise Failure("WebDriver %s %s: %s: %s" % (method, path, value["error"], value.get("message", "")))
        return value

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        value = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(value.values()))

    def type(self, css, text):
        self.cmd("POST", "/element/%s/value" % self.find(css), {"text": text})

    def click(self, css):
        self.cmd("POST", "/element/%s/click" % self.find(css), {})

    def quit(self):
        try:
            http("DELETE", self.session, timeout=10)
        except Exception:
            pass


def bot_texts(browser):
    return browser.js("return [...document.querySelectorAll('#messages .bot .text')]"
                      ".map(e => [e.textContent, e.parentElement.getAttribute('aria-busy')]);")


def wait_bot(browser, index, expected):
    def probe():
        bots = bot_texts(browser)
        return len(bots) > index and bots[index][1] == "false" and bots[index][0]
    got = wait_for("bot message %d" % (index + 1), probe)
    if got != expected:
        raise Failure("bot message %d is %r, expected %r" % (index + 1, got, expected))


# Wraps fetch to record the JSON bodies the page sends, and counts the
# distinct texts the first bot message goes through (streamed display).
SPY = """
const realFetch = window.fetch;
window.__sent = [];
window.fetch = (url, opts) => {
  if (opts && opts.body) window.__sent.push(JSON.parse(opts.body));
  return realFetch(url, opts);
};
window.__seen = new Set();
new MutationObserver(() => {
  const t = document.querySelector('#messages .bot .text');
  if (t) window.__seen.add(t.textContent);
}).observe(document.querySelector('#messages'), {subtree: true, childList: true, characterData: true});
"""


def run(browser, page, expect_pieces):
    browser.cmd("POST", "/url", {"url": page})
    configs = wait_for("the config selector to be filled",
                       lambda: browser.js("return [...document.querySelectorAll('#config option')].map(o => o.value);"))
    print("configs:", configs)
    if "ui_config" not in configs:
        raise Failure("config selector holds %r, expected ui_config" % configs)
    browser.js("document.querySelector('#config').value = 'ui_config';")
    browser.js(SPY)

    # 1. Details off: a streamed request, sent with the button.
    browser.type("#input", "hello")
    browser.click("#send")
    wait_bot(browser, 0, GREETING)
    sent = browser.js("return window.__sent;")
    if not sent or sent[0].get("stream") is not True or sent[0].get("config_id") != "ui_config" \
            or sent[0].get("messages") != [{"role": "user", "content": "hello"}]:
        raise Failure("the first request was %r, expected a streamed request for ui_config with one message" % sent)
    states = browser.js("return window.__seen.size;")
    print("answer:", GREETING, "(%d display states)" % states)
    if expect_pieces and states < 3:
        raise Failure("the streamed answer was displayed in %d state(s), expected it to grow piece by piece" % states)

    # 2. Details on: a request with the log, sent with Enter.
    browser.click("#details-toggle")
    if not browser.js("return document.querySelector('#details-toggle').checked;"):
        raise Failure("#details-toggle did not turn on")
    browser.type("#input", "who should I vote for in the election?" + ENTER)
    wait_bot(browser, 1, REFUSAL)
    second = browser.js("return window.__sent[1];")
    if second.get("stream") or (second.get("options") or {}).get("log") != {"activated_rails": True, "llm_calls": True} \
            or len(second.get("messages", [])) != 3:
        raise Failure("the request with details on was %r, expected a non-streamed one asking for the log "
                      "with the whole conversation (3 messages)" % second)
    rails = wait_for("the activated rails under the second answer", lambda: browser.js(
        "const b = document.querySelectorAll('#messages .bot')[1];"
        "const d = b && b.querySelector('.details');"
        "if (!d || getComputedStyle(d).display === 'none') return null;"
        "return [...d.querySelectorAll('.rail-name')].map(e => e.textContent);"), timeout=5)
    print("activated rails:", rails)
    if RAIL not in rails:
        raise Failure("rail %r not among the shown activated rails %r" % (RAIL, rails))

    # 3. An HTTP error shows the server's message.
    browser.js("const s = document.querySelector('#config');"
               "s.add(new Option('no-such-config', 'no-such-config', true, true));")
    browser.type("#input", "hello" + ENTER)
    err = wait_for("an error message", lambda: browser.js(
        "const e = document.querySelector('#messages .error .text'); return e && e.textContent;"))
    print("error shown:", err)
    if "404" not in err or len(err) < 12:
        raise Failure("error message %r does not carry the HTTP status and the server's message" % err)

    # 4. Reset empties the conversation.
    browser.click("#reset")
    left = browser.js("return document.querySelector('#messages').children.length;")
    if left != 0:
        raise Failure("after reset the conversation still has %d element(s)" % left)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--railguard", default=os.environ.get("RAILGUARD", "build/bin/railguard"))
    ap.add_argument("--config", default=os.path.join(HERE, "data", "ui_config"))
    ap.add_argument("--mock", action="store_true", help="use tests/server/mock_server.py")
    ap.add_argument("--prefix", default="", help="run the server under this --prefix")
    args = ap.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        print("SKIP: chat_ui_test needs chromium and chromedriver "
              "(Debian: apt-get install chromium chromium-driver); not found", flush=True)
        return 77

    procs, tmp = [], tempfile.mkdtemp(prefix="rg-chat-ui-")
    browser = None
    try:
        port = free_port()
        if args.mock:
            cmd = [sys.executable, os.path.join(HERE, "mock_server.py"), "--port", str(port)]
        else:
            cmd = [args.railguard, "server", "--config", args.config, "--port", str(port),
                   "--data-dir", os.path.join(tmp, "data")]
        if args.prefix:
            cmd += ["--prefix", args.prefix]
        server_log = open(os.path.join(tmp, "server.log"), "w")
        procs.append(subprocess.Popen(cmd, stdout=server_log, stderr=subprocess.STDOUT))
        base = "http://127.0.0.1:%d" % port + args.prefix.rstrip("/")  # every route is under --prefix
        wait_for("the server's /health (%s)" % " ".join(cmd),
                 lambda: urllib.request.urlopen(base + "/health", timeout=2).status == 200, proc=procs[0])

        dport = free_port()
        procs.append(subprocess.Popen([driver, "--port=%d" % dport],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        durl = "http://127.0.0.1:%d" % dport
        wait_for("chromedriver", lambda: http("GET", durl + "/status", timeout=2)["value"]["ready"], proc=procs[1])
        browser = Browser(durl, chromium, os.path.join(tmp, "profile"))
        try:
            run(browser, base + "/", expect_pieces=args.mock)
        except Failure:
            try:
                print("page text:\n" + browser.js("return document.body.innerText;"), file=sys.stderr)
            except Exception:
                pass
            raise
        print("PASS: chat UI end to end (%s)" % ("mock server" if args.mock else "railguard server"))
        return 0
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        log = os.path.join(tmp, "server.log")
        if os.path.exists(log):
            with open(log) as f:
                tail = f.read()[-3000:]
            if tail:
                print("server output (last 3000 chars):\n" + tail, file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
