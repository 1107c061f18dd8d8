#!/usr/bin/env python3
"""Writes pii_labelled.jsonl: labelled sentences for the sensitive-data
recognizers (rails/safety/). Values are generated from the standards (Luhn
check digits, ISO 13616 mod-97 IBAN check digits, SSA area/group/serial
ranges, NANP area/exchange rules), sentences from hand-written templates;
clean look-alikes are hand-written plus generated near-misses (numbers that
fail Luhn, SSN rules, mod-97). Deterministic: python3 make_pii_labelled.py

Each line: {"text": ..., "entities": [{"type": ..., "value": ...}]}.
"""
import json
import random
import string
import sys
from pathlib import Path

R = random.Random(20240611)
OUT = []


def add(text, *ents):
    for typ, val in ents:
        assert val in text, (val, text)
    OUT.append({"text": text, "entities": [{"type": t, "value": v} for t, v in ents]})


def pick(xs):
    return R.choice(xs)


# ---------------------------------------------------------------- EMAIL_ADDRESS
FIRST = ["jane", "john", "maria", "li", "ahmed", "olga", "pierre", "sven", "priya", "kenji", "ana", "tom",
         "fatima", "lucas", "emma", "noah", "chen", "sara", "david", "ines"]
LAST = ["doe", "smith", "garcia", "wang", "khan", "ivanova", "dubois", "berg", "sharma", "tanaka", "silva",
        "brown", "haddad", "muller", "jones", "nguyen", "costa", "lee", "martin", "rossi"]
DOMAINS = ["example.com", "mail.example.org", "acme-corp.io", "uni-heidelberg.de", "company.co.uk", "startup.ai",
           "gmail.com", "outlook.com", "proton.me", "school.edu", "agency.gov", "shop.store", "firma.ch",
           "studio.design", "research.institute", "post.example.net", "cloud.dev", "example.fr", "mycorp.com.au",
           "test-lab.info"]


def email():
    f, l = pick(FIRST), pick(LAST)
    local = pick([f"{f}.{l}", f"{f}_{l}", f"{f}{R.randint(1, 99)}", f"{f[0]}{l}", f"{f}+news", f"{f}.{l}.{R.randint(70, 99)}",
                  f"{l}-{f}", f"{f.upper()}.{l.capitalize()}"])
    return f"{local}@{pick(DOMAINS)}"


EMAIL_T = ["Contact me at {} if anything changes.", "My email is {}", "Send the invoice to <{}>.",
           "You can reach our support team ({}) any time.", "{} is my work address, please use it.",
           "Email: {}", "Please CC {} on the thread.", "The login is {}, password reset didn't work.",
           "Forward it to {}; she handles refunds.", "reply to {} with the signed form",
           "My new address is {}. The old one is gone.", "Is {} a valid address for the newsletter?",
           "write to {} and mention your order", "\"{}\" bounced yesterday", "From: {}",
           "Her personal mail — {} — is on the form."]

for i in range(46):
    v = email()
    add(EMAIL_T[i % len(EMAIL_T)].format(v), ("EMAIL_ADDRESS", v))

# ---------------------------------------------------------------- PHONE_NUMBER
AREAS = ["212", "415", "646", "312", "617", "206", "303", "512", "713", "305", "404", "503", "702", "919", "480",
         "202", "718", "650", "800", "888", "604", "416", "514"]


def nanp_parts():
    a = pick(AREAS)
    e = str(R.randint(2, 9)) + f"{R.randint(0, 99):02d}"
    if e[1:] == "11":
        e = e[0] + "23"
    s = f"{R.randint(0, 9999):04d}"
    return a, e, s


def us_phone():
    a, e, s = nanp_parts()
    return pick([f"({a}) {e}-{s}", f"{a}-{e}-{s}", f"{a}.{e}.{s}", f"+1 {a} {e} {s}", f"+1-{a}-{e}-{s}",
                 f"1-{a}-{e}-{s}", f"+1{a}{e}{s}", f"+1 ({a}) {e}-{s}", f"{a} {e} {s}"])


def d(n):
    return "".join(str(R.randint(0, 9)) for _ in range(n))


def intl_phone():
    return pick([
        lambda: f"+44 20 {R.randint(3000, 8999)} {d(4)}", lambda: f"020 {R.randint(3000, 8999)} {d(4)}",
        lambda: f"07{R.randint(100, 999)} {d(6)}", lambda: f"+44 7{R.randint(100, 999)} {d(6)}",
        lambda: f"+44 (0)20 {R.randint(3000, 8999)} {d(4)}", lambda: f"0161 {R.randint(200, 999)} {d(4)}",
        lambda: f"+49 30 {d(8)}", lambda: f"030 {d(8)}", lambda: f"0151 {d(8)}", lambda: f"+49 151 {d(8)}",
        lambda: f"089/{R.randint(1000000, 9999999)}", lambda: f"(030) {d(4)} {d(4)}",
        lambda: f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}", lambda: f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"01 {d(2)} {d(2)} {d(2)} {d(2)}", lambda: f"06.{d(2)}.{d(2)}.{d(2)}.{d(2)}",
        lambda: f"+91 {R.randint(70000, 99999)} {d(5)}", lambda: f"+91-{R.randint(70000, 99999)}-{d(5)}",
        lambda: f"{R.randint(70000, 99999)} {d(5)}", lambda: f"+61 2 {d(4)} {d(4)}", lambda: f"0412 {d(3)} {d(3)}",
        lambda: f"+61 412 {d(3)} {d(3)}", lambda: f"02 {d(4)} {d(4)}", lambda: f"+81 3-{d(4)}-{d(4)}",
        lambda: f"+34 6{d(2)} {d(2)} {d(2)} {d(2)}", lambda: f"+39 06 {d(4)} {d(4)}", lambda: f"+31 20 {d(3)} {d(4)}",
        lambda: f"+55 11 9{d(4)}-{d(4)}", lambda: f"+86 138 {d(4)} {d(4)}", lambda: f"+971 50 {d(3)} {d(4)}",
        lambda: f"+65 6{d(3)} {d(4)}", lambda: f"+353 1 {d(3)} {d(4)}", lambda: f"+27 21 {d(3)} {d(4)}",
        lambda: f"+52 55 {d(4)} {d(4)}", lambda: f"0044 20 {R.randint(3000, 8999)} {d(4)}",
        lambda: f"+4930{d(8)}", lambda: f"+41 44 {d(3)} {d(2)} {d(2)}", lambda: f"06-{d(8)}",
    ])()


PHONE_T = ["Call me at {} after six.", "My phone number is {}.", "You can reach the front desk on {}",
           "Tel: {}", "Text {} when you arrive.", "her mobile is {}, but she rarely answers",
           "For urgent issues dial {} (24/7).", "The hotline ({}) is free.", "{} is the number on the card.",
           "Please ring {} to confirm.", "WhatsApp me: {}", "Our office line is {} and the fax is gone.",
           "I changed my cell to {} last month.", "Contact: {}", "Give {} a call tomorrow morning.",
           "Reach Dr. Patel's office at {}."]

for i in range(30):
    v = us_phone()
    add(PHONE_T[i % len(PHONE_T)].format(v), ("PHONE_NUMBER", v))
for i in range(40):
    v = intl_phone()
    add(PHONE_T[(i + 5) % len(PHONE_T)].format(v), ("PHONE_NUMBER", v))


# ---------------------------------------------------------------- CREDIT_CARD
def luhn_digit(body):
    s = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        s += n
    return str((10 - s % 10) % 10)


def luhn_ok(num):
    return luhn_digit(num[:-1]) == num[-1]


def card():
    prefix, length, groups = pick([
        ("4", 16, [4, 4, 4, 4]), ("4", 16, [4, 4, 4, 4]), ("5" + str(R.randint(1, 5)), 16, [4, 4, 4, 4]),
        (str(R.randint(2221, 2720)), 16, [4, 4, 4, 4]), ("3" + pick("47"), 15, [4, 6, 5]),
        ("6011", 16, [4, 4, 4, 4]), ("65", 16, [4, 4, 4, 4]), (str(R.randint(3528, 3589)), 16, [4, 4, 4, 4]),
        ("36", 14, [4, 6, 4]), ("62", 16, [4, 4, 4, 4]), ("62", 19, [4, 4, 4, 4, 3]), ("4", 13, [4, 4, 5]),
    ])
    body = prefix + d(length - len(prefix) - 1)
    num = body + luhn_digit(body)
    sep = pick([" ", " ", "-", ""])
    out, i = [], 0
    for g in groups:
        out.append(num[i:i + g])
        i += g
    return sep.join(out)


CARD_T = ["Charge it to my card {} please.", "Card number: {}", "I paid with {} but got no receipt.",
          "my visa is {} exp 09/27", "Use the corporate card ({}) for the hotel.", "{} was declined twice",
          "The card on file ends... actually it's {}.", "CC# {}", "Please update billing to {} today.",
          "Refund to card {}, thanks.", "He read out {} over the phone.", "new card: {}; old one expired"]
for i in range(46):
    v = card()
    add(CARD_T[i % len(CARD_T)].format(v), ("CREDIT_CARD", v))


# ---------------------------------------------------------------- US_SSN
def ssn_parts():
    while True:
        a = R.randint(1, 899)
        if a != 666:
            break
    return f"{a:03d}", f"{R.randint(1, 99):02d}", f"{R.randint(1, 9999):04d}"


SSN_T = ["My SSN is {}.", "Social Security Number: {}", "ssn {} (please keep it private)",
         "Her social security number is {} and she was born in Ohio.", "I entered {} as the SSN but it failed",
         "SSN: {}", "The form asks for the social security no. — mine is {}.", "{} is my social security number",
         "Applicant SSN {}", "Can you verify SSN {} for the loan?"]
for i in range(44):
    a, g, s = ssn_parts()
    fmt = pick(["-", "-", "-", " ", ""])
    v = fmt.join([a, g, s])
    add(SSN_T[i % len(SSN_T)].format(v), ("US_SSN", v))
# Dashed SSNs need no context word.
for t in ["Number on file: {}.", "It reads {} on the card.", "Use {} for the test account."]:
    a, g, s = ssn_parts()
    v = f"{a}-{g}-{s}"
    add(t.format(v), ("US_SSN", v))

# ---------------------------------------------------------------- IBAN_CODE
IBAN_LEN = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "CH": 21, "AT": 20, "PL": 28,
            "SE": 24, "NO": 15, "DK": 18, "FI": 18, "IE": 22, "PT": 25, "LU": 20, "SA": 24, "AE": 23, "TR": 26}


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = "".join(str(int(ch, 36)) for ch in s)
    return f"{98 - int(n) % 97:02d}"


def iban(country=None):
    cc = country or pick(list(IBAN_LEN))
    n = IBAN_LEN[cc] - 4
    if cc in ("GB", "IE"):
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + d(n - 4)
    elif cc == "NL":
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + d(n - 4)
    elif cc == "IT":
        bban = R.choice(string.ascii_uppercase) + d(n - 1)
    else:
        bban = d(n)
    compact = cc + iban_check(cc, bban) + bban
    if R.random() < 0.55:
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    return compact


IBAN_T = ["Please wire the money to IBAN {}.", "IBAN: {}", "My account is {} (Sparkasse).",
          "Transfer the deposit to {} by Friday.", "Bank details — {}, BIC on request.",
          "{} is the company account.", "Could you double-check {} before sending?",
          "refund to {} please", "The payee's IBAN reads {}", "Use {} for the rent."]
for i in range(46):
    v = iban()
    add(IBAN_T[i % len(IBAN_T)].format(v), ("IBAN_CODE", v))


# ---------------------------------------------------------------- IP_ADDRESS
def ipv4():
    return pick([f"192.168.{R.randint(0, 255)}.{R.randint(1, 254)}", f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
                 f"172.{R.randint(16, 31)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
                 f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}", "8.8.8.8", "127.0.0.1"])


def h():
    return f"{R.randint(0, 0xffff):x}"


def ipv6():
    return pick([
        lambda: "2001:db8::" + h(), lambda: "fe80::" + ":".join(h() for _ in range(4)), lambda: "::1",
        lambda: ":".join(f"{R.randint(0, 0xffff):04x}" for _ in range(8)),
        lambda: "2001:db8:" + h() + "::" + h() + ":" + h(), lambda: "::ffff:192.0.2." + str(R.randint(1, 254)),
        lambda: ("2001:DB8:" + h() + ":" + h() + "::" + h()).upper(), lambda: "2606:4700:4700::1111",
        lambda: "fe80::1%eth0", lambda: "2001:0db8:85a3:0000:0000:8a2e:0370:7334", lambda: "2001:db8:85a3::8a2e:370:7334",
    ])()


IP_T = ["The server is at {}.", "ping {} and tell me the latency", "Blocked requests from {} overnight.",
        "IP: {}", "Set the gateway to {}, then reboot.", "My home IP is {} — is that leaking?",
        "ssh into {} with the deploy key", "Traffic spiked from {} at noon.", "({}) is the DNS resolver",
        "Whitelist {} in the firewall."]
for i in range(28):
    v = ipv4()
    add(IP_T[i % len(IP_T)].format(v), ("IP_ADDRESS", v))
for i in range(22):
    v = ipv6()
    add(IP_T[(i + 3) % len(IP_T)].format(v), ("IP_ADDRESS", v))

# ---------------------------------------------------------------- URL
WORDS = ["docs", "blog", "shop", "account", "help", "news", "api", "files", "portal", "wiki"]
SITES = ["example.com", "example.org", "acme-corp.io", "my-site.net", "university.edu", "service.co.uk",
         "company.de", "startup.ai", "news.example.com", "store.example.fr"]


def url():
    site = pick(SITES)
    path = "/".join(pick(WORDS) for _ in range(R.randint(0, 3)))
    q = pick(["", "?id=" + d(4), "?q=reset+password&lang=en", "#section-2", "?utm_source=mail&page=" + d(1)])
    tail = ("/" + path if path else "") + q
    return pick([f"https://{site}{tail}", f"http://{site}{tail}", f"https://www.{site}{tail}", f"www.{site}{tail}",
                 f"http://localhost:{R.randint(3000, 9000)}/{pick(WORDS)}", f"ftp://files.{site}/pub/{pick(WORDS)}.tar.gz",
                 f"https://{site}:8443/{pick(WORDS)}", f"{site}/{pick(WORDS)}", f"https://{pick(WORDS)}.{site}/",
                 f"https://192.168.{R.randint(0, 255)}.{R.randint(1, 254)}:8080/admin"])


URL_T = ["See {} for details.", "The docs live at {}", "Click {} to reset your password.",
         "I found it on {} yesterday.", "Link: {}", "({}) has the full changelog",
         "Download from {} and unzip.", "Is {} a phishing site?", "open {} in a private window",
         "Bookmark {}; it's the new portal."]
for i in range(44):
    v = url()
    add(URL_T[i % len(URL_T)].format(v), ("URL", v))
for v in ["github.com/railguard/railguard", "docs.python.org/3/library/re.html", "google.com", "wikipedia.org",
          "bbc.co.uk"]:
    add(f"Have a look at {v} when you get a chance.", ("URL", v))

# ---------------------------------------------------------------- DATE_TIME
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ABBR = ["Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def date():
    y, m, dd = R.randint(1950, 2030), R.randint(1, 12), R.randint(1, 28)
    hh, mm = R.randint(0, 23), R.randint(0, 59)
    h12 = R.randint(1, 12)
    suf = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(dd, "th")
    return pick([
        f"{MONTHS[m - 1]} {dd}, {y}", f"{dd} {MONTHS[m - 1]} {y}", f"{y}-{m:02d}-{dd:02d}", f"{m:02d}/{dd:02d}/{y}",
        f"{dd:02d}.{m:02d}.{y}", f"{m}/{dd}/{y % 100:02d}", f"{dd}-{m:02d}-{y}", f"{pick(ABBR)} {dd}",
        f"{MONTHS[m - 1]} {dd}{suf}", f"{dd}{suf} of {MONTHS[m - 1]}", f"{MONTHS[m - 1]} {y}",
        f"{pick(DAYS)}, {MONTHS[m - 1]} {dd}, {y}", f"{hh:02d}:{mm:02d}", f"{h12}:{mm:02d} {pick(['pm', 'am', 'PM', 'AM'])}",
        f"{h12}{pick(['am', 'pm'])}", f"{y}-{m:02d}-{dd:02d}T{hh:02d}:{mm:02d}:00Z", f"{y}-{m:02d}-{dd:02d} {hh:02d}:{mm:02d}",
        f"{MONTHS[m - 1]} {dd}, {y} at {h12}:{mm:02d} PM", f"{pick(ABBR)}. {dd}, {y}", f"{hh:02d}:{mm:02d}:{R.randint(0, 59):02d}",
        f"{y}/{m:02d}/{dd:02d}",
    ])


DATE_T = ["The appointment is on {}.", "I was born {} in a small town.", "Deadline: {}",
          "We met {} and talked for hours.", "Your flight departs {}, gate B12.", "The invoice dated {} is overdue",
          "Let's meet {} at the cafe.", "Log entry {} shows the crash.", "Starting {} the office moves.",
          "Registered {} — see attached."]
for i in range(50):
    v = date()
    add(DATE_T[i % len(DATE_T)].format(v), ("DATE_TIME", v))

# ---------------------------------------------------------------- US_PASSPORT
PASS_T = ["My passport number is {}.", "Passport: {}", "US passport no. {} expires next year.",
          "Please enter passport {} in the booking.", "{} is the passport number on file",
          "Her passport ({}) was renewed.", "passport # {}", "The passport number {} does not match the visa."]
for i in range(42):
    v = pick([d(9), R.choice(string.ascii_uppercase) + d(8)])
    if v[0] == "0":
        v = "5" + v[1:]
    add(PASS_T[i % len(PASS_T)].format(v), ("US_PASSPORT", v))

# ---------------------------------------------------------------- US_DRIVER_LICENSE
def dl():
    L = R.choice(string.ascii_uppercase)
    return pick([f"{L}{d(7)}", f"{L}{d(12)}", f"{L}{d(3)}-{d(4)}-{d(4)}", f"{L}{d(3)}-{d(3)}-{d(2)}-{d(3)}-{d(1)}",
                 f"{R.randint(10000000, 99999999)}", f"{L}{d(8)}", f"{L}{L}{d(6)}", f"{d(3)} {d(3)} {d(3)}"])


DL_T = ["My driver's license number is {}.", "Driver license: {}", "DL# {}", "driving licence no. {} (California)",
        "Her drivers license {} was suspended.", "Please verify driver's license {}",
        "{} is the DL number on the rental form.", "Driver's licence {}, issued in Texas."]
for i in range(42):
    v = dl()
    add(DL_T[i % len(DL_T)].format(v), ("US_DRIVER_LICENSE", v))

# ---------------------------------------------------------------- mixed lines
for _ in range(12):
    e, p = email(), us_phone()
    add(f"Reach me at {e} or {p}.", ("EMAIL_ADDRESS", e), ("PHONE_NUMBER", p))
for _ in range(6):
    c, dt = card(), date()
    if any(ch.isalpha() for ch in dt) or "/" not in dt:
        add(f"Card {c} was charged on {dt}.", ("CREDIT_CARD", c), ("DATE_TIME", dt))

# ---------------------------------------------------------------- clean look-alikes
NEG = [
    "Order #212-555-0147 has shipped.", "Your order 4567-8812-334 is ready for pickup.",
    "Please upgrade to version 10.2 before Friday.", "We are on v2.3.1 in production.",
    "Python 3.11.4 fixed the bug.", "release 1.2.10 is out", "Windows build 10.0.19045.2965 crashed.",
    "firmware 4.2.1.7 is required", "It costs $1,299.99 plus tax.", "The total was €45.50.",
    "The game ended 3-2 after extra time.", "Use a 16:9 aspect ratio.", "Read John 3:16 again.",
    "e-mail me at home tonight", "contact me @ the office", "ping me on the user@localhost account",
    "the retina asset is icon@2x.png", "follow @john_doe for updates", "Edit config.yml and README.md.",
    "Run main.py, then node.js builds the bundle.", "See flows.co for the rail definitions.",
    "Open index.html in a browser.", "ISBN 978-3-16-148410-0 is the first edition.", "ISBN 0-306-40615-2",
    "The MAC address is 00:1A:2B:3C:4D:5E.", "Use std::vector instead of raw arrays.", "The type is A::B.",
    "Invalid address 999.10.10.10 rejected.", "256.1.1.1 is not an address", "Section 1.2.3 covers this.",
    "February 30 never happens.", "The date 2023-02-30 is invalid.", "31/04/2024 is not a real day.",
    "Add 3/4 cup of sugar.", "Half (1/2) of the team agreed.", "Call 911 in an emergency.", "Room 1204, third floor.",
    "The ZIP code is 90210-1234.", "Population: 1,000,000 people.", "Route 66 is iconic.",
    "We flew on a Boeing 747-400.", "COVID-19 cases dropped.", "Print on A4 paper.", "The video is 1080p.",
    "24/7 support is included.", "The 9/11 memorial is in New York.", "In 2023 sales grew.", "Since 1999 we have grown.",
    "The 1990s were fun.", "Q3 2024 results are in.", "May I help you?", "We march forward 10 steps.",
    "Windows 10 and Office 365 are installed.", "My card ends in 1234.", "Reference A12345678 refers to the invoice.",
    "Product code B1234567 is discontinued.", "The result was 42.", "Gate B12 opens soon.",
    "Temperature reached 37.5 degrees.", "He scored 110-102 in the final.", "chapter 12.3 explains it",
    "I am 5 feet 11 inches tall.", "The file is 2.5 MB.", "Pi is about 3.14159.", "Lot 4421-B was recalled.",
    "The tracking number is 1Z999AA10123456784.", "Invoice INV-2024-00042 is due.", "Ticket #88213 was closed.",
    "Serial SN-5523-9981-0041", "SKU 400-123-55", "Account 12-3456-7 is dormant.",
    "See e.g. the appendix, i.e. section B.", "Mr.Smith will arrive.", "U.S. policy changed.",
    "The meeting room fits 12 people.", "Set the timeout to 3000 ms.", "Increase the limit from 100 to 250.",
    "Use port 8080 for the dev server.", "The answer is 1 2 3 4 5 6 7 8 9 10.", "Scores: 98, 87, 76, 65.",
    "It weighs 1.200 kg.", "Our headcount is 4 500 employees.", "Coordinates 48.8584, 2.2945 mark the tower.",
    "The hash is 5d41402abc4b2a76b9719d911017c592.", "Build #4821 passed.", "PR 1234 was merged.",
    "The ratio 1:4 works well.", "It's 50% off today.", "Rated 4.5/5 by users.", "Size 10.5 shoes.",
    "Pay 3 x 49.99.", "Call of Duty 4 was released.", "Catch-22 is a novel.", "Area 51 is in Nevada.",
    "The email field was empty.", "Phone numbers are optional.", "Enter your IBAN below.",
    "Never share your SSN online.", "What is a passport number?", "Driver's license photos are required.",
    "Visit our website for more.", "The URL was broken.", "Dates are in ISO format.", "IP addresses are hashed.",
    "My credit card was stolen.", "She said www is short for world wide web.", "http is older than https.",
    "Use the format name@domain.", "Type user at example dot com.", "Dial zero for the operator.",
    "A 10-digit number is required.", "Version 2 is better than version 1.", "x86_64 and arm64 are supported.",
    "The 3-4-5 triangle is right-angled.", "A 2x4 plank.", "Part no. 55-1234 fits.", "Model T-1000.",
    "Blood pressure 120/80 is normal.", "Score 21-19 in the third set.", "The cipher key is ABCD-EFGH-IJKL.",
    "Use UTF-8 everywhere.", "Test case 4.2.1 failed.", "Latency p99 is 12.5 ms.", "Buy 2 get 1 free.",
    "Between 10 and 20 people came.", "Items 3, 5 and 7 are missing.", "He was 25 years old.",
    "The recipe serves 4 to 6.", "The stock fell 2.3% to 145.20.", "Year-over-year growth was 12%.",
]
# Generated near-misses: Luhn failures, SSN rule failures, mod-97 failures.
for _ in range(14):
    while True:
        body = "4" + d(15)
        if not luhn_ok(body):
            break
    v = " ".join(body[i:i + 4] for i in range(0, 16, 4))
    NEG.append(pick(["Tracking: {}", "Shipment {} is delayed.", "Reference code {} was issued."]).format(v))
for _ in range(6):
    while True:
        body = d(16)
        if body[0] not in "0123" and not luhn_ok(body):
            break
    NEG.append(f"Random id {body} generated.")
for v in ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120", "219-09-9999",
          "987-65-4321", "111-11-1111", "900-10-2000"]:
    NEG.append(f"Test number {v} is invalid for an SSN.")
for _ in range(6):
    good = iban().replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    NEG.append(f"The code {bad} failed validation.")
for v in ["(123) 456-7890", "123-456-7890", "555-011-1234"]:
    NEG.append(f"The sample {v} is not a real line.")

for t in NEG:
    add(t)

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("pii_labelled.jsonl")
with open(path, "w") as f:
    for o in OUT:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
pos = {}
for o in OUT:
    for e in o["entities"]:
        pos[e["type"]] = pos.get(e["type"], 0) + 1
print(len(OUT), "lines;", sum(1 for o in OUT if not o["entities"]), "clean;", pos, file=sys.stderr)
