#!/usr/bin/env python3
"""Deterministic generator for the Border PII/secret scanner evaluation corpus.

Writes scanner-corpus.jsonl next to this file: one JSON object per line,

    {"id": "...", "lang": "en|de|fr|es|zh|ja|ru|it|mixed",
     "text": "...", "entities": [{"type": "email", "text": "..."}]}

Every entity is an exact substring of ``text`` and entities are listed in
order of appearance. Negatives (ids ``neg-<lang>-NNN``) have no entities but
are full of look-alikes (order numbers, dates, versions, hashes, invalid
checksums, ...).

All values are synthetic: example.com/.org/.net mail domains, US 555-01xx,
UK Ofcom drama ranges, French ARCEP fiction ranges, documentation IP ranges,
Luhn/mod-97/GB 11643 check digits computed here for random bodies, random
key bodies for secrets. Only the Python standard library is used and the
output is fully determined by the seed below.

Run:  python3 make_corpus.py      (writes the corpus, then self-checks it)

Templates use ``⟦kind⟧`` / ``⟦kind:variant⟧`` placeholders. Entity kinds
(email, phone, card, iban, ssn, cnid, passport, ip4, ip6, geo, secret)
become labelled entities; every other kind is an unlabelled filler. After a
snippet is rendered it is run through a deliberately over-eager reference
detector (see ``detect``): in a negative nothing may be detected, and in a
positive every detection must overlap a labelled entity (and every entity
must be found). A failing rendering is retried with fresh random values, so
fillers can never accidentally form an unlabelled entity.
"""

import base64
import datetime
import ipaddress
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

SEED = 20261128
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scanner-corpus.jsonl")

LANGS = ["en", "de", "fr", "es", "it", "zh", "ja", "ru", "mixed"]
TYPES = ["email", "phone", "payment_card", "iban", "us_ssn", "cn_resident_id",
         "passport", "ip_address", "geo_coordinates", "secret"]

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = UPPER + LOWER + DIGITS
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"


# ---------------------------------------------------------------------------
# Checksums and validators (shared by the generator and the self-check)
# ---------------------------------------------------------------------------

def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def luhn_complete(body):
    for c in DIGITS:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_iin_ok(d):
    n = len(d)
    if not (13 <= n <= 19) or not d.isdigit():
        return False
    p2, p3, p4 = int(d[:2]), int(d[:3]), int(d[:4])
    if d[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if d.startswith("6011") or d.startswith("65") or 644 <= p3 <= 649:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if d.startswith("62"):
        return 16 <= n <= 19
    return False


def card_valid(text):
    if not re.fullmatch(r"\d+(?:[ -]\d+)*", text):
        return False
    seps = set(re.findall(r"[ -]", text))
    if len(seps) > 1:
        return False
    d = re.sub(r"[ -]", "", text)
    return card_iin_ok(d) and luhn_ok(d)


IBAN_LEN = {"DE": 22, "FR": 27, "GB": 22, "ES": 24, "IT": 27, "NL": 18,
            "CH": 21, "BE": 16, "AT": 20, "PL": 28}


def iban_mod97(s):
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


def iban_group(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_valid(text):
    s = text.replace(" ", "")
    if text not in (s, iban_group(s)):
        return False
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    return IBAN_LEN.get(s[:2]) == len(s) and iban_mod97(s) == 1


CN_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CN_MAP = "10X98765432"


def cn_check(body17):
    return CN_MAP[sum(int(a) * b for a, b in zip(body17, CN_W)) % 11]


def cnid_valid(s):
    if not re.fullmatch(r"[1-6]\d{16}[\dX]", s):
        return False
    try:
        bd = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return 1940 <= bd.year <= 2010 and cn_check(s[:17]) == s[17]


def ssn_parts_ok(a, g, s):
    a, g, s = int(a), int(g), int(s)
    return a != 0 and a != 666 and a < 900 and g != 0 and s != 0


def ssn_valid(text):
    m = re.fullmatch(r"(\d{3})([- ]?)(\d{2})\2(\d{4})", text)
    return bool(m) and ssn_parts_ok(m.group(1), m.group(3), m.group(4))


EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def email_valid(text):
    return bool(EMAIL_RE.fullmatch(text)) and ".." not in text and not text.startswith(".")


def passport_shape_ok(tok):
    if not re.fullmatch(r"[A-Z0-9]{6,9}", tok) or not re.search(r"\d", tok):
        return False
    return sum(c.isdigit() for c in tok) >= 5 or bool(re.fullmatch(r"[A-Z]{1,3}\d{4,8}", tok))


def ip_valid(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    if "." in text and ":" not in text:
        return all(p == "0" or not p.startswith("0") for p in text.split("."))
    return True


NUM = r"-?\d{1,3}\.\d{4,}"
DMS_ONE = r"\d{1,3}°\s?\d{1,2}['′]\s?\d{1,2}(?:\.\d+)?[\"″]\s?"
DMS_RE = re.compile(DMS_ONE + r"[NS][\s,]*" + DMS_ONE + r"[EW]")
GEO_DEC_RE = re.compile(r"(" + NUM + r")(\D{0,20}?)(" + NUM + r")")
GEO_HEMI_RE = re.compile(r"(\d{1,3}\.\d{4,})° ?([NS])(\D{1,6}?)(\d{1,3}\.\d{4,})° ?([EW])")


def geo_valid(text):
    if DMS_RE.fullmatch(text):
        return True
    m = GEO_HEMI_RE.fullmatch(text)
    if m:
        return float(m.group(1)) <= 90 and float(m.group(4)) <= 180
    m = GEO_DEC_RE.fullmatch(text)
    if m:
        return abs(float(m.group(1))) <= 90 and abs(float(m.group(3))) <= 180
    return False


SECRET_PATTERNS = [
    r"sk-proj-[A-Za-z0-9_-]{40,}",
    r"sk-[A-Za-z0-9]{20,}",
    r"ghp_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{50,}",
    r"xox[abprs]-[A-Za-z0-9-]{10,}",
    r"AKIA[A-Z0-9]{16}",
    r"AIza[A-Za-z0-9_-]{35}",
    r"glpat-[A-Za-z0-9_-]{20}",
    r"hf_[A-Za-z]{30,}",
    r"[sr]k_(?:live|test)_[A-Za-z0-9]{20,}",
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----\n.*?\n-----END (?:[A-Z]+ )?PRIVATE KEY-----",
]
SECRET_RES = [re.compile(p, re.S) for p in SECRET_PATTERNS]
ASSIGN_RE = re.compile(r"(?i)(?:api[_-]?key|apikey|token|secret|access[_-]?key|client[_-]?secret)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9_\-]{20,})")


def mixed_random(v):
    return (len(v) >= 20 and re.search(r"[A-Z]", v) and re.search(r"[a-z]", v)
            and re.search(r"\d", v))


def secret_valid(text):
    if any(r.fullmatch(text) for r in SECRET_RES):
        return True
    return bool(re.fullmatch(r"[A-Za-z0-9]{20,}", text)) and bool(mixed_random(text))


def phone_valid(text):
    if not re.fullmatch(r"\+?\(?\d[\d ().\-]*\d", text):
        return False
    n = sum(c.isdigit() for c in text)
    return 8 <= n <= 15


VALIDATORS = {
    "email": email_valid, "phone": phone_valid, "payment_card": card_valid,
    "iban": iban_valid, "us_ssn": ssn_valid, "cn_resident_id": cnid_valid,
    "passport": passport_shape_ok, "ip_address": ip_valid,
    "geo_coordinates": geo_valid, "secret": secret_valid,
}


# ---------------------------------------------------------------------------
# Reference detector: deliberately over-eager, used to prove negatives clean
# and positives complete.
# ---------------------------------------------------------------------------

PHONE_RES = [
    (re.compile(r"(?<![\w+])\+\d[\d ().\-]{5,}\d", re.A), 8),
    (re.compile(r"(?<!\w)\(\d{3}\) ?\d{3}[-. ]\d{4}(?!\d)", re.A), 0),
    (re.compile(r"(?<![\w.\-/])\d{3}([-. ])\d{3}\1\d{4}(?![\w\-])", re.A), 0),
    (re.compile(r"(?<![\w+.,/\-])(?<!\d )0[1-9]\d{0,3}(?:[ \-/]\d{2,8}){1,4}(?!\w)", re.A), 9),
    (re.compile(r"(?<!\w)0[1-9]\d{8,10}(?!\w)", re.A), 0),
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)", re.A), 0),
    (re.compile(r"(?<!\d)1[3-9]\d[ \-]\d{4}[ \-]\d{4}(?!\d)", re.A), 0),
]
PASSPORT_KW = re.compile(r"(?i)passport|reisepass|passeport|pasaporte|passaporto|护照|パスポート|旅券|паспорт|여권")
PASSPORT_TOK = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]{6,9}(?![A-Za-z0-9])")
IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
IPV6_RE = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?![0-9A-Za-z:])")
GEO_NUM_RE = re.compile(r"(?<![\d.])-?\d{1,3}\.\d{4,}(?!\d)")
GEO_TAIL_RE = re.compile(r"\s?°?\s?[NSEW](?![A-Za-z])")
DIGIT_RUN_RE = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*")


def detect(text):
    """Return a list of (type, start, end) candidate detections."""
    out = []
    for m in EMAIL_RE.finditer(text):
        out.append(("email", m.start(), m.end()))
    for rx, min_digits in PHONE_RES:
        for m in rx.finditer(text):
            n = sum(c.isdigit() for c in m.group(0))
            if min_digits == 9 and not (9 <= n <= 12):
                continue
            if min_digits == 8 and n < 8:
                continue
            out.append(("phone", m.start(), m.end()))
    # cards: any Luhn-valid 13-19 digit sequence of whole digit groups
    for m in DIGIT_RUN_RE.finditer(text):
        groups = [(g.start() + m.start(), g.end() + m.start(), g.group(0))
                  for g in re.finditer(r"\d+", m.group(0))]
        for i in range(len(groups)):
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_ok(digits):
                    out.append(("payment_card", groups[i][0], groups[j][1]))
    # IBAN
    for m in re.finditer(r"(?<![A-Za-z0-9])([A-Z]{2})\d{2}", text):
        L = IBAN_LEN.get(m.group(1))
        if not L:
            continue
        rest = text[m.start():]
        full, rem = divmod(L, 4)
        grouped = r"[A-Z0-9]{4}(?: [A-Z0-9]{4}){%d}" % (full - 1) + (r" [A-Z0-9]{%d}" % rem if rem else "")
        for pat in (r"[A-Z0-9]{%d}" % L, grouped):
            mm = re.match(pat + r"(?![A-Za-z0-9])", rest)
            if mm:
                s = mm.group(0).replace(" ", "")
                if iban_mod97(s) == 1:
                    out.append(("iban", m.start(), m.start() + mm.end()))
    # SSN
    for m in re.finditer(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])", text):
        if ssn_parts_ok(m.group(1), m.group(3), m.group(4)):
            out.append(("us_ssn", m.start(), m.end()))
    for m in re.finditer(r"(?i)(?:ssn|social security)(?:\s*(?:no\.?|number|#|nr\.?))?\s*[:=#]?\s*(\d{9})(?!\d)", text):
        out.append(("us_ssn", m.start(1), m.end(1)))
    # CN resident id (check character only: stricter than the definition)
    for m in re.finditer(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", text):
        if cn_check(m.group(0)[:17]) == m.group(0)[17].upper():
            out.append(("cn_resident_id", m.start(), m.end()))
    # passport: any passport-shaped token within 60 chars after a keyword
    for k in PASSPORT_KW.finditer(text):
        window = text[k.end():k.end() + 60]
        for t in PASSPORT_TOK.finditer(window):
            if passport_shape_ok(t.group(0)):
                out.append(("passport", k.end() + t.start(), k.end() + t.end()))
    # IP
    for m in IPV4_RE.finditer(text):
        if all(int(g) <= 255 for g in m.groups()):
            out.append(("ip_address", m.start(), m.end()))
    for m in IPV6_RE.finditer(text):
        tok = m.group(0)
        if tok.count(":") >= 2 and tok != "::":
            try:
                ipaddress.IPv6Address(tok)
            except ValueError:
                continue
            out.append(("ip_address", m.start(), m.end()))
    # geo: two precise decimals close together (no digits in between)
    nums = list(GEO_NUM_RE.finditer(text))
    for a, b in zip(nums, nums[1:]):
        gap = text[a.end():b.start()]
        if len(gap) <= 25 and not re.search(r"\d", gap):
            x, y = abs(float(a.group(0))), abs(float(b.group(0)))
            if x <= 90 and y <= 180:
                end = b.end()
                t = GEO_TAIL_RE.match(text, end)
                if t:
                    end = t.end()
                out.append(("geo_coordinates", a.start(), end))
    for m in DMS_RE.finditer(text):
        out.append(("geo_coordinates", m.start(), m.end()))
    # secrets
    for rx in SECRET_RES:
        for m in rx.finditer(text):
            out.append(("secret", m.start(), m.end()))
    for m in ASSIGN_RE.finditer(text):
        if mixed_random(m.group(1)):
            out.append(("secret", m.start(1), m.end(1)))
    return out


def entity_spans(text, entities):
    """Locate entities in order; returns list of (type, start, end) or None."""
    spans, cur = [], 0
    for e in entities:
        i = text.find(e["text"], cur)
        if i < 0:
            return None
        spans.append((e["type"], i, i + len(e["text"])))
        cur = i + len(e["text"])
    return spans


def problems(text, entities):
    """Return a list of problems; empty means the snippet is consistent."""
    probs = []
    spans = entity_spans(text, entities)
    if spans is None:
        return ["entity not found in order"]
    for e in entities:
        if not VALIDATORS[e["type"]](e["text"]):
            probs.append("invalid %s: %r" % (e["type"], e["text"]))
    dets = detect(text)
    for t, s, e in dets:
        if not any(s < pe and ps < e for _, ps, pe in spans):
            probs.append("unlabelled %s: %r" % (t, text[s:e]))
    for t, s, e in spans:
        if not any(dt == t and ds < e and s < de for dt, ds, de in dets):
            probs.append("undetected %s: %r" % (t, text[s:e]))
    if not entities:
        # negatives must survive even a scanner that ignores digit boundaries
        for run in re.finditer(r"\d{13,}", text):
            r = run.group(0)
            for i in range(len(r)):
                for n in range(13, 20):
                    sub = r[i:i + n]
                    if len(sub) == n and card_iin_ok(sub) and luhn_ok(sub):
                        probs.append("inner card-like digits: %r" % sub)
                    if n == 18 and cnid_valid(sub):
                        probs.append("inner cn id: %r" % sub)
    return probs


def exact_hits(text, entities):
    spans = entity_spans(text, entities)
    dets = set(detect(text))
    return sum(1 for sp in spans if sp in dets), len(spans)


# ---------------------------------------------------------------------------
# Fake people and small helpers
# ---------------------------------------------------------------------------

PEOPLE = {
    "en": [("Jane", "Doe", "jane", "doe"), ("John", "Smith", "john", "smith"),
           ("Emily", "Carter", "emily", "carter"), ("Michael", "Brown", "michael", "brown"),
           ("Sarah", "Miller", "sarah", "miller"), ("David", "Wilson", "david", "wilson"),
           ("Laura", "Bennett", "laura", "bennett"), ("Chris", "Taylor", "chris", "taylor")],
    "de": [("Max", "Mustermann", "max", "mustermann"), ("Erika", "Mustermann", "erika", "mustermann"),
           ("Lukas", "Becker", "lukas", "becker"), ("Anna", "Schmidt", "anna", "schmidt"),
           ("Jonas", "Weber", "jonas", "weber"), ("Lena", "Fischer", "lena", "fischer"),
           ("Jürgen", "Müller", "juergen", "mueller"), ("Sophie", "Wagner", "sophie", "wagner")],
    "fr": [("Jean", "Dupont", "jean", "dupont"), ("Marie", "Martin", "marie", "martin"),
           ("Camille", "Leroy", "camille", "leroy"), ("Lucas", "Bernard", "lucas", "bernard"),
           ("Chloé", "Dubois", "chloe", "dubois"), ("Hugo", "Moreau", "hugo", "moreau"),
           ("Léa", "Petit", "lea", "petit"), ("Nicolas", "Lefèvre", "nicolas", "lefevre")],
    "es": [("Juan", "Pérez", "juan", "perez"), ("María", "García", "maria", "garcia"),
           ("Lucía", "Fernández", "lucia", "fernandez"), ("Carlos", "López", "carlos", "lopez"),
           ("Ana", "Martínez", "ana", "martinez"), ("Javier", "Sánchez", "javier", "sanchez"),
           ("Sofía", "Romero", "sofia", "romero"), ("Diego", "Torres", "diego", "torres")],
    "it": [("Mario", "Rossi", "mario", "rossi"), ("Giulia", "Bianchi", "giulia", "bianchi"),
           ("Luca", "Ferrari", "luca", "ferrari"), ("Francesca", "Romano", "francesca", "romano"),
           ("Marco", "Colombo", "marco", "colombo"), ("Chiara", "Ricci", "chiara", "ricci"),
           ("Alessandro", "Conti", "alessandro", "conti"), ("Sara", "Greco", "sara", "greco")],
    "zh": [("伟", "张", "wei", "zhang"), ("芳", "王", "fang", "wang"), ("娜", "李", "na", "li"),
           ("洋", "刘", "yang", "liu"), ("静", "陈", "jing", "chen"), ("磊", "杨", "lei", "yang"),
           ("敏", "赵", "min", "zhao"), ("强", "黄", "qiang", "huang")],
    "ja": [("太郎", "山田", "taro", "yamada"), ("花子", "佐藤", "hanako", "sato"),
           ("一郎", "鈴木", "ichiro", "suzuki"), ("美咲", "高橋", "misaki", "takahashi"),
           ("健太", "田中", "kenta", "tanaka"), ("さくら", "伊藤", "sakura", "ito"),
           ("翔", "渡辺", "sho", "watanabe"), ("陽菜", "中村", "hina", "nakamura")],
    "ru": [("Иван", "Петров", "ivan", "petrov"), ("Анна", "Смирнова", "anna", "smirnova"),
           ("Дмитрий", "Кузнецов", "dmitry", "kuznetsov"), ("Елена", "Попова", "elena", "popova"),
           ("Сергей", "Волков", "sergey", "volkov"), ("Ольга", "Соколова", "olga", "sokolova"),
           ("Алексей", "Морозов", "alexey", "morozov"), ("Мария", "Лебедева", "maria", "lebedeva")],
}
PEOPLE["mixed"] = PEOPLE["en"] + PEOPLE["de"] + PEOPLE["fr"]


def full_name(p, lang):
    if lang in ("zh", "ja"):
        return p[1] + p[0]
    return p[0] + " " + p[1]


def d(rng, n, first_nonzero=False):
    s = "".join(rng.choice(DIGITS) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = rng.choice("123456789") + s[1:]
    return s


def rs(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed_token(rng, n):
    while True:
        v = rs(rng, ALNUM, n)
        if mixed_random(v):
            return v


# ---------------------------------------------------------------------------
# Entity generators
# ---------------------------------------------------------------------------

DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "eu.example.org",
           "support.example.net", "corp.example.com", "shop.example.org", "dev.example.net"]
ROLES = {"en": ["support", "billing", "info", "hr", "sales"],
         "de": ["kontakt", "buchhaltung", "info", "service"],
         "fr": ["contact", "facturation", "rh", "support"],
         "es": ["contacto", "facturacion", "soporte", "ventas"],
         "it": ["info", "amministrazione", "assistenza", "ordini"]}
TAGS = ["billing", "newsletter", "shop", "work", "test", "2024", "invoices"]


def gen_email(rng, var, lang, ctx):
    if ctx["emails"] == 0 and rng.random() < 0.7:
        p = ctx["person"]
    else:
        p = rng.choice(PEOPLE[lang])
    ctx["emails"] += 1
    f, l = p[2], p[3]
    style = var or rng.choice(["dot", "dot", "initial", "num", "underscore", "plus", "rev", "role"])
    if style == "role" and lang not in ROLES:
        style = "dot"
    local = {
        "dot": f + "." + l,
        "initial": f[0] + "." + l,
        "num": f + l + d(rng, 2, True),
        "underscore": f + "_" + l,
        "plus": f + "." + l + "+" + rng.choice(TAGS),
        "rev": l + "." + f,
        "role": rng.choice(ROLES.get(lang, ["support"])),
    }[style]
    return local + "@" + rng.choice(DOMAINS)


US_AREAS = ["201", "212", "303", "312", "415", "512", "617", "646", "702", "808", "917"]


def _555(rng):
    return "555", "01%02d" % rng.randrange(100)


def ph_us_paren(rng):
    a = rng.choice(US_AREAS); x, y = _555(rng)
    return "(%s) %s-%s" % (a, x, y)


def ph_us_dash(rng):
    a = rng.choice(US_AREAS); x, y = _555(rng)
    return "%s-%s-%s" % (a, x, y)


def ph_us_intl(rng):
    a = rng.choice(US_AREAS); x, y = _555(rng)
    return rng.choice(["+1 %s %s %s", "+1-%s-%s-%s", "+1 (%s) %s-%s", "+1.%s.%s.%s"]) % (a, x, y)


def ph_uk_land(rng):
    return "020 7946 0%03d" % rng.randrange(1000)


def ph_uk_mob(rng):
    return "07700 900%03d" % rng.randrange(1000)


def ph_uk_intl(rng):
    return rng.choice(["+44 20 7946 0%03d", "+44 7700 900%03d"]) % rng.randrange(1000)


DE_DRAMA = [("030", "23125"), ("040", "66969"), ("069", "90009"), ("089", "99998"), ("0221", "4710")]


def ph_de_land(rng):
    a, p = rng.choice(DE_DRAMA)
    return "%s %s%03d" % (a, p, rng.randrange(1000))


def ph_de_mob(rng):
    return rng.choice(["0151", "0152", "0160", "0170", "0176"]) + " " + d(rng, 8, True)


def ph_de_intl(rng):
    a, p = rng.choice(DE_DRAMA)
    if rng.random() < 0.35:
        return "+49 " + rng.choice(["151", "160", "176"]) + " " + d(rng, 8, True)
    return "+49 %s %s%03d" % (a[1:], p, rng.randrange(1000))


def ph_ch_intl(rng):
    return "+41 44 %s %s %s" % (d(rng, 3, True), d(rng, 2), d(rng, 2))


def ph_nl_intl(rng):
    return "+31 20 %s %s" % (d(rng, 3, True), d(rng, 4))


def ph_fr_land(rng):
    return "01 99 00 %s %s" % (d(rng, 2), d(rng, 2))


def ph_fr_mob(rng):
    return "06 39 98 %s %s" % (d(rng, 2), d(rng, 2))


def ph_fr_intl(rng):
    return rng.choice(["+33 1 99 00 %s %s", "+33 6 39 98 %s %s"]) % (d(rng, 2), d(rng, 2))


def ph_es_intl(rng):
    if rng.random() < 0.6:
        return "+34 6%s %s %s" % (d(rng, 2), d(rng, 3), d(rng, 3))
    return "+34 91%s %s %s" % (d(rng, 1), d(rng, 3), d(rng, 3))


def ph_mx_intl(rng):
    return "+52 55 %s %s" % (d(rng, 4, True), d(rng, 4))


def ph_it_intl(rng):
    if rng.random() < 0.5:
        return "+39 02 %s %s" % (d(rng, 4, True), d(rng, 4))
    return "+39 %s %s %s" % (rng.choice(["320", "328", "333", "335", "339", "340", "347", "348", "349"]),
                             d(rng, 3, True), d(rng, 4))


CN_PREFIX = ["130", "131", "132", "135", "136", "138", "139", "150", "151", "158", "159",
             "176", "177", "186", "187", "188", "189", "199"]


def _cn_mobile(rng):
    return rng.choice(CN_PREFIX) + d(rng, 8)


def ph_cn_plain(rng):
    return _cn_mobile(rng)


def ph_cn_sp(rng):
    m = _cn_mobile(rng)
    return "%s %s %s" % (m[:3], m[3:7], m[7:])


def ph_cn_intl(rng):
    return "+86 " + ph_cn_sp(rng)


def ph_jp_land(rng):
    return "%s-%s-%s" % (rng.choice(["03", "06"]), d(rng, 4, True), d(rng, 4))


def ph_jp_mob(rng):
    return "%s-%s-%s" % (rng.choice(["090", "080", "070"]), d(rng, 4, True), d(rng, 4))


def ph_jp_intl(rng):
    return "+81 %s-%s-%s" % (rng.choice(["3", "6", "90", "80"]), d(rng, 4, True), d(rng, 4))


def ph_ru_intl(rng):
    if rng.random() < 0.5:
        return "+7 495 %s-%s-%s" % (d(rng, 3, True), d(rng, 2), d(rng, 2))
    return "+7 (9%s) %s-%s-%s" % (d(rng, 2), d(rng, 3, True), d(rng, 2), d(rng, 2))


PHONE_FUNCS = {k[3:]: v for k, v in globals().items() if k.startswith("ph_")}
PHONE_GROUPS = {
    "en": ["us_paren", "us_dash", "us_intl", "uk_land", "uk_mob", "uk_intl"],
    "de": ["de_land", "de_mob", "de_intl", "ch_intl"],
    "fr": ["fr_land", "fr_mob", "fr_intl"],
    "es": ["es_intl", "mx_intl"],
    "it": ["it_intl"],
    "zh": ["cn_plain", "cn_sp", "cn_intl"],
    "ja": ["jp_land", "jp_mob", "jp_intl"],
    "ru": ["ru_intl"],
}
PHONE_GROUPS["any"] = sorted(PHONE_FUNCS)
PHONE_GROUPS["mixed"] = PHONE_GROUPS["any"]
PHONE_GROUPS["cn"] = PHONE_GROUPS["zh"]
PHONE_GROUPS["jp"] = PHONE_GROUPS["ja"]


def gen_phone(rng, var, lang, ctx):
    key = var or lang
    if key in PHONE_GROUPS:
        key = rng.choice(PHONE_GROUPS[key])
    return PHONE_FUNCS[key](rng)


TEST_CARDS = {
    "visa": ["4111111111111111", "4242424242424242", "4012888888881881"],
    "mc": ["5555555555554444", "5105105105105100"],
    "mc2": ["2223003122003222"],
    "amex": ["378282246310005", "371449635398431"],
    "discover": ["6011111111111117", "6011000990139424"],
    "jcb": ["3530111333300000", "3566002020360505"],
    "unionpay": ["6200000000000005"],
}


def card_digits(rng, brand):
    if rng.random() < 0.15:
        return rng.choice(TEST_CARDS[brand])
    if brand == "visa":
        prefix, n = "4", 16
    elif brand == "mc":
        prefix, n = str(rng.randint(51, 55)), 16
    elif brand == "mc2":
        prefix, n = str(rng.randint(2221, 2720)), 16
    elif brand == "amex":
        prefix, n = rng.choice(["34", "37"]), 15
    elif brand == "discover":
        prefix, n = rng.choice(["6011", "65"]), 16
    elif brand == "jcb":
        prefix, n = str(rng.randint(3528, 3589)), 16
    else:
        prefix, n = "62", rng.choice([16, 16, 19])
    return luhn_complete(prefix + d(rng, n - 1 - len(prefix)))


def group_card(digits, sep):
    if sep == "":
        return digits
    if len(digits) == 15:
        parts = [digits[:4], digits[4:10], digits[10:]]
    else:
        parts = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    return sep.join(parts)


def gen_card(rng, var, lang, ctx):
    parts = (var or "").split(":")
    brand = parts[0] if parts[0] not in ("", "*") else None
    fmt = parts[1] if len(parts) > 1 else None
    if brand is None:
        pool = ["visa"] * 3 + ["mc"] * 2 + ["mc2", "amex", "discover", "jcb", "unionpay"]
        if lang == "zh":
            pool += ["unionpay"] * 4
        if lang == "ja":
            pool += ["jcb"] * 4
        brand = rng.choice(pool)
    if fmt is None:
        fmt = rng.choice(["plain", "space", "space", "space", "dash"])
    return group_card(card_digits(rng, brand), {"plain": "", "space": " ", "dash": "-"}[fmt])


def it_cin(abi, cab, acct):
    odd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]
    s = 0
    for i, ch in enumerate(abi + cab + acct):
        idx = int(ch) if ch.isdigit() else ord(ch) - 65
        s += odd[idx] if i % 2 == 0 else idx
    return chr(65 + s % 26)


def es_dc(ten):
    w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]
    c = 11 - sum(int(a) * b for a, b in zip(ten, w)) % 11
    return {11: 0, 10: 1}.get(c, c)


def bban_for(rng, cc):
    if cc == "DE":
        return d(rng, 8, True) + d(rng, 10)
    if cc == "FR":
        bank, branch, acct = d(rng, 5, True), d(rng, 5), d(rng, 11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        return bank + branch + acct + "%02d" % key
    if cc == "GB":
        return rs(rng, UPPER, 4) + d(rng, 6) + d(rng, 8)
    if cc == "ES":
        bank, branch, acct = d(rng, 4, True), d(rng, 4), d(rng, 10)
        return bank + branch + str(es_dc("00" + bank + branch)) + str(es_dc(acct)) + acct
    if cc == "IT":
        abi, cab, acct = d(rng, 5, True), d(rng, 5), d(rng, 12)
        return it_cin(abi, cab, acct) + abi + cab + acct
    if cc == "NL":
        return rs(rng, UPPER, 4) + d(rng, 10)
    if cc == "CH":
        return d(rng, 5) + d(rng, 12)
    if cc == "BE":
        ten = d(rng, 3, True) + d(rng, 7)
        chk = int(ten) % 97 or 97
        return ten + "%02d" % chk
    if cc == "AT":
        return d(rng, 5, True) + d(rng, 11)
    if cc == "PL":
        return d(rng, 8, True) + d(rng, 16)
    raise KeyError(cc)


IBAN_POOL = {"en": ["GB", "GB", "NL", "DE", "BE"], "de": ["DE", "DE", "AT", "CH"],
             "fr": ["FR", "FR", "BE", "CH"], "es": ["ES"], "it": ["IT", "IT", "CH"]}


def make_iban(rng, cc):
    bban = bban_for(rng, cc)
    return cc + iban_check_digits(cc, bban) + bban


def gen_iban(rng, var, lang, ctx):
    parts = (var or "").split(":")
    cc = parts[0] if parts[0] not in ("", "*") else rng.choice(IBAN_POOL.get(lang, sorted(IBAN_LEN)))
    fmt = parts[1] if len(parts) > 1 else ("grouped" if rng.random() < 0.65 else "compact")
    s = make_iban(rng, cc)
    return iban_group(s) if fmt == "grouped" else s


def ssn_digits(rng):
    while True:
        a = rng.randint(1, 899)
        if a != 666:
            return "%03d" % a, "%02d" % rng.randint(1, 99), "%04d" % rng.randint(1, 9999)


def gen_ssn(rng, var, lang, ctx):
    a, g, s = ssn_digits(rng)
    fmt = var if var in ("dash", "space", "plain") else ("dash" if rng.random() < 0.7 else "space")
    return {"dash": "-", "space": " ", "plain": ""}[fmt].join([a, g, s])


CN_REGIONS = ["110101", "110105", "120101", "130102", "210102", "230102", "310104", "310115",
              "320102", "330106", "340104", "350203", "370102", "410105", "420106", "430104",
              "440106", "440305", "450103", "510107", "530102", "610113", "620102", "650102"]


def cnid_body(rng):
    start = datetime.date(1940, 1, 1).toordinal()
    end = datetime.date(2010, 12, 31).toordinal()
    bd = datetime.date.fromordinal(rng.randint(start, end))
    return rng.choice(CN_REGIONS) + bd.strftime("%Y%m%d") + d(rng, 3)


def gen_cnid(rng, var, lang, ctx):
    while True:
        body = cnid_body(rng)
        c = cn_check(body)
        if var != "x" or c == "X":
            return body + c


def pp_de(rng):
    while True:
        v = rng.choice("CFGHJK") + rs(rng, "CFGHJKLMNPRTVWXYZ" + DIGITS * 2, 8)
        if sum(c.isdigit() for c in v) >= 5:
            return v


PASSPORT_FUNCS = {
    "de": pp_de,
    "cn": lambda r: r.choice("EG") + d(r, 8, True),
    "us": lambda r: d(r, 9, True),
    "uk": lambda r: d(r, 9, True),
    "fr": lambda r: d(r, 2) + rs(r, UPPER, 2) + d(r, 5),
    "it": lambda r: rs(r, UPPER, 2) + d(r, 7, True),
    "es": lambda r: rs(r, UPPER, 3) + d(r, 6, True),
    "jp": lambda r: r.choice(["TK", "TZ", "MZ", "TR"]) + d(r, 7, True),
    "ru": lambda r: d(r, 2, True) + d(r, 7),
    "kr": lambda r: "M" + d(r, 8, True),
    "x": lambda r: "X" + d(r, 7, True),
}
PASSPORT_POOL = {"en": ["us", "uk", "x"], "de": ["de"], "fr": ["fr"], "es": ["es", "x"],
                 "it": ["it"], "zh": ["cn"], "ja": ["jp"], "ru": ["ru"],
                 "mixed": sorted(PASSPORT_FUNCS)}


def gen_passport(rng, var, lang, ctx):
    key = var if var in PASSPORT_FUNCS else rng.choice(PASSPORT_POOL[lang])
    return PASSPORT_FUNCS[key](rng)


def gen_ip4(rng, var, lang, ctx):
    k = rng.randrange(6)
    host = rng.randint(1, 254)
    if k == 0:
        return "192.0.2.%d" % host
    if k == 1:
        return "198.51.100.%d" % host
    if k == 2:
        return "203.0.113.%d" % host
    if k == 3:
        return "10.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255), host)
    if k == 4:
        return "192.168.%d.%d" % (rng.randint(0, 255), host)
    return "172.%d.%d.%d" % (rng.randint(16, 31), rng.randint(0, 255), host)


def _h(rng):
    return "%x" % rng.randint(1, 0xffff)


def gen_ip6(rng, var, lang, ctx):
    k = var or rng.choice(["full", "comp", "comp", "comp", "link", "ula", "loop"])
    if k == "full":
        groups = ["2001", "0db8"] + ["%04x" % rng.choice([0, rng.randint(0, 0xffff)]) for _ in range(6)]
        v = ":".join(groups)
    elif k == "comp":
        left = ["2001", "db8"] + [_h(rng) for _ in range(rng.randint(0, 2))]
        right = [_h(rng) for _ in range(rng.randint(1, 3))]
        v = ":".join(left) + "::" + ":".join(right)
    elif k == "link":
        v = "fe80::" + ":".join(_h(rng) for _ in range(4))
    elif k == "ula":
        v = "fd%02x:%x:%x:%x::%x" % (rng.randint(0, 255), rng.randint(1, 0xffff),
                                     rng.randint(1, 0xffff), rng.randint(1, 0xff), rng.randint(1, 0xff))
    else:
        v = "::1"
    ipaddress.IPv6Address(v)
    return v


CITIES = {
    "en": [(40.7128, -74.0060), (51.5074, -0.1278), (37.7749, -122.4194), (-33.8688, 151.2093)],
    "de": [(52.5200, 13.4050), (48.1351, 11.5820), (53.5511, 9.9937), (50.9375, 6.9603)],
    "fr": [(48.8566, 2.3522), (45.7640, 4.8357), (43.2965, 5.3698), (-21.1151, 55.5364)],
    "es": [(40.4168, -3.7038), (41.3874, 2.1686), (-34.6037, -58.3816), (19.4326, -99.1332)],
    "it": [(41.9028, 12.4964), (45.4642, 9.1900), (40.8518, 14.2681)],
    "zh": [(39.9042, 116.4074), (31.2304, 121.4737), (22.5431, 114.0579), (30.5728, 104.0668)],
    "ja": [(35.6762, 139.6503), (34.6937, 135.5023), (43.0618, 141.3545)],
    "ru": [(55.7558, 37.6173), (59.9311, 30.3609), (55.0084, 82.9357)],
}
CITIES["mixed"] = [c for k in ("en", "de", "fr", "zh") for c in CITIES[k]]


def _dms(v, pos, neg):
    h = pos if v >= 0 else neg
    v = abs(v)
    deg = int(v)
    mins = int((v - deg) * 60)
    secs = int(((v - deg) * 60 - mins) * 600) / 10.0
    return "%d°%d'%.1f\"%s" % (deg, mins, secs, h)


def gen_geo(rng, var, lang, ctx):
    kind, _, sep = (var or "dec|, ").partition("|")
    base = rng.choice(CITIES[lang])
    lat = base[0] + rng.uniform(-0.15, 0.15)
    lon = base[1] + rng.uniform(-0.15, 0.15)
    if kind == "dec":
        n = rng.choice([4, 5, 5, 6])
        return "%.*f%s%.*f" % (n, lat, sep, n, lon)
    if kind == "hemi":
        return "%.4f°%s%s%s%.4f°%s%s" % (abs(lat), " " if rng.random() < 0.6 else "", "N" if lat >= 0 else "S",
                                         sep, abs(lon), " " if rng.random() < 0.6 else "", "E" if lon >= 0 else "W")
    if kind == "dms":
        return _dms(lat, "N", "S") + sep + _dms(lon, "E", "W")
    raise KeyError(kind)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _pem(rng, kind):
    if kind == "rsa":
        head, first, width = "RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA", 64
    elif kind == "pkcs8":
        head, first, width = "PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 64
    else:
        head, first, width = "OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", 70
    lines = [first + rs(rng, B64, width - len(first))]
    lines += [rs(rng, B64, width) for _ in range(rng.randint(3, 5))]
    lines.append(rs(rng, B64, rng.randint(12, 40)) + "==")
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (head, "\n".join(lines), head)


def gen_secret(rng, var, lang, ctx):
    k = var or rng.choice(["openai", "ghp", "aws", "google", "gitlab", "hf", "stripe", "jwt", "slack_bot"])
    if k == "openai":
        return "sk-" + rs(rng, ALNUM, 48)
    if k == "openai_proj":
        return "sk-proj-" + rs(rng, ALNUM + "_-", rng.randint(64, 80))
    if k == "ghp":
        return "ghp_" + rs(rng, ALNUM, 36)
    if k == "github_pat":
        return "github_pat_" + rs(rng, ALNUM, 22) + "_" + rs(rng, ALNUM, 59)
    if k == "slack_bot":
        return "xoxb-%s-%s-%s" % (d(rng, 12, True), d(rng, 13, True), rs(rng, ALNUM, 24))
    if k == "slack_user":
        return "xoxp-%s-%s-%s-%s" % (d(rng, 12, True), d(rng, 12, True), d(rng, 13, True), rs(rng, HEX, 32))
    if k == "aws":
        return "AKIA" + rs(rng, UPPER + DIGITS, 16)
    if k == "google":
        return "AIza" + rs(rng, ALNUM + "_-", 35)
    if k == "gitlab":
        return "glpat-" + rs(rng, ALNUM + "_-", 20)
    if k == "hf":
        return "hf_" + rs(rng, UPPER + LOWER, 34)
    if k == "stripe":
        return rng.choice(["sk_live_", "rk_live_"]) + rs(rng, ALNUM, rng.randint(24, 99))
    if k == "jwt":
        p = rng.choice(PEOPLE["en"] + PEOPLE["de"])
        header = {"alg": rng.choice(["HS256", "HS384"]), "typ": "JWT"}
        payload = {"sub": d(rng, 7, True), "name": p[0] + " " + p[1],
                   "iat": rng.randint(1700000000, 1760000000)}
        sig = bytes(rng.randrange(256) for _ in range(32 if header["alg"] == "HS256" else 48))
        return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                         b64url(json.dumps(payload, separators=(",", ":")).encode()), b64url(sig)])
    if k == "pem":
        return _pem(rng, rng.choice(["rsa", "pkcs8", "openssh"]))
    if k in ("rsa", "pkcs8", "openssh"):
        return _pem(rng, k)
    if k == "assign":
        return mixed_token(rng, rng.choice([24, 32, 32, 40]))
    raise KeyError(k)


ENTITY_GENS = {
    "email": ("email", gen_email), "phone": ("phone", gen_phone), "card": ("payment_card", gen_card),
    "iban": ("iban", gen_iban), "ssn": ("us_ssn", gen_ssn), "cnid": ("cn_resident_id", gen_cnid),
    "passport": ("passport", gen_passport), "ip4": ("ip_address", gen_ip4),
    "ip6": ("ip_address", gen_ip6), "geo": ("geo_coordinates", gen_geo),
    "secret": ("secret", gen_secret),
}


# ---------------------------------------------------------------------------
# Filler generators (never entities; negatives are built from these)
# ---------------------------------------------------------------------------

def f_date(rng, lang):
    dt = datetime.date(rng.randint(2023, 2025), rng.randint(1, 12), rng.randint(1, 28))
    if lang == "en":
        return dt.strftime("%m/%d/%Y") if rng.random() < 0.6 else dt.strftime("%B ") + str(dt.day) + dt.strftime(", %Y")
    if lang in ("de", "ru"):
        return dt.strftime("%d.%m.%Y")
    if lang in ("fr", "es", "it"):
        return dt.strftime("%d/%m/%Y")
    if lang in ("zh", "ja"):
        return "%d年%d月%d日" % (dt.year, dt.month, dt.day)
    return dt.isoformat()


def f_amount(rng, lang):
    v = rng.randint(100, 499999) / 100.0
    whole, cents = int(v), int(round(v * 100)) % 100
    if lang == "en":
        return "${:,}.{:02d}".format(whole, cents)
    if lang in ("de", "es", "it"):
        return "{:,}".format(whole).replace(",", ".") + ",%02d €" % cents
    if lang == "fr":
        return "{:,}".format(whole).replace(",", " ") + ",%02d €" % cents
    if lang == "zh":
        return "¥{:,}.{:02d}".format(whole, cents)
    if lang == "ja":
        return "{:,}円".format(whole)
    if lang == "ru":
        return "{:,}".format(whole).replace(",", " ") + " ₽"
    return "€{:,}.{:02d}".format(whole, cents)


def f_tracking(rng):
    if rng.random() < 0.5:
        body = d(rng, 8)
        s = sum(int(a) * b for a, b in zip(body, [8, 6, 4, 2, 3, 5, 9, 7]))
        c = 11 - s % 11
        c = {10: 0, 11: 5}.get(c, c)
        return rng.choice(["RR", "LX", "CP", "EE"]) + body + str(c) + rng.choice(["DE", "FR", "CN", "JP", "ES", "IT"])
    return "1Z" + rs(rng, UPPER + DIGITS, 6) + d(rng, 10)


def _ean_check(twelve):
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(twelve))
    return str((10 - s % 10) % 10)


def f_isbn(rng):
    g, pub, item = rng.choice("0123"), d(rng, 3, True), d(rng, 5)
    return "978-%s-%s-%s-%s" % (g, pub, item, _ean_check("978" + g + pub + item))


def f_uuid(rng):
    h = list("%032x" % rng.getrandbits(128))
    h[12] = "4"
    h[16] = rng.choice("89ab")
    h = "".join(h)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def f_mac(rng):
    sep = rng.choice([":", ":", "-"])
    return sep.join("%02X" % rng.randrange(256) for _ in range(6))


def f_bad_card(rng):
    brand = rng.choice(["visa", "visa", "mc", "amex", "discover", "jcb", "unionpay"])
    good = card_digits(rng, brand)
    last = str((int(good[-1]) + rng.randint(1, 9)) % 10)
    return group_card(good[:-1] + last, rng.choice(["", " ", " ", "-"]))


def f_bad_iban(rng):
    cc = rng.choice(sorted(IBAN_LEN))
    s = make_iban(rng, cc)
    cd = int(s[2:4])
    bad = cd
    while bad == cd or bad < 2 or bad > 98:
        bad = rng.randint(2, 98)
    s = s[:2] + "%02d" % bad + s[4:]
    return iban_group(s) if rng.random() < 0.7 else s


def f_bad_cnid(rng):
    body = cnid_body(rng)
    good = cn_check(body)
    return body + rng.choice([c for c in "0123456789X" if c != good])


def f_bad_ssn(rng):
    area = rng.choice(["000", "666", "9%02d" % rng.randrange(100)])
    return "%s-%02d-%04d" % (area, rng.randint(1, 99), rng.randint(1, 9999))


def f_bad_ip(rng):
    octs = [rng.randint(1, 254) for _ in range(4)]
    octs[rng.randrange(4)] = rng.randint(256, 999)
    return ".".join(map(str, octs))


def f_pubkey(rng):
    lines = ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + rs(rng, B64, 20)]
    lines += [rs(rng, B64, 64) for _ in range(3)]
    lines.append(rs(rng, B64, 20) + "IDAQAB")
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % "\n".join(lines)


def filler(rng, kind, var, lang, ctx):
    p = ctx["person"]
    if kind == "name":
        return full_name(p, lang)
    if kind == "first":
        return p[0]
    if kind == "last":
        return p[1]
    if kind == "name_zh":
        q = rng.choice(PEOPLE["zh"])
        return q[3].capitalize() + " " + q[2].capitalize()
    if kind == "ticket":
        return rng.choice(["INC-" + d(rng, 6, True), "SR-" + d(rng, 5, True), "#" + d(rng, 5, True)])
    if kind == "order":
        return rng.choice(["100" + d(rng, 6), d(rng, 8, True)])
    if kind == "cn_order":
        dt = datetime.date(rng.randint(2023, 2025), rng.randint(1, 12), rng.randint(1, 28))
        return dt.strftime("%Y%m%d") + d(rng, 8)
    if kind == "date":
        return f_date(rng, lang)
    if kind == "time":
        return "%02d:%02d:%02d" % (rng.randrange(24), rng.randrange(60), rng.randrange(60))
    if kind == "amount":
        return f_amount(rng, lang)
    if kind == "digits":
        return rng.choice("23456789") + d(rng, rng.randint(6, 8))
    if kind == "tracking":
        return f_tracking(rng)
    if kind == "isbn":
        return f_isbn(rng)
    if kind == "ean":
        tw = "40" + d(rng, 10)
        return tw + _ean_check(tw)
    if kind == "uuid":
        return f_uuid(rng)
    if kind == "sha1":
        return rs(rng, HEX, 40)
    if kind == "sha256":
        return rs(rng, HEX, 64)
    if kind == "mac":
        return f_mac(rng)
    if kind == "b64img":
        return "iVBORw0KGgoAAAANSUhEUgAAAB" + rs(rng, B64, rng.randint(40, 70))
    if kind == "bad_card":
        return f_bad_card(rng)
    if kind == "bad_iban":
        return f_bad_iban(rng)
    if kind == "bad_cnid":
        return f_bad_cnid(rng)
    if kind == "bad_ssn":
        return f_bad_ssn(rng)
    if kind == "bad_ip":
        return f_bad_ip(rng)
    if kind == "pubkey":
        return f_pubkey(rng)
    raise KeyError(kind)


PH_RE = re.compile(r"⟦([a-z0-9_]+)(?::([^⟧]*))?⟧")


def render(tpl, lang, rng):
    ctx = {"person": rng.choice(PEOPLE[lang]), "emails": 0}
    out, ents, pos, used = [], [], 0, set()
    flang = lang
    for m in PH_RE.finditer(tpl):
        out.append(tpl[pos:m.start()])
        kind, var = m.group(1), m.group(2)
        if kind in ENTITY_GENS:
            etype, fn = ENTITY_GENS[kind]
            for _ in range(50):
                val = fn(rng, var, lang, ctx)
                if val not in used:
                    break
            used.add(val)
            ents.append({"type": etype, "text": val})
        else:
            val = filler(rng, kind, var, flang, ctx)
        out.append(val)
        pos = m.end()
    out.append(tpl[pos:])
    return "".join(out), ents

# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

# Positive templates: POS[type_key][lang] -> list of templates. Each template
# is rendered twice with fresh values.
POS = {}

POS["email"] = {
    "en": ["Hi team, please send the signed contract to ⟦email⟧ before Friday.",
           "Ticket ⟦ticket⟧: customer ⟦name⟧ can't log in, registered address is ⟦email⟧.",
           "From: ⟦email⟧\nTo: ⟦email⟧\nSubject: Q3 invoice reminder"],
    "de": ["Bitte schicken Sie die Unterlagen an ⟦email⟧, Frau ⟦last⟧ ist bis Montag im Urlaub.",
           "Kunde ⟦name⟧ hat seine E-Mail-Adresse auf ⟦email⟧ geändert.",
           "Rückfragen gerne an ⟦email⟧ oder an die Buchhaltung unter ⟦email⟧."],
    "fr": ["Bonjour, vous pouvez me joindre à l'adresse ⟦email⟧ pour toute question.",
           "Note CRM : ⟦name⟧ souhaite recevoir les factures sur ⟦email⟧ désormais.",
           "Merci d'envoyer votre CV à ⟦email⟧ avant le ⟦date⟧."],
    "es": ["Hola, mi correo es ⟦email⟧, escríbeme cuando tengas el presupuesto.",
           "El cliente ⟦name⟧ pidió que las facturas se envíen a ⟦email⟧.",
           "Para soporte técnico, contacte con ⟦email⟧ indicando el número de pedido ⟦order⟧."],
    "it": ["Buongiorno, può inviare la documentazione a ⟦email⟧? Grazie.",
           "Il signor ⟦last⟧ ha aggiornato l'indirizzo email in ⟦email⟧.",
           "Per disdire l'abbonamento scrivi a ⟦email⟧ entro il ⟦date⟧."],
    "zh": ["您好，请将发票发送至⟦email⟧，谢谢。",
           "客户⟦name⟧的联系邮箱已更新为 ⟦email⟧。",
           "如有问题请联系 ⟦email⟧ 或 ⟦email⟧。"],
    "ja": ["お問い合わせは ⟦email⟧ までお願いいたします。",
           "⟦name⟧様のメールアドレスを ⟦email⟧ に変更しました。",
           "請求書は ⟦email⟧ 宛てに送付してください。"],
    "ru": ["Добрый день! Пришлите, пожалуйста, договор на ⟦email⟧.",
           "Клиент ⟦name⟧ просит использовать адрес ⟦email⟧ для рассылки.",
           "Вопросы по заказу ⟦order⟧ направляйте на ⟦email⟧."],
    "mixed": ["FYI: der Kunde ⟦name⟧ hat von ⟦email⟧ geschrieben, please follow up.",
              "请回复到 ⟦email⟧ — thanks a lot!",
              "[WARN] bounce for recipient <⟦email⟧>: mailbox full (réessayer plus tard)"],
}

POS["phone"] = {
    "en": ["Please call me back at ⟦phone:us_paren⟧ after 3 pm.",
           "Customer ⟦name⟧ left a voicemail, callback number ⟦phone:en⟧.",
           "Emergency contact: ⟦name⟧, ⟦phone:en⟧ (mobile)."],
    "de": ["Rückruf bitte unter ⟦phone:de⟧, ich bin bis 17 Uhr erreichbar.",
           "Herr ⟦last⟧ ist mobil unter ⟦phone:de_mob⟧ zu erreichen.",
           "Zentrale: ⟦phone:de_intl⟧, das Fax ist nicht mehr in Betrieb."],
    "fr": ["Vous pouvez me rappeler au ⟦phone:fr⟧ en fin de journée.",
           "Numéro du client : ⟦phone:fr⟧. Il préfère être contacté le matin.",
           "Pour toute urgence, composez le ⟦phone:fr_intl⟧ depuis l'étranger."],
    "es": ["Mi número es ⟦phone:es⟧, llámame cuando puedas.",
           "El paciente ⟦name⟧ dejó como contacto el ⟦phone:es⟧.",
           "Atención al cliente: ⟦phone:es⟧ (de lunes a viernes, de 9 a 18 h)."],
    "it": ["Mi può richiamare al ⟦phone:it⟧ nel pomeriggio?",
           "Recapito del fornitore: ⟦phone:it⟧, chiedere di ⟦first⟧.",
           "Il cliente ⟦name⟧ ha lasciato il numero ⟦phone:it⟧ per la consegna."],
    "zh": ["我的手机号是⟦phone:zh⟧，有事随时联系。",
           "收货人：⟦name⟧，电话：⟦phone:zh⟧，请送货前联系。",
           "客服热线 ⟦phone:cn_intl⟧（境外拨打）。"],
    "ja": ["ご不明な点は ⟦phone:ja⟧ までお電話ください。",
           "担当者：⟦name⟧（携帯 ⟦phone:jp_mob⟧）",
           "海外からは ⟦phone:jp_intl⟧ におかけください。"],
    "ru": ["Перезвоните мне, пожалуйста, по номеру ⟦phone:ru⟧.",
           "Контактный телефон клиента ⟦name⟧: ⟦phone:ru⟧.",
           "Офис в Москве: ⟦phone:ru⟧, добавочный 214."],
    "mixed": ["Call me on WhatsApp: ⟦phone:any⟧ — merci!",
              "Kontakt in Tokyo: ⟦phone:jp⟧, backup ⟦phone:uk_mob⟧.",
              "Lieferung an ⟦name⟧, Tel. ⟦phone:de⟧ / 请提前联系."],
}

POS["card"] = {
    "en": ["Card on file: ⟦card⟧, exp 09/27.",
           "Customer read out the card number ⟦card⟧ over the phone; please redact the recording.",
           "charge failed: card=⟦card:*:plain⟧ reason=insufficient_funds"],
    "de": ["Zahlung mit Kreditkarte ⟦card⟧, gültig bis 11/26.",
           "Bitte buchen Sie den Betrag von ⟦amount⟧ von meiner Karte ⟦card⟧ ab.",
           "Die Visa-Karte ⟦card:visa⟧ wurde als gestohlen gemeldet."],
    "fr": ["Paiement refusé pour la carte ⟦card⟧, merci de réessayer.",
           "Mon numéro de carte est le ⟦card⟧, date d'expiration 04/28.",
           "La carte Mastercard ⟦card:mc⟧ a été débitée de ⟦amount⟧."],
    "es": ["Pagué con la tarjeta ⟦card⟧ y no me ha llegado el pedido.",
           "Número de tarjeta: ⟦card⟧ — caduca en 12/29.",
           "La tarjeta American Express ⟦card:amex⟧ fue rechazada dos veces."],
    "it": ["Ho pagato con la carta ⟦card⟧, ma l'addebito risulta doppio.",
           "Carta di credito n. ⟦card⟧, scadenza 06/27, titolare ⟦name⟧.",
           "La carta ⟦card:visa⟧ è stata bloccata per sospetta frode."],
    "zh": ["我的银行卡号是⟦card:unionpay⟧，请帮我查一下退款。",
           "信用卡 ⟦card⟧ 本月消费 ⟦amount⟧。",
           "支付失败，卡号：⟦card⟧，错误代码 E051。"],
    "ja": ["クレジットカード番号 ⟦card⟧ で決済しました。",
           "カード（⟦card:jcb⟧）の有効期限が切れています。",
           "お客様のカード ⟦card⟧ から ⟦amount⟧ が引き落とされました。"],
    "ru": ["Оплата картой ⟦card⟧ не прошла, попробуйте ещё раз.",
           "Номер карты: ⟦card⟧, срок действия 08/27.",
           "Клиент ⟦name⟧ продиктовал номер карты ⟦card⟧ оператору."],
    "mixed": ["Payment OK — Karte ⟦card⟧ belastet, merci.",
              "{\"pan\": \"⟦card:*:plain⟧\", \"currency\": \"EUR\", \"statut\": \"autorisé\"}",
              "卡号 card no. ⟦card⟧ exp 10/26"],
}

POS["iban"] = {
    "en": ["Please transfer the deposit to IBAN ⟦iban:GB⟧, reference ⟦ticket⟧.",
           "Supplier bank details updated: ⟦iban:NL⟧.",
           "Refund will be sent to the account ⟦iban:*⟧ within 5 business days."],
    "de": ["Bitte überweisen Sie den Betrag auf folgendes Konto: IBAN ⟦iban:DE⟧.",
           "Neue Bankverbindung von ⟦name⟧: ⟦iban:DE⟧, die BIC bleibt gleich.",
           "Lastschrift fehlgeschlagen für IBAN ⟦iban:AT⟧ – Konto erloschen."],
    "fr": ["Veuillez effectuer le virement sur l'IBAN ⟦iban:FR⟧.",
           "RIB du fournisseur mis à jour : ⟦iban:FR⟧.",
           "Le remboursement sera versé sur le compte ⟦iban:BE⟧ sous 10 jours."],
    "es": ["Realice la transferencia a la cuenta ⟦iban:ES⟧ indicando su nombre.",
           "Mi IBAN es ⟦iban:ES⟧, por favor confirmen el abono.",
           "Domiciliación rechazada por falta de saldo en la cuenta ⟦iban:ES⟧."],
    "it": ["Effettuare il bonifico sull'IBAN ⟦iban:IT⟧ intestato a ⟦name⟧.",
           "Coordinate bancarie aggiornate: ⟦iban:IT⟧.",
           "Il rimborso verrà accreditato su ⟦iban:CH⟧ entro fine mese."],
    "zh": ["请汇款至德国账户 IBAN：⟦iban:DE⟧。",
           "供应商的银行账号（IBAN）为 ⟦iban:*⟧，请财务核对。",
           "退款将转入客户的法国账户 ⟦iban:FR⟧。"],
    "ja": ["振込先 IBAN: ⟦iban:DE⟧（ドイツの銀行口座）",
           "返金は ⟦iban:GB⟧ の口座に振り込まれます。",
           "取引先の IBAN を ⟦iban:NL⟧ に更新しました。"],
    "ru": ["Реквизиты для оплаты: IBAN ⟦iban:DE⟧, получатель ⟦name⟧.",
           "Прошу вернуть деньги на счёт ⟦iban:PL⟧.",
           "Платёж на IBAN ⟦iban:*⟧ отклонён банком-корреспондентом."],
    "mixed": ["Bankverbindung / bank details: ⟦iban:*⟧ — merci de vérifier.",
              "iban=⟦iban:*:compact⟧ status=PENDING",
              "Überweisung an ⟦iban:PL⟧ done, 请确认。"],
}

POS["ssn"] = {
    "en": ["Applicant SSN: ⟦ssn:dash⟧, DOB on file.",
           "Please verify the social security number ⟦ssn:*⟧ before processing the W-2.",
           "Employee record: ⟦name⟧, SSN ⟦ssn:plain⟧, start date ⟦date⟧."],
    "de": ["Der US-Mitarbeiter ⟦name⟧ hat seine Social Security Number ⟦ssn:dash⟧ nachgereicht.",
           "Für die US-Steuererklärung benötigen wir Ihre SSN: ⟦ssn:*⟧.",
           "SSN des Antragstellers: ⟦ssn:dash⟧ (bitte nicht per E-Mail weiterleiten)."],
    "fr": ["Le salarié américain ⟦name⟧ a fourni son numéro de sécurité sociale US ⟦ssn:dash⟧.",
           "SSN du candidat : ⟦ssn:*⟧.",
           "Formulaire W-9 reçu, SSN ⟦ssn:plain⟧ à vérifier."],
    "es": ["Número de Seguro Social (SSN): ⟦ssn:dash⟧.",
           "El solicitante ⟦name⟧ indicó su SSN ⟦ssn:*⟧ en el formulario.",
           "Verifique el SSN ⟦ssn:space⟧ antes de enviar la nómina."],
    "it": ["Il dipendente americano ha comunicato il suo SSN: ⟦ssn:dash⟧.",
           "Numero Social Security del cliente: ⟦ssn:*⟧.",
           "SSN ⟦ssn:plain⟧ presente nel modulo W-4 di ⟦name⟧."],
    "zh": ["美国员工⟦name⟧的社会安全号码（SSN）是 ⟦ssn:dash⟧。",
           "请核对申请人的 SSN：⟦ssn:*⟧。",
           "报税资料中的 SSN ⟦ssn:space⟧ 与姓名不符。"],
    "ja": ["米国の社会保障番号（SSN）: ⟦ssn:dash⟧",
           "申請者のSSNは ⟦ssn:*⟧ です。",
           "SSN ⟦ssn:plain⟧ を W-2 に記入してください。"],
    "ru": ["Номер социального страхования США (SSN): ⟦ssn:dash⟧.",
           "Сотрудник ⟦name⟧ прислал свой SSN ⟦ssn:*⟧ для оформления.",
           "Проверьте SSN ⟦ssn:space⟧ в анкете."],
    "mixed": ["HR note: SSN ⟦ssn:dash⟧, bitte im System hinterlegen.",
              "ssn=⟦ssn:plain⟧ dob=1985-07-12 state=CA",
              "申请表 / application form — Social Security No. ⟦ssn:*⟧"],
}

POS["cnid"] = {
    "en": ["Chinese national ID (居民身份证) of the applicant: ⟦cnid⟧.",
           "KYC upload for ⟦name_zh⟧: resident ID ⟦cnid⟧, verified.",
           "Please mask the PRC ID number ⟦cnid⟧ in the exported report."],
    "de": ["Chinesische Personalausweisnummer des Antragstellers: ⟦cnid⟧.",
           "Für die Visumsbearbeitung liegt die ID ⟦cnid⟧ von ⟦name_zh⟧ vor.",
           "Bitte die Ausweisnummer ⟦cnid:x⟧ im Export schwärzen."],
    "fr": ["Numéro de carte d'identité chinoise : ⟦cnid⟧.",
           "Le client ⟦name_zh⟧ a fourni sa pièce d'identité n° ⟦cnid⟧.",
           "Identifiant de résident RPC ⟦cnid:x⟧ à vérifier."],
    "es": ["Documento de identidad chino del pasajero: ⟦cnid⟧.",
           "El cliente ⟦name_zh⟧ envió su número de identidad ⟦cnid⟧.",
           "ID de residente (RPC): ⟦cnid:x⟧, pendiente de validación."],
    "it": ["Numero della carta d'identità cinese: ⟦cnid⟧.",
           "Il cliente ⟦name_zh⟧ ha caricato il documento ⟦cnid:x⟧.",
           "Verificare l'ID di residenza cinese ⟦cnid⟧ prima dell'apertura del conto."],
    "zh": ["身份证号：⟦cnid⟧，姓名：⟦name⟧。",
           "请核实客户的身份证号码⟦cnid:x⟧是否与实名信息一致。",
           "乘机人⟦name⟧，证件号 ⟦cnid⟧，座位 32A。"],
    "ja": ["中国の身分証番号 ⟦cnid⟧ を確認しました。",
           "申請者（⟦name_zh⟧）の居民身分証番号：⟦cnid⟧",
           "身分証番号 ⟦cnid:x⟧ はマスキングして保存してください。"],
    "ru": ["Номер китайского удостоверения личности: ⟦cnid⟧.",
           "Клиент ⟦name_zh⟧ предоставил ID ⟦cnid⟧ для верификации.",
           "ID резидента КНР ⟦cnid:x⟧ нужно скрыть в отчёте."],
    "mixed": ["身份证 ID: ⟦cnid⟧ — please verify.",
              "{\"id_card\": \"⟦cnid⟧\", \"name\": \"⟦name_zh⟧\"}",
              "KYC 审核通过 / approved, 身份证号 ⟦cnid:x⟧"],
}

POS["passport"] = {
    "en": ["Passport no. ⟦passport:us⟧, issued 2019, expires 2029.",
           "Traveller ⟦name⟧ checked in with passport ⟦passport:uk⟧.",
           "The passport number ⟦passport:*⟧ does not match the booking name."],
    "de": ["Reisepassnummer: ⟦passport:de⟧, ausgestellt in Köln.",
           "Der Gast hat seinen Reisepass ⟦passport:de⟧ an der Rezeption vorgelegt.",
           "Bitte tragen Sie die Reisepass-Nr. ⟦passport:*⟧ in das Formular ein."],
    "fr": ["Numéro de passeport : ⟦passport:fr⟧, délivré à Lyon.",
           "Le voyageur ⟦name⟧ présente le passeport ⟦passport:fr⟧.",
           "Passeport n° ⟦passport:*⟧ expiré, renouvellement en cours."],
    "es": ["Número de pasaporte: ⟦passport:es⟧.",
           "La pasajera ⟦name⟧ viaja con el pasaporte ⟦passport:es⟧.",
           "Pasaporte ⟦passport:*⟧ caducado, por favor envíe uno vigente."],
    "it": ["Numero di passaporto: ⟦passport:it⟧, rilasciato a Roma.",
           "Il cliente ⟦name⟧ ha inviato copia del passaporto ⟦passport:it⟧.",
           "Passaporto n. ⟦passport:*⟧ in scadenza il ⟦date⟧."],
    "zh": ["护照号：⟦passport:cn⟧，有效期至2030年。",
           "旅客⟦name⟧的护照⟦passport:cn⟧已过期，请尽快更换。",
           "请提供护照号 ⟦passport:*⟧ 对应的签证页扫描件。"],
    "ja": ["旅券番号：⟦passport:jp⟧",
           "⟦name⟧様のパスポート番号は ⟦passport:jp⟧ です。",
           "パスポート ⟦passport:*⟧ の有効期限を確認してください。"],
    "ru": ["Номер заграничного паспорта: ⟦passport:ru⟧.",
           "Гость ⟦name⟧ предъявил паспорт ⟦passport:ru⟧ при заселении.",
           "Паспорт ⟦passport:*⟧ нужно продлить до поездки."],
    "mixed": ["Passport / 护照 ⟦passport:cn⟧ — visa approved.",
              "Check-in: Gast ⟦name⟧, passport ⟦passport:*⟧, Zimmer 412.",
              "여권 번호 ⟦passport:kr⟧ (Korean passport), please verify."],
}

POS["ip"] = {
    "en": ["Failed login for user admin from ⟦ip4⟧ at ⟦time⟧.",
           "Server is reachable at ⟦ip4⟧:8443 and over IPv6 at [⟦ip6⟧]:8443.",
           "2024-03-15T10:22:31Z WARN rate limit exceeded client=⟦ip4⟧ path=/api/v1/orders"],
    "de": ["Der Drucker hat die feste IP ⟦ip4⟧ im Büronetz.",
           "Verdächtiger Zugriff von ⟦ip4⟧, bitte in der Firewall sperren.",
           "Die IPv6-Adresse des Gateways lautet ⟦ip6⟧."],
    "fr": ["Connexion refusée depuis l'adresse ⟦ip4⟧.",
           "Le serveur DNS interne est ⟦ip4⟧, le secondaire ⟦ip4⟧.",
           "Adresse IPv6 attribuée : ⟦ip6⟧."],
    "es": ["El router tiene la IP ⟦ip4⟧, cambia la configuración por defecto.",
           "Intento de acceso bloqueado desde ⟦ip4⟧.",
           "La dirección IPv6 del servidor es ⟦ip6⟧."],
    "it": ["Il NAS risponde all'indirizzo ⟦ip4⟧.",
           "Accesso sospetto da ⟦ip4⟧ alle ⟦time⟧.",
           "Indirizzo IPv6 del nodo: ⟦ip6⟧."],
    "zh": ["服务器IP地址是⟦ip4⟧，请加入白名单。",
           "检测到来自 ⟦ip4⟧ 的异常登录。",
           "网关的 IPv6 地址为 ⟦ip6⟧。"],
    "ja": ["サーバーのIPアドレスは ⟦ip4⟧ です。",
           "不正アクセス元：⟦ip4⟧（⟦time⟧）",
           "IPv6アドレス ⟦ip6⟧ からの接続を許可しました。"],
    "ru": ["Сервер доступен по адресу ⟦ip4⟧.",
           "Заблокирован вход с IP ⟦ip4⟧ после пяти неудачных попыток.",
           "IPv6-адрес шлюза: ⟦ip6⟧."],
    "mixed": ["sshd[2211]: Accepted publickey for deploy from ⟦ip4⟧ port 52144 ssh2",
              "upstream ⟦ip6⟧ 超时 (timeout after 30s)",
              "allow from ⟦ip4⟧; # Büro Berlin"],
}

POS["geo"] = {
    "en": ["Pickup location: ⟦geo:dec|, ⟧ (north entrance).",
           "GPS fix lat ⟦geo:dec|, lon ⟧ accuracy 5 m.",
           "The drone landed at ⟦geo:dms| ⟧ according to the flight log."],
    "de": ["Treffpunkt laut GPS: ⟦geo:dec|, ⟧.",
           "Standort des Fahrzeugs: ⟦geo:hemi|, ⟧, Zündung aus.",
           "Koordinaten der Baustelle: Breite ⟦geo:dec|, Länge ⟧."],
    "fr": ["Position du colis : ⟦geo:dec|, ⟧.",
           "Coordonnées GPS du chantier : ⟦geo:dms| ⟧.",
           "Le technicien est à latitude ⟦geo:dec|, longitude ⟧."],
    "es": ["Ubicación del paciente: ⟦geo:dec|, ⟧.",
           "Coordenadas de entrega: ⟦geo:hemi|, ⟧.",
           "El vehículo se detuvo en ⟦geo:dec|,⟧ durante 20 minutos."],
    "it": ["Posizione del corriere: ⟦geo:dec|, ⟧.",
           "Coordinate dell'impianto: ⟦geo:dms| ⟧.",
           "Il telefono è stato localizzato a lat ⟦geo:dec|, lon ⟧."],
    "zh": ["用户当前位置：⟦geo:dec|, ⟧。",
           "车辆定位 纬度 ⟦geo:dec|，经度 ⟧。",
           "事故地点坐标 ⟦geo:hemi|, ⟧。"],
    "ja": ["現在地：⟦geo:dec|, ⟧",
           "集合場所の座標は ⟦geo:dms| ⟧ です。",
           "配送先 緯度 ⟦geo:dec|、経度 ⟧"],
    "ru": ["Координаты точки: ⟦geo:dec|, ⟧.",
           "Курьер находится в точке ⟦geo:hemi|, ⟧.",
           "Широта ⟦geo:dec|, долгота ⟧ — место встречи."],
    "mixed": ["{\"lat\": ⟦geo:dec|, \"lon\": ⟧, \"acc\": 12}",
              "GPS ⟦geo:dec| ⟧ 精度 10 m",
              "geo:⟦geo:dec|,⟧?z=17"],
}

POS["secret"] = {
    "en": ["OPENAI_API_KEY=⟦secret:openai⟧",
           "Found a leaked token in the repo: ⟦secret:ghp⟧ — please revoke it.",
           "aws_access_key_id = ⟦secret:aws⟧"],
    "de": ["Hier ist der Slack-Bot-Token: ⟦secret:slack_bot⟧, bitte nicht weitergeben.",
           "Im CI-Log steht der GitLab-Token ⟦secret:gitlab⟧ im Klartext.",
           "config.yaml:\n  api_key: \"⟦secret:assign⟧\"\n  region: eu-central-1"],
    "fr": ["Voici la clé Google Maps : ⟦secret:google⟧.",
           "Le jeton Hugging Face ⟦secret:hf⟧ a été publié par erreur sur le forum.",
           "export STRIPE_SECRET_KEY=⟦secret:stripe⟧"],
    "es": ["Authorization: Bearer ⟦secret:jwt⟧",
           "He subido por error la clave privada:\n⟦secret:pem⟧",
           "La variable token: ⟦secret:assign⟧ está en el .env del servidor."],
    "it": ["La chiave API di OpenAI è ⟦secret:openai_proj⟧, non committarla.",
           "Nel file .env c'è ancora AWS_ACCESS_KEY_ID=⟦secret:aws⟧.",
           "Token GitHub per il deploy: ⟦secret:github_pat⟧"],
    "zh": ["这是测试环境的 API 密钥：⟦secret:openai⟧，请勿外传。",
           "日志中泄露了 JWT：⟦secret:jwt⟧",
           "私钥如下：\n⟦secret:pem⟧"],
    "ja": ["Slack のユーザートークン ⟦secret:slack_user⟧ が公開チャンネルに投稿されていました。",
           "GitHub トークン ⟦secret:ghp⟧ を失効させてください。",
           "設定ファイル: access_token = \"⟦secret:assign⟧\""],
    "ru": ["Ключ доступа AWS: ⟦secret:aws⟧ — срочно отозвать.",
           "В коммите найден ключ Stripe ⟦secret:stripe⟧.",
           "Токен Hugging Face: ⟦secret:hf⟧"],
    "mixed": ["const client = new Client({ apiKey: \"⟦secret:assign⟧\" }); // 请替换",
              "curl -H \"Authorization: Bearer ⟦secret:jwt⟧\" https://api.example.com/v1/me",
              "id_rsa Inhalt:\n⟦secret:pem⟧"],
}

POS_IDS = {"email": "email", "phone": "phone", "card": "payment_card", "iban": "iban",
           "ssn": "us_ssn", "cnid": "cn_resident_id", "passport": "passport",
           "ip": "ip_address", "geo": "geo_coordinates", "secret": "secret"}

# Snippets mixing several entity types.
MULTI = {
    "en": ["New lead: ⟦name⟧, ⟦email⟧, ⟦phone:us_dash⟧. Prefers email.",
           "Refund request: card ⟦card⟧, contact ⟦email⟧, IP ⟦ip4⟧.",
           "Patient ⟦name⟧, SSN ⟦ssn:dash⟧, home ⟦geo:dec|, ⟧, phone ⟦phone:us_paren⟧.",
           "Incident: key ⟦secret:aws⟧ was used from ⟦ip4⟧ to list the backup bucket."],
    "de": ["Kunde ⟦name⟧, Tel. ⟦phone:de⟧, E-Mail ⟦email⟧, IBAN ⟦iban:DE⟧.",
           "Reisepass ⟦passport:de⟧ und Kreditkarte ⟦card⟧ wurden bei der Buchung hinterlegt.",
           "Login von ⟦ip6⟧ mit dem Token ⟦secret:gitlab⟧.",
           "Standort ⟦geo:dec|, ⟧, Rückruf unter ⟦phone:de_mob⟧."],
    "fr": ["Client ⟦name⟧ — ⟦email⟧ — ⟦phone:fr⟧.",
           "Virement depuis ⟦iban:FR⟧, carte de secours ⟦card⟧.",
           "Passeport ⟦passport:fr⟧, téléphone ⟦phone:fr_intl⟧.",
           "Connexion depuis ⟦ip4⟧ à la position ⟦geo:dec|, ⟧."],
    "es": ["Cliente: ⟦name⟧, correo ⟦email⟧, tel. ⟦phone:es⟧.",
           "Pago con tarjeta ⟦card⟧ y reembolso a ⟦iban:ES⟧.",
           "Pasaporte ⟦passport:es⟧; además consta el SSN ⟦ssn:dash⟧ por su doble nacionalidad.",
           "Acceso desde ⟦ip4⟧ con la clave ⟦secret:google⟧."],
    "it": ["Contatti: ⟦email⟧, ⟦phone:it⟧.",
           "IBAN ⟦iban:IT⟧, carta ⟦card⟧, intestatario ⟦name⟧.",
           "Passaporto ⟦passport:it⟧; indirizzo IP di registrazione ⟦ip4⟧.",
           "Furgone fermo a ⟦geo:hemi|, ⟧, autista raggiungibile al ⟦phone:it⟧."],
    "zh": ["联系人：⟦name⟧，手机⟦phone:cn_plain⟧，邮箱⟦email⟧。",
           "身份证号⟦cnid⟧，银行卡⟦card:unionpay⟧。",
           "护照⟦passport:cn⟧，入住登记IP ⟦ip4⟧。",
           "密钥⟦secret:openai⟧在 ⟦ip6⟧ 上被调用。"],
    "ja": ["連絡先：⟦email⟧ / ⟦phone:jp_mob⟧",
           "カード ⟦card:jcb⟧ と IBAN ⟦iban:*⟧ を登録しました。",
           "パスポート ⟦passport:jp⟧、宿泊先 ⟦geo:dec|, ⟧",
           "⟦ip4⟧ から トークン ⟦secret:slack_bot⟧ が使用されました。"],
    "ru": ["Клиент ⟦name⟧: ⟦email⟧, ⟦phone:ru⟧.",
           "Оплата картой ⟦card⟧, возврат на ⟦iban:*⟧.",
           "Паспорт ⟦passport:ru⟧, ID КНР ⟦cnid⟧.",
           "Вход с ⟦ip4⟧, использован ключ ⟦secret:stripe⟧."],
    "mixed": ["Name: ⟦name⟧ | Email: ⟦email⟧ | Tel: ⟦phone:any⟧ | IBAN: ⟦iban:*⟧",
              "user=⟦email⟧ ip=⟦ip4⟧ card=⟦card:*:plain⟧ 状态=拒绝",
              "身份证 ⟦cnid⟧ / passport ⟦passport:cn⟧ / tel ⟦phone:cn_intl⟧",
              "Standort ⟦geo:dec|, ⟧ from ⟦ip6⟧, token ⟦secret:ghp⟧"],
}

# Hard negatives: no entity at all, only look-alikes.
NEG = {
    "en": [
        "Order #⟦order⟧ shipped on ⟦date⟧, tracking number ⟦tracking⟧.",
        "Invoice INV-2024-00917 is due on 2024-04-30; total $1,299.00.",
        "Upgraded the agent to version 10.0.19045.3930 last night, no issues so far.",
        "Release notes for v2.14.3: fixed a crash when the cache exceeded 512 MB.",
        "The meeting is at 12:30:45 UTC on 03/15/2024 in room 4.12.",
        "Commit ⟦sha1⟧ fixes the flaky test in the payments module.",
        "sha256: ⟦sha256⟧",
        "Request id ⟦uuid⟧ completed in 231 ms.",
        "Pi is roughly 3.14159 and the answer to the exercise was 42.",
        "The station is near 48.8, 2.3 on the rough map, about 5 km from the centre.",
        "Reply to @jsmith in the thread, or write to support at example dot com.",
        "The default mail target is root@localhost on the build box.",
        "The card number ⟦bad_card⟧ failed the checksum, so the form rejected it.",
        "Test fixture uses the SSN-shaped value ⟦bad_ssn⟧, which can never be issued.",
        "Firewall rejected the malformed address ⟦bad_ip⟧ from the config file.",
        "Device MAC ⟦mac⟧ registered to the guest network.",
        "Spreadsheet typo: the column 'sk-ills' should be 'skills', and the empty 'ghp' folder can be deleted.",
        "ISBN ⟦isbn⟧, 2nd edition, 384 pages.",
        "The package weighs 2.35 kg and measures 40 x 30 x 15 cm.",
        "Customer ID 48213, account opened 2019, loyalty tier Gold.",
        "Build 4.2.1 passed all 1,284 tests in 00:03:12.",
        "Wire reference ⟦bad_iban⟧ was rejected because the check digits are wrong.",
        "Set api_key = \"YOUR_API_KEY_HERE\" in config.ini before running the script.",
        "The prefix sk- marks secret keys and eyJ starts most JWT headers; never paste either into a ticket.",
        "Population grew from 8,336,817 to 8,804,190 between the two census years.",
        "Please bring your passport to the appointment on 04/22/2024 at 10:15.",
        "Public key for the webhook:\n⟦pubkey⟧",
    ],
    "de": [
        "Bestellung Nr. ⟦order⟧ vom ⟦date⟧ wurde versandt.",
        "Rechnungsnummer RE-2024-0815, Betrag 1.299,00 €, fällig am 30.04.2024.",
        "Die Software läuft jetzt in Version 10.0.19045.3930.",
        "Termin am 15.03.2024 um 14:30 Uhr, Raum 3.07.",
        "Das Paket wiegt 12,5 kg; Sendungsnummer ⟦tracking⟧.",
        "Die Kundennummer 7734521 gehört zu einem Geschäftskonto.",
        "Die IBAN ⟦bad_iban⟧ ist ungültig, die Prüfziffer stimmt nicht.",
        "Kartennummer ⟦bad_card⟧ wurde wegen falscher Prüfsumme abgelehnt.",
        "Schreib mir einfach im Chat an @lena_k oder per Mail an lena (at) example (punkt) com.",
        "Git-Commit ⟦sha1⟧ enthält den Fix für das Speicherleck.",
        "Die Koordinaten 52.5, 13.4 sind zu ungenau für die Zustellung.",
        "Die Kreiszahl Pi ist ungefähr 3,14159.",
        "MAC-Adresse des Routers: ⟦mac⟧.",
        "Versionshinweise: Build 4.2.1, API-Version v3.1.0.",
        "Die Temperatur lag bei 21,4 °C und der Luftdruck bei 1013,2 hPa.",
        "Preis: €1.299,00 inkl. MwSt., Lieferung in 3–5 Werktagen.",
        "Die Anfrage mit der ID ⟦uuid⟧ wurde nach 4,2 Sekunden abgebrochen.",
        "Einwohnerzahl Berlin: 3.755.251 (Stand 31.12.2023).",
        "Die Adresse 300.1.2.3 ist keine gültige IPv4-Adresse.",
        "Die EAN ⟦ean⟧ steht auf der Verpackung.",
        "Die Ausweisnummer ⟦bad_cnid⟧ hat eine falsche Prüfziffer.",
        "Die SSN-Attrappe ⟦bad_ssn⟧ dient nur als Beispiel für ungültige Nummern.",
        "Maße: 120 x 80 x 75 cm, Gewicht 23,5 kg.",
        "Ticket #48213: Drucker im 2. OG druckt nur leere Seiten.",
        "Bitte bringen Sie Ihren Reisepass zum Termin am 15.03.2024 mit.",
        "Gruppenchat: @alle bitte bis Freitag die Urlaubsplanung eintragen.",
    ],
    "fr": [
        "Commande n° ⟦order⟧ expédiée le ⟦date⟧.",
        "Facture FA-2024-0312 d'un montant de 1 299,00 € à régler avant le 30/04/2024.",
        "Mise à jour vers la version 10.0.19045.3930 effectuée cette nuit.",
        "Rendez-vous à 12:30:45 dans la salle 2.14.",
        "Le colis pèse 3,2 kg ; numéro de suivi ⟦tracking⟧.",
        "L'empreinte SHA-256 du fichier est ⟦sha256⟧.",
        "Le numéro de carte ⟦bad_card⟧ est invalide (échec du contrôle de Luhn).",
        "L'IBAN ⟦bad_iban⟧ a été refusé : clé de contrôle incorrecte.",
        "Position approximative : 45.7, 4.8, à préciser avec le client.",
        "Écrivez à contact arobase example point org si le formulaire ne marche pas.",
        "Identifiant de transaction ⟦uuid⟧, statut : annulé.",
        "Le commit ⟦sha1⟧ corrige la régression.",
        "Le prix est de 1 499,90 € TTC, livraison offerte.",
        "Adresse MAC : ⟦mac⟧ (imprimante du 3e étage).",
        "La valeur de pi, 3.14159, est arrondie à cinq décimales.",
        "ISBN ⟦isbn⟧ – 2e édition, 2021.",
        "Dans le tableur, la colonne « sk-ills » doit être renommée en « skills ».",
        "La version 2.7.1 du SDK est compatible, pas la 1.9.0.",
        "Population de Lyon : 522 250 habitants en 2021.",
        "Le numéro ⟦bad_ssn⟧ ne peut pas être un SSN attribué.",
        "Température : 18,5 °C, vent 25 km/h.",
        "Dossier client 2024-000781 clôturé le 02/02/2024.",
        "Mentionnez @marie.l dans le ticket pour validation.",
        "L'adresse 192.168.1.300 n'est pas une adresse IPv4 valide.",
        "Numéro d'identité de test ⟦bad_cnid⟧ (clé incorrecte).",
        "Le renouvellement du passeport prend en moyenne 15 jours ouvrés.",
    ],
    "es": [
        "Pedido n.º ⟦order⟧ enviado el ⟦date⟧.",
        "Factura F-2024-1187 por importe de 1.299,00 €, vence el 30/04/2024.",
        "Actualizamos el sistema a la versión 10.0.19045.3930.",
        "La reunión es a las 12:30:45 en la sala 1.05.",
        "Número de seguimiento ⟦tracking⟧, peso 2,4 kg.",
        "La tarjeta ⟦bad_card⟧ no supera la validación de Luhn.",
        "El IBAN ⟦bad_iban⟧ tiene los dígitos de control incorrectos.",
        "Coordenadas aproximadas: 40.4, -3.7 (sin precisión suficiente).",
        "Escríbeme a juan arroba example punto com, que el formulario falla.",
        "Hash del commit: ⟦sha1⟧.",
        "ID de la solicitud: ⟦uuid⟧.",
        "El precio final es 2.499,95 € con IVA incluido.",
        "MAC del portátil: ⟦mac⟧.",
        "ISBN ⟦isbn⟧, tapa blanda, 256 páginas.",
        "El número e vale aproximadamente 2.71828.",
        "Compilación 4.2.1 publicada; la versión anterior era la 4.1.9.",
        "Menciona a @lucia_g en el canal de soporte.",
        "Población de Madrid: 3.332.035 habitantes.",
        "La dirección 256.10.10.10 no es válida.",
        "Expediente 2023/004512 archivado el 12/01/2024.",
        "Temperatura corporal 37,8 °C, tensión 120/80 mmHg.",
        "Número de identificación de prueba ⟦bad_cnid⟧ con dígito de control erróneo.",
        "El código postal 28013 corresponde al centro de Madrid.",
        "Referencia de pago ⟦digits⟧, importe 45,00 €.",
        "Ejemplo de SSN no válido: ⟦bad_ssn⟧.",
        "Para renovar el pasaporte necesita cita previa y una foto reciente.",
    ],
    "it": [
        "Ordine n. ⟦order⟧ spedito il ⟦date⟧.",
        "Fattura FT-2024-0456 di 1.299,00 € in scadenza il 30/04/2024.",
        "Aggiornato il client alla versione 10.0.19045.3930.",
        "Riunione alle 12:30:45 in sala 3.02.",
        "Codice di tracciamento ⟦tracking⟧, consegna prevista domani.",
        "La carta ⟦bad_card⟧ non supera il controllo di Luhn.",
        "L'IBAN ⟦bad_iban⟧ ha un codice di controllo errato.",
        "Posizione indicativa: 41.9, 12.5, da confermare.",
        "Scrivimi a mario chiocciola example punto com.",
        "Commit ⟦sha1⟧ unito nel ramo principale.",
        "Identificativo della richiesta ⟦uuid⟧.",
        "Prezzo: 1.049,00 € IVA inclusa.",
        "Indirizzo MAC della stampante: ⟦mac⟧.",
        "ISBN ⟦isbn⟧, prima edizione.",
        "Il valore di pi greco è circa 3.14159.",
        "Build 4.2.1 rilasciata, changelog nella wiki.",
        "Tagga @giulia.b nel ticket per l'approvazione.",
        "Abitanti di Roma: 2.748.109 (dato 2023).",
        "Il valore 999.1.1.1 non è un indirizzo IP.",
        "Pratica n. 2024/000318 chiusa il 10/02/2024.",
        "Pressione 130/85, temperatura 36,9 °C.",
        "Codice di esempio ⟦bad_cnid⟧ con carattere di controllo errato.",
        "Il CAP 00184 è quello di Roma centro.",
        "Numero pratica ⟦digits⟧, importo 85,50 €.",
        "Peso netto 0,75 kg, dimensioni 30 x 20 x 10 cm.",
        "Il numero ⟦bad_ssn⟧ non è un SSN valido: l'area non viene mai assegnata.",
    ],
    "zh": [
        "订单号 ⟦cn_order⟧ 已于⟦date⟧发货。",
        "发票号码 ⟦digits⟧，金额 ¥1,280.00。",
        "系统版本已升级到 10.0.19045.3930。",
        "会议时间：2024年3月15日 14:30:00，地点 3 号会议室。",
        "中国人口约 1412000000 人。",
        "本月电话费 128 元，流量费 30 元。",
        "快递单号 ⟦tracking⟧，预计明天送达。",
        "身份证号 ⟦bad_cnid⟧ 校验位错误，请重新输入。",
        "银行卡号 ⟦bad_card⟧ 校验失败。",
        "提交哈希 ⟦sha1⟧。",
        "请求ID ⟦uuid⟧ 处理超时。",
        "大概位置在 39.9, 116.4 附近，具体地址待确认。",
        "圆周率约为 3.14159。",
        "商品价格 ¥2,399.00，优惠 200 元。",
        "设备 MAC 地址：⟦mac⟧。",
        "请在群里 @张伟 确认一下需求。",
        "版本号 v2.3.1，构建号 4.2.1。",
        "邮编 100000，面积 16410 平方公里。",
        "IP 地址 300.168.1.1 格式不正确。",
        "合同编号 HT-2024-00087，签订日期 2024-03-15。",
        "体重 65.5 公斤，身高 172 厘米。",
        "ISBN ⟦isbn⟧，第 3 版。",
        "抽奖号码 ⟦digits⟧ 未中奖。",
        "文件 SHA-256 校验值：⟦sha256⟧",
        "温度 23.5 摄氏度，湿度 60%。",
        "办理护照一般需要 7 个工作日。",
    ],
    "ja": [
        "注文番号 ⟦order⟧ は⟦date⟧に発送されました。",
        "請求書番号 INV-2024-0315、金額 12,800円。",
        "OSをバージョン 10.0.19045.3930 に更新しました。",
        "会議は 12:30:45 から、会議室 4.05 で行います。",
        "追跡番号 ⟦tracking⟧ で配送状況を確認できます。",
        "カード番号 ⟦bad_card⟧ はチェックサムが一致しません。",
        "IBAN ⟦bad_iban⟧ はチェックディジットが不正です。",
        "おおよその位置は 35.7, 139.7 付近です。",
        "円周率はおよそ 3.14159 です。",
        "コミット ⟦sha1⟧ で修正済みです。",
        "リクエストID ⟦uuid⟧ がタイムアウトしました。",
        "価格は 1,980円（税込）です。",
        "プリンターの MAC アドレス：⟦mac⟧",
        "ISBN ⟦isbn⟧ 第2版",
        "@tanaka さん、確認をお願いします。",
        "ビルド 4.2.1 をリリースしました。",
        "東京都の人口は約 14000000 人です。",
        "郵便番号 100-0001 は千代田区です。",
        "アドレス 256.256.256.256 は無効です。",
        "体温 36.8 度、血圧 118/76。",
        "会員番号 ⟦digits⟧ でログインしてください。",
        "SHA-256: ⟦sha256⟧",
        "身分証番号 ⟦bad_cnid⟧ はチェック文字が正しくありません。",
        "重さ 2.5 kg、サイズ 30 x 20 x 10 cm。",
        "2024年3月15日 14時30分 に打ち合わせ。",
        "パスポートの申請には写真が2枚必要です。",
    ],
    "ru": [
        "Заказ № ⟦order⟧ отправлен ⟦date⟧.",
        "Счёт № 2024-0457 на сумму 12 500 ₽, оплатить до 30.04.2024.",
        "Обновили систему до версии 10.0.19045.3930.",
        "Встреча в 12:30:45, переговорная 2.11.",
        "Трек-номер ⟦tracking⟧, вес посылки 1,8 кг.",
        "Карта ⟦bad_card⟧ не прошла проверку по алгоритму Луна.",
        "IBAN ⟦bad_iban⟧ указан с неверными контрольными цифрами.",
        "Примерные координаты: 55.7, 37.6 — нужно уточнить.",
        "Число пи примерно равно 3.14159.",
        "Коммит ⟦sha1⟧ исправляет утечку памяти.",
        "Идентификатор запроса ⟦uuid⟧.",
        "Цена: 2 499,00 ₽ с НДС.",
        "MAC-адрес устройства: ⟦mac⟧.",
        "ISBN ⟦isbn⟧, издание второе.",
        "Напишите @ivan_p в чате, он в курсе.",
        "Сборка 4.2.1 выложена на тестовый стенд.",
        "Население Москвы — 13 104 177 человек.",
        "Адрес 999.10.10.10 некорректен.",
        "Температура 36,6 °C, давление 120/80.",
        "Номер договора ⟦digits⟧ от 01.02.2024.",
        "SHA-256 файла: ⟦sha256⟧",
        "Тестовый номер ⟦bad_cnid⟧ с неверной контрольной цифрой.",
        "Индекс 101000, Москва.",
        "Версия API v3.2.0, схема 1.4.",
        "Пишите на ящик info собака example точка com.",
        "Для оформления загранпаспорта нужна фотография 35 x 45 мм.",
    ],
    "mixed": [
        "Order #⟦order⟧ / 订单 ⟦cn_order⟧ — shipped ✔",
        "Version 10.0.19045.3930 installiert, reboot pending.",
        "Meeting 12:30:45 — salle 2.14 / 会议室",
        "commit ⟦sha1⟧ (fix: Tippfehler in README)",
        "uuid=⟦uuid⟧ status=OK durée=231ms",
        "Rough location 48.8, 2.3 — ungefähr Paris centre.",
        "Kartennummer / card number ⟦bad_card⟧ → Luhn check failed",
        "IBAN ⟦bad_iban⟧ invalid (Prüfziffer falsch)",
        "mac=⟦mac⟧ vlan=20 port=Gi0/12",
        "price €1.299,00 / ¥9,999 / $1,399.99",
        "Ping @jsmith und @lena_k bitte — 谢谢",
        "π ≈ 3.14159 (Kreiszahl, 圆周率)",
        "build 4.2.1 → 4.2.2, changelog siehe Wiki",
        "addr=⟦bad_ip⟧ rejected: octet out of range",
        "ISBN ⟦isbn⟧ — Auflage 2 / 2nd ed.",
        "sha256=⟦sha256⟧ 校验通过",
        "<img src=\"data:image/png;base64,⟦b64img⟧\" alt=\"logo\">",
        "身份证 ⟦bad_cnid⟧ 校验失败 / checksum mismatch",
        "SSN ⟦bad_ssn⟧ rejected (invalid area number)",
        "Ticket INC-48213: Drucker offline, 打印机离线",
        "Temp 21.5 °C / 70.7 °F, Luftfeuchte 45 %",
        "lot 2024-03-15-A, qty 1,200 pcs, Charge 778812",
        "docker pull registry.example.com/app:1.27.3",
        "user@localhost kann keine Mails nach extern senden",
        "ghp folder & sk-ills typo — bitte fixen",
        "token: ${CI_JOB_TOKEN} # wird zur Laufzeit gesetzt",
        "std::vector<int> v; // größe 128, 大小 128",
    ],
}


def generate():
    rng = random.Random(SEED)
    records = []
    counters = Counter()

    def emit(prefix, lang, tpl, negative):
        for _ in range(200):
            text, ents = render(tpl, lang, rng)
            if not negative and not ents:
                raise SystemExit("positive template without entity: %r" % tpl)
            if not problems(text, ents):
                break
        else:
            raise SystemExit("cannot render cleanly (%s/%s): %r -> %s"
                             % (prefix, lang, tpl, problems(text, ents)))
        counters[(prefix, lang)] += 1
        rid = "%s-%s-%03d" % (prefix, lang, counters[(prefix, lang)])
        records.append({"id": rid, "lang": lang, "text": text, "entities": ents})

    for key, per_lang in POS.items():
        for lang in LANGS:
            for _rep in range(2):
                for tpl in per_lang[lang]:
                    emit(POS_IDS[key], lang, tpl, False)
    for lang in LANGS:
        for tpl in MULTI[lang]:
            emit("multi", lang, tpl, False)
    for lang in LANGS:
        for tpl in NEG[lang]:
            emit("neg", lang, tpl, True)
    return records


def self_check(records):
    ok = True
    ids = [r["id"] for r in records]
    if len(ids) != len(set(ids)):
        print("duplicate ids"); ok = False
    texts = Counter(r["text"] for r in records)
    dups = [t for t, c in texts.items() if c > 1]
    if dups:
        print("duplicate texts:", dups[:5]); ok = False
    exact = Counter()
    for r in records:
        if r["lang"] not in LANGS:
            print("bad lang", r["id"]); ok = False
        p = problems(r["text"], r["entities"])
        if r["id"].startswith("neg-") and r["entities"]:
            p.append("negative with entities")
        if p:
            print(r["id"], p); ok = False
        for e in r["entities"]:
            t = e["type"]
            # explicit checksum checks, independent of the detector
            if t == "payment_card":
                dd = re.sub(r"[ -]", "", e["text"])
                ok &= luhn_ok(dd) and card_iin_ok(dd)
            elif t == "iban":
                ok &= iban_mod97(e["text"].replace(" ", "")) == 1
            elif t == "cn_resident_id":
                ok &= cn_check(e["text"][:17]) == e["text"][17]
        if r["entities"]:
            h, n = exact_hits(r["text"], r["entities"])
            exact["hit"] += h
            exact["all"] += n
    return ok, exact


def main():
    records = generate()
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(OUT, encoding="utf-8") as fh:
        loaded = [json.loads(line) for line in fh]
    ok, exact = self_check(loaded)

    pos = [r for r in loaded if r["entities"]]
    neg = [r for r in loaded if not r["entities"]]
    snip_by_type, ent_by_type = Counter(), Counter()
    for r in pos:
        for t in {e["type"] for e in r["entities"]}:
            snip_by_type[t] += 1
        for e in r["entities"]:
            ent_by_type[e["type"]] += 1
    multi_type = sum(1 for r in pos if len({e["type"] for e in r["entities"]}) > 1)
    multi_ent = sum(1 for r in pos if len(r["entities"]) > 1)
    print("wrote %d snippets to %s" % (len(loaded), os.path.relpath(OUT)))
    print("positives %d (multi-entity %d, multi-type %d), negatives %d"
          % (len(pos), multi_ent, multi_type, len(neg)))
    print("%-16s %9s %9s" % ("type", "snippets", "entities"))
    for t in TYPES:
        print("%-16s %9d %9d" % (t, snip_by_type[t], ent_by_type[t]))
    by_lang_pos = Counter(r["lang"] for r in pos)
    by_lang_neg = Counter(r["lang"] for r in neg)
    print("%-8s %9s %9s %6s" % ("lang", "positive", "negative", "total"))
    for l in LANGS:
        print("%-8s %9d %9d %6d" % (l, by_lang_pos[l], by_lang_neg[l], by_lang_pos[l] + by_lang_neg[l]))
    print("reference detector exact-span agreement: %d/%d" % (exact["hit"], exact["all"]))
    if len(loaded) < 650 or len(neg) < 200 or min(snip_by_type[t] for t in TYPES) < 40:
        print("SIZE TARGETS NOT MET"); ok = False
    print("self-check:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
