#!/usr/bin/env python3
"""Writes the messy redaction corpus, Tests/SluiceCoreTests/RedactionCorpus/messy/<family>.txt.

The labelled corpus next to it holds one form per line, as a detector sees it. This one holds
what real logs carry: PII encoded (percent escapes, JSON \\u escapes, documents embedded as
strings), credentials in URLs and connection strings, secret field names in every naming
style, international phone formats, cards with mixed separators, cookie headers in free text
— each form in each context:

  json      one flat JSON object per line
  nested    nested objects and arrays
  embedded  a JSON document inside a string value
  logfmt    key=value pairs
  text      a plain-text line
  long      a JSON or text line of more than 64 KiB, the PII after the filler

Line format: `<context>\\t<line>`. In the line, `«rule:text»` (or `«rule1|rule2:text»`) marks
the bytes, as written, that the Redactor with RedactionPolicy.default must replace by one
`[REDACTED:rule]` marker, and `{{pad:N}}` stands for N bytes of PII-free filler. A line with no
label is a trap: it must come out unchanged. Nothing else is escaped.

Deterministic (fixed seed, standard library only): run it again and the files are the same.
MessyCorpusTests reads them; this script is how they are made, so change the forms here.
"""

import json
import os
import random
import urllib.parse

SEED = 20261202
PER_FAMILY_AND_CONTEXT = 20
CONTEXTS = ["json", "nested", "embedded", "logfmt", "text", "long"]
JSON_CONTEXTS = {"json", "nested", "long"}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SluiceCoreTests", "RedactionCorpus",
                   "messy")
# A private-use character standing for `\u0040` (a JSON-escaped `@`) until the line is
# serialised at the level where the escape belongs.
AT_ESCAPE = "\ue000"


def lab(rule, text):
    return f"«{rule}:{text}»"


class Gen:
    def __init__(self, rng):
        self.r = rng

    def pick(self, xs):
        return self.r.choice(xs)

    def cycle(self, xs):
        """The forms in turn, so that every form of a family is in every context."""
        self.turn = getattr(self, "turn", -1) + 1
        return xs[self.turn % len(xs)]

    def token(self, n=None, alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"):
        n = n or self.r.randint(16, 36)
        s = "".join(self.r.choice(alphabet) for _ in range(n))
        # Credential-like: a digit and both cases.
        return s[:-3] + self.r.choice("23456789") + self.r.choice("abcdefgh") + self.r.choice("JKLMNPQR")

    def digits(self, n):
        return "".join(self.r.choice("0123456789") for _ in range(n))

    # -- e-mail ---------------------------------------------------------------------------

    def name(self):
        first = self.pick(["jane", "john", "amelie", "kenji", "olga", "marta", "li", "sam", "noor", "pat"])
        last = self.pick(["doe", "smith", "martin", "tanaka", "ivanova", "garcia", "wei", "lee", "haddad", "okafor"])
        return first, last

    def domain(self):
        return self.pick(["example.com", "example.org", "mail.example.co.uk", "corp.example.de", "example.io",
                          "studio.example.photography", "example.international", "eu.example.net"])

    def plain_email(self):
        f, l = self.name()
        return f"{f}.{l}@{self.domain()}"

    def rfc_local(self):
        f, l = self.name()
        forms = [f"o'{l}", f"{f}!{l}", f"{f}#{l}", f"{f}${l}", f"{f}*{l}", f"{f}^{l}", f"{f}`{l}",
                 f"{f}~{l}", f"{f}+{l}", f"{f}_{l}", f"{f}.{l}'s", f"{f}-{l}", f"{f.upper()}.{l.upper()}",
                 f"{f}+tag#{self.r.randint(1, 99)}", f"{f}'{l}+billing"]
        return self.pick(forms)

    # -- phones ---------------------------------------------------------------------------

    def intl_phone(self):
        d = self.digits
        forms = [
            lambda: f"0044 20 {d(4)} {d(4)}", lambda: f"0033 1 {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+44 (0)20 {d(4)} {d(4)}", lambda: f"+1.415.{self.r.randint(200, 999)}.{d(4)}",
            lambda: f"+49-30-{d(6)}", lambda: f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+1 (415) {self.r.randint(200, 999)}-{d(4)} ext. {self.r.randint(10, 9999)}",
            lambda: f"+44 20 {d(4)} {d(4)} x{self.r.randint(10, 999)}", lambda: f"0049 30 {d(6)}",
            lambda: f"+1-415-{self.r.randint(200, 999)}-{d(4)};ext={self.r.randint(1, 999)}",
            lambda: f"+61 2 {d(4)} {d(4)}", lambda: f"0061 2 {d(4)} {d(4)}", lambda: f"+34 91 {d(3)} {d(2)} {d(2)}",
            lambda: f"0039 06 {d(4)} {d(4)}", lambda: f"+81 3-{d(4)}-{d(4)}", lambda: f"+44.20.{d(4)}.{d(4)}",
            lambda: f"+33 (0)1 {d(2)} {d(2)} {d(2)} {d(2)}", lambda: f"00353 1 {d(3)} {d(4)}",
        ]
        return self.pick(forms)()

    # -- cards ----------------------------------------------------------------------------

    def luhn_complete(self, prefix, length):
        body = prefix + self.digits(length - len(prefix) - 1)
        total = 0
        for k, c in enumerate(reversed(body)):
            v = int(c)
            if k % 2 == 0:
                v *= 2
                if v > 9:
                    v -= 9
            total += v
        return body + str((10 - total % 10) % 10)

    def card(self):
        kind = self.pick(["visa", "mc", "amex", "discover"])
        if kind == "amex":
            n = self.luhn_complete(self.pick(["34", "37"]), 15)
            groups = [n[:4], n[4:10], n[10:]]
        else:
            prefix = {"visa": "4", "mc": self.pick(["51", "53", "55", "2221"]), "discover": "6011"}[kind]
            n = self.luhn_complete(prefix, 16)
            groups = [n[0:4], n[4:8], n[8:12], n[12:16]]
        if self.r.random() < 0.25:
            return n
        seps = [self.pick([" ", "-", "."]) for _ in groups[1:]]
        if len(set(seps)) == 1:  # mixed on purpose
            seps[self.r.randrange(len(seps))] = self.pick([s for s in " -." if s != seps[0]])
        out = groups[0]
        for s, g in zip(seps, groups[1:]):
            out += s + g
        return out


# Each family yields items: ("text", fragment) — free text with labels — or
# ("field", key, value, whole) — a member; `whole` says the value is labelled whole, as
# `field` where the line is JSON and `secret_pair` where it is text, or is a pair of values
# (as labelled in JSON lines, as labelled in text).


def encoded_email(g):
    f, l = g.name()
    dom = g.domain()
    q = lambda s: urllib.parse.quote(s, safe="")
    at = g.pick(["%40", "%40", "%40", "%2540"])
    plus = g.pick(["+", "%2B", "%2b"])
    forms = [
        ("text", f"GET /api/v1/users?email={lab('email', f'{f}.{l}{at}{dom}')}&page=2 200"),
        ("text", f"POST /signup body=name={f.title()}&email={lab('email', f'{f}{plus}news{at}{dom}')}&plan=pro"),
        ("text", f"redirect to /unsubscribe/{lab('email', f'{f}.{l}%40{dom}')}?list=weekly"),
        ("text", f"link mailto:{lab('email', f'{f}{at}{dom}')}?subject=Invoice"),
        ("text", f"lookup user {lab('email', f'{f}.{l}' + AT_ESCAPE + dom)} not found"),
        ("field", "query", f"q=status%3Aopen&assignee={lab('email', q(f'{f}.{l}@{dom}'))}&sort=updated", None),
        ("field", "referer", f"https://app.example.com/invite?to={lab('email', f'{f}{plus}team%40{dom}')}", None),
        ("field", "user", lab("email", f"{f}.{l}" + AT_ESCAPE + dom), None),
        ("text", f"form email={lab('email', q(f'{f}+{l}@{dom}'))}&consent=yes"),
    ]
    return g.cycle(forms)


def rfc_email(g):
    local = g.rfc_local()
    dom = g.domain()
    if local[0].isupper():
        dom = dom.upper()
    addr = f"{local}@{dom}"
    forms = [
        ("text", f"sent receipt to {lab('email', addr)}"),
        ("text", f"bounce from <{lab('email', addr)}>: mailbox full"),
        ("text", f"reply-to '{lab('email', addr)}' rejected"),
        ("field", "to", lab("email", addr), None),
        ("field", "recipients", f"{lab('email', addr)}, {lab('email', g.plain_email())}", None),
        ("text", f"user={lab('email', addr)} action=login"),
    ]
    return g.cycle(forms)


def url_credentials(g):
    user = g.pick(["app", "svc_orders", "admin", "reporting-ro", "etl.job", "guest", "ORDERS_RW"])
    pw = g.token(g.r.randint(8, 22))
    if g.r.random() < 0.2:
        pw = pw[:4] + g.pick(["@", "%40", "%2F", "!", "$", "*"]) + pw[4:]
    host = g.pick(["db:5432", "db-primary.internal:5432", "redis:6379", "mq:5672", "cluster0.ab1cd.mongodb.net",
                   "pg-replica-2", "localhost:27017", "vault.ops.example.com:8200", "kafka-0.kafka:9092"])
    scheme = g.pick(["postgres", "postgresql", "mysql", "amqp", "amqps", "redis", "rediss", "mongodb",
                     "mongodb+srv", "https", "sftp", "jdbc:postgresql"])
    path = g.pick(["/orders", "/0", "/app?sslmode=require", "/", "", "/admin?authSource=admin", "/v1/repo.git"])
    info = g.pick([f"{user}:{pw}", f"{user}:{pw}", f":{pw}"])
    url = f"{scheme}://{lab('url_credentials', info)}@{host}{path}"
    enc_info = urllib.parse.quote(info, safe="")
    encoded = f"{scheme}%3A%2F%2F{lab('url_credentials', enc_info)}%40{urllib.parse.quote(host, safe='')}"
    forms = [
        ("text", f"dial {url} failed: connection refused"),
        ("text", f"DATABASE_URL={url}"),
        ("field", "dsn", url, None),
        ("field", "broker_url", url, None),
        ("text", f"go-sql-driver dsn {lab('url_credentials', f'{user}:{pw}')}@tcp(mysql-0:3306)/orders?parseTime=true"),
        ("text", f"jdbc:sqlserver://db:1433;databaseName=orders;user={user};password={lab('secret_pair', pw)};encrypt=true"),
        ("text", f"odbc Driver={{ODBC Driver 18}};Server=db;Uid={user};Pwd={lab('secret_pair', pw)};Encrypt=yes"),
        ("field", "conn", f"Host=db;Username={user};Password={lab('secret_pair', pw)};Database=orders", None),
        ("text", f"next={encoded}&retry=1"),
        ("text", f"pool ready {url} size=16"),
    ]
    return g.cycle(forms)


def field_names(g):
    key = g.cycle(["accessToken", "access-token", "ACCESS_TOKEN", "clientSecret", "client.secret", "X-Api-Key",
                  "privateKey", "sessionId", "session_token", "webhook_secret", "stripe_secret", "adminPassword",
                  "DB_PASSWORD", "refreshToken", "api-key", "Session-Id", "client_secret", "userPassword"])
    return ("field", key, g.token(), "whole")


def intl_phone(g):
    p = g.intl_phone()
    forms = [
        ("text", f"call back requested on {lab('phone', p)} by customer"),
        ("text", f"sms to {lab('phone', p)} queued"),
        ("field", "contact", lab("phone", p), None),
        ("text", f"tel={lab('phone', p)} country=GB"),
        ("text", f"Customer ({lab('phone', p)}) asked for a refund"),
    ]
    return g.cycle(forms)


def card_separators(g):
    c = g.card()
    forms = [
        ("text", f"charge declined for card {lab('card', c)} reason=insufficient_funds"),
        ("text", f"pan={lab('card', c)};exp=12/29;name=J Doe"),
        ("field", "payment", f"card {lab('card', c)} tokenised", None),
        ("text", f"raw input [{lab('card', c)}] from checkout form"),
        ("text", f"billing|{lab('card', c)}|EUR|49.90"),
    ]
    return g.cycle(forms)


def cookie(g):
    sid = g.token(24)
    csrf = g.token(32)
    forms = [
        ("text", f"GET /cart Cookie: sid={lab('secret_pair', sid)}; csrftoken={lab('secret_pair', csrf)}; "
                 f"theme={lab('secret_pair', 'dark')} ua=curl/8.5 status=200"),
        ("text", f"upstream Set-Cookie: session={lab('secret_pair', sid)}; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT;"
                 f" HttpOnly; Secure"),
        ("field", "cookie", None,
         (lab("field", f"sid={sid}; lang=en"), f"sid={lab('secret_pair', sid)}; lang={lab('secret_pair', 'en')}")),
        ("field", "Set-Cookie", None,
         (lab("field", f"session={sid}; Path=/; HttpOnly"), f"session={lab('secret_pair', sid)}; Path=/; HttpOnly")),
        ("text", f"request headers: Cookie: _ga={lab('secret_pair', 'GA1.2.' + g.digits(9))}; "
                 f"session={lab('secret_pair', sid)} took 12ms"),
    ]
    return g.cycle(forms)


def traps(g):
    forms = [
        "GET https://example.com:8443/search?q=a@b 200 12ms",
        "cloning ssh://git@github.com/org/repo.git into /src",
        "remote origin git@github.com:org/repo.git",
        "profile https://social.example/@jane_doe viewed",
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/orders",
        "broker amqp://guest:@mq:5672/ (no password)",
        "redis://:***@redis:6379/0 connected",
        "build 2026-11-04T09:12:44.118+01:00 v1.22.3 took 1h2m3.5s",
        "order 4111111111111112 shipped",
        "request_id=6f1d2c9e-8b1a-4f5e-9a3b-2c1d0e9f8a7b span=4bf92f3577b34da6",
        "image sha256:9d6b58feebd2dbd3c56ab5853333d627cc6e281011cfd6050fa4bcf2072c9496 pulled",
        "pod checkout-7d9f8b6c5-x2k4q restarted 3 times",
        "at com.example.orders.OrderService.place(OrderService.java:142)",
        "token_count=12 max_tokens=4096 password_policy=strict",
        'note {"hint":"token="} ignored',
        "Set-Cookie: (none)",
        "cookie_consent=accepted cookies_enabled=true",
        "hexdump 0030 0031 0032 0033 0034",
        "systemd getty@tty1.service started",
        "npm install @types/node@20.11.5",
        "redirect=https%3A%2F%2Fexample.com%2Fcallback%3Fuser%3Dbob",
        "epoch=1730710364123 bytes=10485760 latency_ms=0.532",
        "listening on http://localhost:8080/metrics",
        "version +1.2.3 and 00.11.22 released",
        "icon@2x.png served from cdn",
    ]
    return ("text", g.cycle(forms))


FAMILIES = {
    "encoded_email": encoded_email,
    "rfc_email": rfc_email,
    "url_credentials": url_credentials,
    "field_names": field_names,
    "intl_phone": intl_phone,
    "card_separators": card_separators,
    "cookie": cookie,
    "traps": traps,
}

# -- contexts ---------------------------------------------------------------------------------


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace(AT_ESCAPE, "\\u0040")


def whole(value, rule):
    return lab(rule, value)


def logfmt_value(v):
    if v and all(c not in v for c in ' "=\\'):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(item, ctx, g):
    ts = f"2026-11-{g.r.randint(1, 28):02d}T{g.r.randint(0, 23):02d}:{g.r.randint(0, 59):02d}:{g.r.randint(0, 59):02d}.{g.r.randint(0, 999):03d}Z"
    level = g.pick(["info", "warn", "error", "debug"])
    service = g.pick(["checkout", "billing-worker", "api-gateway", "orders", "notifier"])
    json_ctx = ctx in JSON_CONTEXTS and not (ctx == "long" and g.r.random() < 0.35)
    if item[0] == "text":
        text = item[1]
        field = None
    else:
        _, key, value, w = item
        if isinstance(w, tuple):  # labelled differently where the line is JSON and where it is text
            value = w[0] if json_ctx else w[1]
        elif w:
            value = whole(value, "field" if json_ctx else "secret_pair")
        field = (key, value)
        text = None

    if ctx == "json" or (ctx == "long" and json_ctx):
        obj = {"ts": ts, "level": level, "service": service}
        if ctx == "long":
            obj["payload"] = "{{pad:%d}}" % g.r.randint(65536, 70000)
        obj["msg"] = text if text is not None else "request handled"
        if field:
            obj[field[0]] = field[1]
        obj["duration_ms"] = g.r.randint(1, 900)
        return dumps(obj)
    if ctx == "nested":
        inner = {"id": g.r.randint(1000, 9999), "tags": ["a", "b"]}
        obj = {"ts": ts, "level": level, "http": {"method": "POST", "request": {"headers": {"accept": "*/*"}}},
               "events": [{"kind": "audit", "detail": inner}]}
        if text is not None:
            obj["events"].append({"kind": "note", "lines": ["start", text]})
        if field:
            target = g.pick([obj["http"]["request"]["headers"], inner])
            target[field[0]] = field[1]
        return dumps(obj)
    if ctx == "embedded":
        inner = {"status": 502, "error": "bad gateway"}
        if text is not None:
            inner["detail"] = text
        if field:
            inner[field[0]] = field[1]
        body = dumps(inner)  # the \u0040 escapes belong to the inner document
        return json.dumps({"ts": ts, "level": level, "msg": "upstream replied", "body": body}, ensure_ascii=False,
                          separators=(",", ":"))
    if ctx == "logfmt":
        parts = [f"ts={ts}", f"level={level}", f"service={service}"]
        if text is not None:
            parts.append("msg=" + logfmt_value(text.replace(AT_ESCAPE, "\\u0040")))
        if field:
            parts.append(f"{field[0]}={logfmt_value(field[1].replace(AT_ESCAPE, chr(92) + 'u0040'))}")
        parts.append(f"duration={g.r.randint(1, 900)}ms")
        return " ".join(parts)
    # text, and the text half of long
    head = f"{ts.replace('T', ' ')[:-1]} {level.upper()} [{service}] "
    if ctx == "long":
        head += "{{pad:%d}} " % g.r.randint(65536, 70000)
    if text is not None:
        body = text.replace(AT_ESCAPE, "\\u0040")
    else:
        key, value = field
        sep = g.pick(["=", ": "]) if " " not in value else "="
        body = f"{key}{sep}{value.replace(AT_ESCAPE, chr(92) + 'u0040')}"
    return head + body


def main():
    os.makedirs(OUT, exist_ok=True)
    for family, make in FAMILIES.items():
        rng = random.Random(f"{SEED}-{family}")
        g = Gen(rng)
        lines = [f"# {family}: generated by scripts/gen-redaction-corpus.py (seed {SEED}); do not edit by hand."]
        seen = set()
        for ctx in CONTEXTS:
            made = 0
            tries = 0
            while made < PER_FAMILY_AND_CONTEXT and tries < 1000:
                tries += 1
                line = render(make(g), ctx, g)
                if line in seen:
                    continue
                seen.add(line)
                assert "\t" not in line and "\n" not in line, line
                lines.append(f"{ctx}\t{line}")
                made += 1
        with open(os.path.join(OUT, f"{family}.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{family}: {len(lines) - 1} lines")


if __name__ == "__main__":
    main()
