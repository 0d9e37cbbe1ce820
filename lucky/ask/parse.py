"""English -> `Spec`: a rule-based slot filler over Lucky's own vocabulary.

It finds a metric, a dimension, a period, store/product/category/channel filters, a comparison
and top/bottom N. What it cannot place it reports (`Parsed.problem`) with a close question it
can answer, instead of guessing. Relative dates count from `as_of`, the data's latest
store-local business day; weeks start on Monday.
"""
from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from lucky.ask.semantic import Spec

WRITE_WORDS = re.compile(r"\b(drop|delete|truncate|insert|update|alter|grant|revoke|create table|"
                         r"shutdown|kill|exec|execute|into outfile|load_file|sleep|benchmark|pg_sleep)\b")
INJECTION = re.compile(r"ignore (all |the |your )?(previous|prior|above)|system prompt|you are now|"
                       r"disregard|jailbreak|developer mode", re.I)
PII_WORDS = re.compile(r"\b(phone|phones|email|emails|e-mail|addresses|address|home address|"
                       r"birthday|birthdays|card number|last4|zip code)\b")

METRIC_WORDS: tuple[tuple[str, str], ...] = (
    (r"average order value|\baov\b|average (ticket|check|basket|order size|spend)|avg order|basket size|ticket size", "aov"),
    (r"production time|prep(aration)? time|make time|making time|how long .*(make|prepare|produce)|time to make|brew time", "production_time"),
    (r"processing fees?|stripe fees?|payment fees?|card fees?|\bfees\b|\bfee\b", "fees"),
    (r"refund(ed)? (amount|value|money|dollars)|how much .*refund|refunded \$", "refund_amount"),
    (r"\brefunds?\b|\brefunded\b", "refunds"),
    (r"coupons?( were| got)? (redeemed|used)|redeemed coupons?|coupon (redemptions?|use|usage)|\bcoupons?\b|\bvouchers?\b", "coupons"),
    (r"new (users|customers|members|sign ?ups|signups|accounts)|sign ?ups|signups|registrations|registered|joined", "new_users"),
    (r"sales tax|\btax(es)?\b", "tax"),
    (r"\bpayments?\b|payment volume|charged", "payments"),
    (r"unique (customers|users|buyers|guests)|\bcustomers\b|\bbuyers\b|\bguests\b|distinct users|\bvisitors\b", "customers"),
    (r"\brevenue\b|\bsales\b|\bturnover\b|\btakings\b|\bincome\b|how much money|\bearn(ed)?\b|\bgross\b|dollars|\bmade\b|\bmake\b", "revenue"),
    (r"\bitems?\b|\bunits?\b|\bcups?\b|\bquantity\b|best[- ]sell|worst[- ]sell|most (popular|sold|ordered)|least (popular|sold|ordered)|top[- ]sell|\bsold\b|\bsell\b|\bsells\b|selling", "items"),
    (r"\borders?\b|\btransactions\b|\btickets\b|order count|\bbusiest\b|\bquietest\b|\bslowest\b|\bbusy\b", "orders"),
)

DIM_WORDS: tuple[tuple[str, str], ...] = (
    (r"weekdays? (vs\.?|versus|and|or|compared (to|with)|against) weekends?|weekends? (vs\.?|versus|and|or|compared (to|with)|against) weekdays?|weekend vs|weekday vs", "daytype"),
    (r"payment (channel|method|type)s?|\bcard types?\b|pay(ment)? with", "payment_channel"),
    (r"(by|per|each|every|which|what|across|top \d* ?|bottom \d* ?|best \d* ?|worst \d* ?)\s*(store|shop|location|branch)e?s?\b|(store|shop|location)s? (ranked|ranking|breakdown|league)|busiest (store|shop|location)|quietest (store|shop|location)|"
     r"(store|shop|location) (with|that had|had) the (most|highest|fewest|lowest|least|best|worst)", "store"),
    (r"(by|per|each|which|what|top \d* ?|best \d* ?)\s*(categor(y|ies))", "category"),
    (r"(by|per|each|which|what|top \d* ?|bottom \d* ?|best[- ]selling|worst[- ]selling|most popular|least popular|most ordered|top[- ]selling)\s*(\d+ )?([a-z]+ )?(drinks?|products?|items?|beverages?|coffees?|menu items?|foods?|snacks?|lattes?)\b", "product"),
    (r"(by|per|each|which)\s*(sales )?channels?|by platform|ios (vs|versus|or|and) android|android (vs|versus|or|and) ios|\bapp vs\b", "channel"),
    (r"(top|best|bottom|biggest|most loyal|\d+) (users|customers|members|buyers)|(users|customers) (by|ranked by) (order|orders|revenue|spend)", "user"),
    (r"by hour|per hour|each hour|hourly|which hour|what hour|busiest hours?|peak hours?|time of day", "hour"),
    (r"by (day of (the )?week|weekday)|per weekday|day of (the )?week|which (week)?day|what (week)?day of the week|busiest day of the week", "weekday"),
    (r"by day|per day|each day|daily|day by day|which day|busiest day|what day", "day"),
    (r"by week|per week|each week|weekly|week by week", "week"),
    (r"by month|per month|each month|monthly|month by month|which month", "month"),
)

DRINK_WORDS = re.compile(r"\b(drinks?|beverages?|coffees?)\b")
FOOD_WORDS = re.compile(r"\b(food|foods|snacks?|pastr(y|ies)|bakery|sandwich(es)?)\b")
CHANNEL_WORDS = {r"\bios\b|iphone|apple app": 2, r"\bandroid\b": 1, r"\bdelivery\b|\bdelivered\b": 3}
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | \
         {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
WEEKDAY_NAMES = {d.lower(): i for i, d in enumerate(calendar.day_name)}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20}
FUNCTION_WORDS = {"the", "a", "an", "of", "our", "my", "we", "did", "do", "does", "how", "many", "much",
                  "sell", "sold", "for", "at", "in", "on", "top", "best", "selling", "worst", "any",
                  "what", "was", "were", "is", "are", "number", "total", "and", "or", "vs",
                  "with", "by", "per", "about", "only", "just", "show", "me", "give", "count", "orders",
                  "order", "revenue", "sales", "from", "which", "to", "cups", "cup", "most",
                  "popular", "iced", "hot", "get", "got", "item", "items", "units"}
STORE_HINT = re.compile(r"\b(store|shop|location|branch|outlet)\b|\b\d+(st|nd|rd|th)\b|&|\b(street|avenue|ave|broadway|lane)\b")


@dataclass
class Parsed:
    spec: Spec
    problem: str | None = None          # why the question cannot be answered as asked
    suggestion: str | None = None       # a close question that can be answered
    refusal: str | None = None          # a request Lucky will not serve (writes, PII)


def normalize(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"\s*(&|/|\+)\s*", " and ", text)
    text = re.sub(r"[^a-z0-9$%' .-]", " ", text)
    text = re.sub(r"\bamp\b", "and", text)
    return re.sub(r"\s+", " ", text).strip()


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("es") and word[-3] in "hsx":
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9$%']+", text)]


@lru_cache(maxsize=4096)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(_words(normalize(name)))


def find_names(text: str, names: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
    """Names (longest first) whose words appear in `text` (plurals folded, 'and' for '&'),
    each word span used once; plus the matched spans for later checks."""
    words = _words(normalize(text))
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    keyed = sorted(((n, list(_name_words(n))) for n in names), key=lambda p: -len(p[1]))
    taken: set[int] = set()
    for name, nw in keyed:
        if not nw:
            continue
        for i in range(len(words) - len(nw) + 1):
            if words[i:i + len(nw)] == nw and not taken & set(range(i, i + len(nw))):
                found.append(name)
                spans.append((i, i + len(nw)))
                taken |= set(range(i, i + len(nw)))
                break
    return found, spans


def fuzzy_names(text: str, names: list[str], cutoff: float = 0.84) -> list[str]:
    """The name matching an n-gram of the question most closely (typos: '8th and Brodway')."""
    words = normalize(text).split()
    best, score = None, cutoff
    for name in names:
        target = normalize(name)
        k = len(target.split())
        for size in {k, k + 1, max(1, k - 1)}:
            for i in range(len(words) - size + 1):
                matcher = difflib.SequenceMatcher(None, " ".join(words[i:i + size]), target)
                if matcher.real_quick_ratio() < score or matcher.quick_ratio() < score:
                    continue
                ratio = matcher.ratio()
                if ratio >= score:
                    best, score = name, ratio
    return [best] if best else []


def close_names(phrase: str, names: list[str], n: int = 5) -> list[str]:
    """Up to n names closest to `phrase` (store/product words that every name shares ignored)."""
    core = re.sub(r"\b(store|shop|location|branch|the|our)\b", " ", normalize(phrase)).strip() or phrase
    scored = [(difflib.SequenceMatcher(None, core, normalize(x)).ratio(), i, x) for i, x in enumerate(names)]
    close = [x for r, _, x in sorted(scored, key=lambda t: (-t[0], t[1])) if r >= 0.45]
    return (close + [x for x in names if x not in close])[:n]


# ------------------------------------------------------------------ periods
def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _parse_day(text: str, as_of: date) -> date | None:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    m = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(st|nd|rd|th)?,?( (\d{4}))?", text.strip())
    if m and m[1] in MONTHS:
        year = int(m[5]) if m[5] else as_of.year
        try:
            day = date(year, MONTHS[m[1]], int(m[2]))
        except ValueError:
            return None
        return day if m[5] or day <= as_of else date(year - 1, day.month, day.day)
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(/(\d{2,4}))?", text.strip())
    if m:
        year = int(m[4]) + (2000 if m[4] and len(m[4]) == 2 else 0) if m[4] else as_of.year
        try:
            return date(year, int(m[1]), int(m[2]))
        except ValueError:
            return None
    return None


DAY_RE = r"(\d{4}-\d{1,2}-\d{1,2}|[a-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?(?!\d),?(?: \d{4})?|\d{1,2}/\d{1,2}(?:/\d{2,4})?)"


def periods(text: str, as_of: date, first: date | None) -> list[tuple[int, date, date, str]]:
    """(position, start, end, label) of every period the text names, in order of appearance."""
    monday = as_of - timedelta(days=as_of.weekday())
    out: list[tuple[int, date, date, str]] = []
    start_of_data = first or date(2000, 1, 1)

    def add(m: re.Match, lo: date, hi: date, label: str) -> None:
        out.append((m.start(), lo, hi, label))

    simple = {
        r"\bday before yesterday\b": (as_of - timedelta(days=2), as_of - timedelta(days=2), "the day before yesterday"),
        r"(?<!before )\byesterday\b": (as_of - timedelta(days=1), as_of - timedelta(days=1), "yesterday"),
        r"\btoday\b|\bso far today\b": (as_of, as_of, "today"),
        r"\bthis week\b|\bweek to date\b|\bwtd\b|\bcurrent week\b": (monday, as_of, "this week"),
        r"\blast week\b|\bprevious week\b|\bprior week\b": (monday - timedelta(days=7), monday - timedelta(days=1), "last week"),
        r"\bthis month\b|\bmonth to date\b|\bmtd\b|\bcurrent month\b": (as_of.replace(day=1), as_of, "this month"),
        r"\bthis year\b|\byear to date\b|\bytd\b": (as_of.replace(month=1, day=1), as_of, "this year"),
        r"\ball time\b|\bever\b|\boverall\b|\bin total\b|\ball[- ]time\b|\bso far\b(?! (today|this))(?<!week so far)(?<!month so far)": (start_of_data, as_of, "all time"),
    }
    for pattern, (lo, hi, label) in simple.items():
        for m in re.finditer(pattern, text):
            add(m, lo, hi, label)
    for m in re.finditer(r"\b(last|previous|prior) month\b", text):
        prev = as_of.replace(day=1) - timedelta(days=1)
        add(m, *_month_range(prev.year, prev.month), "last month")
    for m in re.finditer(r"\blast year\b|\bprevious year\b", text):
        add(m, date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31), "last year")
    for m in re.finditer(r"\b(last|past|previous|trailing) (\d+|[a-z]+) (day|week|month)s?\b", text):
        n = int(m[2]) if m[2].isdigit() else NUMBERS.get(m[2])
        if not n:
            continue
        days = n * {"day": 1, "week": 7, "month": 30}[m[3]]
        add(m, as_of - timedelta(days=days - 1), as_of, f"the last {n} {m[3]}{'s' if n > 1 else ''}")
    for m in re.finditer(r"\b(between|from) " + DAY_RE + r" (and|to|until|through|-) " + DAY_RE, text):
        lo, hi = _parse_day(m[2], as_of), _parse_day(m[4], as_of)
        if lo and hi:
            add(m, min(lo, hi), max(lo, hi), f"{min(lo, hi)} to {max(lo, hi)}")
    for m in re.finditer(r"\bsince " + DAY_RE, text):
        lo = _parse_day(m[1], as_of)
        if lo:
            add(m, lo, as_of, f"since {lo}")
    taken = [(p[0], p[0] + 40) for p in out]
    for m in re.finditer(r"\b(on|for|at|in) " + DAY_RE, text):
        day = _parse_day(m[2], as_of)
        if day and not any(lo <= m.start() < hi for lo, hi in taken):
            add(m, day, day, day.isoformat())
    for m in re.finditer(r"\b(in|during|for|of) (" + "|".join(sorted(MONTHS, key=len, reverse=True))
                         + r")\b\.?( (\d{4}))?", text):
        if any(lo <= m.start() < hi for lo, hi in taken) or re.match(r"\d", text[m.end():m.end() + 2].strip() or "x"):
            continue
        month = MONTHS[m[2]]
        year = int(m[4]) if m[4] else (as_of.year if month <= as_of.month else as_of.year - 1)
        add(m, *_month_range(year, month), f"{calendar.month_name[month]} {year}")
    for m in re.finditer(r"\b(on|last|this past) (" + "|".join(WEEKDAY_NAMES) + r")\b", text):
        back = (as_of.weekday() - WEEKDAY_NAMES[m[2]]) % 7
        if m[1] == "last" and back == 0:
            back = 7
        day = as_of - timedelta(days=back)
        add(m, day, day, f"{calendar.day_name[day.weekday()]} {day}")
    out.sort(key=lambda p: p[0])
    unique: list[tuple[int, date, date, str]] = []
    for item in out:
        if not any((u[1], u[2]) == (item[1], item[2]) for u in unique):
            unique.append(item)
    return unique


def previous_period(start: date, end: date, label: str) -> tuple[date, date, str]:
    """The period just before: the same span of the previous week/month, else the same length."""
    if label == "this week" or label == "last week":
        return start - timedelta(days=7), end - timedelta(days=7), "the week before" if label == "last week" else "the same days last week"
    if label in ("this month", "last month"):
        prev_end = start - timedelta(days=1)
        lo = prev_end.replace(day=1)
        hi = min(prev_end, lo + (end - start)) if label == "this month" else prev_end
        return lo, hi, "the month before" if label == "last month" else "the same days last month"
    if label in ("today", "yesterday") or start == end:
        return start - timedelta(days=7), end - timedelta(days=7), "the same day a week earlier"
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1), f"the {length} days before"


@dataclass(frozen=True)
class Vocabulary:
    """What the data knows: as-of day, first day, store names, products and categories."""

    as_of: date
    first: date | None
    stores: dict[int, str]
    products: tuple[str, ...]
    categories: tuple[str, ...]


FOLLOW_UP = re.compile(r"^(and|what about|how about|same for|same but|now|then|only|just|but)\b")
COMPARE = re.compile(r"\b(compare|compared|comparison|vs\.?|versus|against|than|over the previous|"
                     r"week over week|month over month|wow|mom|change from|growth)\b")
TOP_N = re.compile(r"\b(top|best|bottom|worst|highest|lowest|biggest|smallest|largest|first) (\d+|[a-z]+)\b")
SUPERLATIVE_TOP = re.compile(r"\b(best|top|most|busiest|highest|biggest|largest|most popular|best[- ]selling|top[- ]selling|peak)\b")
SUPERLATIVE_BOTTOM = re.compile(r"\b(worst|least|quietest|slowest|lowest|smallest|bottom|least popular|worst[- ]selling|fewest)\b")
BREAKDOWN = re.compile(r"\b(by|per|each) (store|shop|location|product|drink|item|category|hour|day|weekday|"
                       r"week|month|channel|platform|payment|user|customer)")
PLURAL_DIM = re.compile(r"\b(stores|shops|locations|drinks|products|items|hours|days|users|customers|"
                        r"categories|channels|months|weeks|beverages|coffees|lattes|foods|snacks)\b")


def _foreign(question: str) -> bool:
    letters = [c for c in question if c.isalpha()]
    if letters and sum(1 for c in letters if ord(c) > 127) / len(letters) > 0.2:
        return True
    return bool(re.search(r"\b(cu[aá]ntos|cu[aá]nto|pedidos|ventas|ayer|combien|commandes|hier|wie viele|"
                          r"bestellungen|gestern|quanti|ordini|quantos|vendas|ontem)\b", question.lower()))


def parse(question: str, vocab: Vocabulary, previous: Spec | None = None) -> Parsed:
    """The spec a question asks for, or what was understood and what is missing."""
    raw = (question or "").strip()
    if not raw:
        return Parsed(Spec(), problem="the question is empty",
                      suggestion="How many orders did we do yesterday?")
    if _foreign(raw):
        return Parsed(Spec(), problem="Ask Lucky understands questions in English only",
                      suggestion="How many orders did 8th & Broadway do yesterday?")
    text = normalize(raw)
    if INJECTION.search(raw) or WRITE_WORDS.search(text):
        return Parsed(Spec(), refusal="Ask Lucky only reads data: it cannot change, delete or run "
                                      "anything, and it follows no instructions inside a question")
    pii = PII_WORDS.search(text)
    spec = Spec()

    # metric
    metric = None
    for pattern, name in METRIC_WORDS:
        if re.search(pattern, text):
            metric = name
            break
    # a follow-up refines the last answer: it says so ("and", "only", "what about") or names no figure
    follow = previous is not None and (FOLLOW_UP.search(text) is not None or metric is None)
    # dimension
    dim = None
    for pattern, name in DIM_WORDS:
        if re.search(pattern, text):
            dim = name
            break
    if dim == "daytype":
        spec = spec.with_(compare="daytype")
    # top / bottom N
    top, ascending = None, False
    m = TOP_N.search(text)
    if m and (m[2].isdigit() or m[2] in NUMBERS):
        top = int(m[2]) if m[2].isdigit() else NUMBERS[m[2]]
        ascending = m[1] in ("bottom", "worst", "lowest", "smallest")
    elif dim and dim not in ("daytype",) and (SUPERLATIVE_TOP.search(text) or SUPERLATIVE_BOTTOM.search(text)) \
            and not PLURAL_DIM.search(text) and not BREAKDOWN.search(text):
        top, ascending = 1, bool(SUPERLATIVE_BOTTOM.search(text)) and not SUPERLATIVE_TOP.search(text)
    elif dim and SUPERLATIVE_BOTTOM.search(text):
        ascending = True
    if dim == "user" and metric in (None, "customers"):
        metric = "orders"
    if metric is None and re.search(r"\b(busiest|quietest|slowest|peak)\b", text):
        metric = "orders"
    if metric == "items" and re.search(r"\bby (revenue|sales)\b", text):
        metric = "revenue"
    if metric in ("revenue", "items") and dim == "user" and re.search(r"order count|number of orders|by orders|most orders", text):
        metric = "orders"
    if dim == "user" and re.search(r"\b(by|in) (revenue|spend|spending|sales)\b|spent the most|spend the most", text):
        metric = "revenue"

    # filters
    store_names = list(vocab.stores.values())
    if metric is None and not follow and find_names(raw, list(vocab.products))[0]:
        metric = "items"
    stores, _ = find_names(raw, store_names)
    if not stores:
        stores = fuzzy_names(raw, store_names)
    ids = tuple(sorted(i for i, n in vocab.stores.items() if n in stores))
    products, spans = find_names(raw, list(vocab.products))
    words = _words(text)
    unknown_product = None
    for i, j in spans:
        before = words[i - 1] if i > 0 else ""
        if before and before not in FUNCTION_WORDS and not before.isdigit() and before not in {_stem(w) for w in FUNCTION_WORDS}:
            lead = words[max(0, i - 2):i]
            while lead and lead[0] in FUNCTION_WORDS:
                lead = lead[1:]
            unknown_product = " ".join(lead + words[i:j])
    categories = [c for c in vocab.categories if re.search(r"\b" + re.escape(normalize(c)) + r"s?\b", text)
                  and c not in products and not any(normalize(c) in normalize(p) for p in products)]
    exclude: tuple[str, ...] = ()
    if not products and not categories:
        if FOOD_WORDS.search(text):
            categories = [c for c in vocab.categories if c.lower() == "food"]
        elif DRINK_WORDS.search(text) and (dim == "product" or metric in ("items",) or top):
            exclude = tuple(c for c in vocab.categories if c.lower() == "food")
    temperatures: tuple[str, ...] = ()
    if not products:   # "Iced Latte" is a product; "iced drinks" is a temperature
        temperatures = tuple(t for t, word in (("Iced", r"\b(iced|cold)\b(?! brew)"), ("Hot", r"\bhot\b"))
                             if re.search(word, text))
    channels = tuple(sorted({code for pattern, code in CHANNEL_WORDS.items() if re.search(pattern, text)}))
    if dim == "channel":
        channels = ()
    currency = "NZD" if re.search(r"\bnzd\b|cook islands|rarotonga|new zealand", text) else "USD"

    # periods
    found = periods(text, vocab.as_of, vocab.first)
    compare = spec.compare
    if compare is None and COMPARE.search(text) and found:
        compare = "previous"

    if metric is None and follow:
        metric = previous.metric
    if metric is None:
        return _unclear(vocab, found, stores, pii)
    if pii:
        return Parsed(Spec(), refusal="Ask Lucky does not list personal data (phone numbers, e-mails, "
                                      "names, addresses); ask for counts or totals instead")

    base = previous if follow and previous is not None else Spec()
    spec = base.with_(metric=metric, currency=currency if currency != "USD" or not follow else base.currency)
    if dim is not None or not follow:
        spec = spec.with_(dim=dim if dim != "daytype" else "daytype")
    if top is not None or not follow:
        spec = spec.with_(top=top, ascending=ascending)
    elif ascending:
        spec = spec.with_(ascending=True)
    if ids or not follow:
        spec = spec.with_(stores=ids)
    if products or categories or exclude or temperatures or not follow:
        spec = spec.with_(products=tuple(products), categories=tuple(categories), exclude_categories=exclude,
                          temperatures=temperatures)
    if channels or not follow:
        spec = spec.with_(channels=channels)
    if compare or not follow:
        spec = spec.with_(compare=compare)
    if found:
        _, lo, hi, label = found[0]
        spec = spec.with_(start=lo, end=hi, period=label, start2=None, end2=None, period2="")
        if spec.compare == "previous":
            if len(found) > 1 and not re.search(r"same days|same period|so far|to date", text):
                _, lo2, hi2, label2 = found[1]
            else:
                lo2, hi2, label2 = previous_period(lo, hi, label)
            spec = spec.with_(start2=lo2, end2=hi2, period2=label2)
    elif not follow or spec.start is None:
        spec = spec.with_(start=vocab.first or vocab.as_of, end=vocab.as_of, period="all time")
    if spec.compare == "previous" and spec.start2 is None:
        spec = spec.with_(compare=None)
    if spec.compare == "daytype":
        spec = spec.with_(dim="daytype", top=None)

    parsed = Parsed(spec)
    named = _unknown_name(raw, vocab) if not ids else None
    asked = _asked_thing(text) if not products and not categories else None
    if named:
        parsed.problem = f"I don't know a store or product called '{named}'"
        parsed.suggestion = ("Stores: " + ", ".join(close_names(named, store_names)) + ". Products: "
                             + ", ".join(close_names(named, list(vocab.products), 3)))
    elif asked:
        parsed.problem = f"I don't know a product called '{asked}'"
        parsed.suggestion = f"Close names: {', '.join(close_names(asked, list(vocab.products)))}"
    elif unknown_product:
        close = close_names(unknown_product, list(vocab.products))
        parsed.problem = f"I don't know a product called '{unknown_product}'"
        parsed.suggestion = f"Close names: {', '.join(close)}"
    elif STORE_HINT.search(text) and not ids and dim != "store" and not re.search(r"\b(all|every|each|our) (stores|shops)\b", text) \
            and re.search(r"\b(at|for|in|from)\b [a-z0-9]", text) and _store_phrase(text):
        phrase = _store_phrase(text)
        parsed.problem = f"I don't know a store called '{phrase}'"
        parsed.suggestion = "Stores: " + ", ".join(close_names(phrase, store_names))
    return parsed


KNOWN_CAPS = {m.capitalize() for m in MONTHS} | {d.capitalize() for d in WEEKDAY_NAMES} | {
    "NZD", "USD", "iOS", "IOS", "Android", "AOV", "I", "Lucky", "Stripe", "Cook", "Islands", "Rarotonga", "New",
    "Zealand", "Compare", "Show", "What", "Which", "How", "Who", "Top", "List", "Give", "Orders", "Revenue"}
GENERIC_THINGS = re.compile(r"^(?:(?:hot|iced|cold) )?(items?|cups?|drinks?|units?|things|products?|coffees?|beverages?|orders?|of (them|those)|"
                            r"foods?|snacks?|lattes?|(of )?our \w+|the \w+)$")


def _unknown_name(raw: str, vocab: Vocabulary) -> str | None:
    """A capitalised name after did/at/for/in that is no store, product, category or known word."""
    for m in re.finditer(r"\b(?:did|at|for|from|in)\s+(?:the\s+)?((?:[A-Z][\w'&.-]*\s?){1,4})", raw):
        words = [w for w in m[1].split() if w not in KNOWN_CAPS]
        phrase = " ".join(words).strip()
        if not phrase or re.fullmatch(r"\d+", phrase):
            continue
        known = list(vocab.stores.values()) + list(vocab.products) + list(vocab.categories)
        if find_names(phrase, known)[0] or fuzzy_names(phrase, list(vocab.stores.values())):
            continue
        return phrase
    return None


def _asked_thing(text: str) -> str | None:
    """'how many X did we sell': X when it names no product Lucky knows (nor a generic word)."""
    m = re.search(r"\bhow many ([a-z' ]+?) (?:did|do|have|were|was|has) (?:we |they |you )?(?:sell|sold|serve|served|make|made)", text)
    if not m or GENERIC_THINGS.match(m[1].strip()):
        return None
    return m[1].strip()


def _store_phrase(text: str) -> str | None:
    """The words after at/for/in that look like a store name (digits, '&', street words)."""
    m = re.search(r"\b(?:at|for|in|from)\b (?:the )?((?:[a-z0-9']+ ){0,3}?(?:[a-z0-9']*(?:\d+(?:st|nd|rd|th)?|street|avenue|ave|broadway|lane|store|shop|location|branch)"
                  r"(?: and [a-z0-9']+)?))(?: store| shop| location)?\b", text)
    if not m:
        return None
    phrase = m[1].strip()
    if re.fullmatch(r"(the )?(last|past|previous|this|next) .*|\d{4}|\d+ (days?|weeks?|months?)|(all|every|each|our) .*", phrase):
        return None
    return phrase


def _unclear(vocab: Vocabulary, found, stores, pii) -> Parsed:
    bits = []
    if stores:
        bits.append("store " + ", ".join(stores))
    if found:
        bits.append("period " + found[0][3])
    if pii:
        return Parsed(Spec(), refusal="Ask Lucky does not list personal data (phone numbers, e-mails, "
                                      "names, addresses); ask for counts or totals instead")
    store = stores[0] if stores else (list(vocab.stores.values()) or ["8th & Broadway"])[0]
    when = found[0][3] if found else "yesterday"
    if bits:
        problem = "I understood " + " and ".join(bits) + " but not which figure you want"
    else:
        problem = "I could not find a figure I know in this question"
    return Parsed(Spec(), problem=problem,
                  suggestion=f"How many orders did {store} do {when}? (I know orders, revenue, average "
                             "order value, items, customers, new users, refunds, coupons, production "
                             "time, fees and tax)")
