"""Generator step 'users': CRM users and profiles (sales_crm), payment users and saved cards.

Each ordering user belongs to a home store. About 2% are regulars with a steady habit
(`activity` = 1.75-3.25 orders a week, from their first order to the end or their churn), the rest
occasional (`activity` = a heavy-tailed weight for the orders the regulars leave); ~30% of
registrations never order. The user's first
order time is fixed here (users register minutes, sometimes days, before it) so that the orders
step can give every later order to a user who already exists. A few dozen regulars churn: their
orders stop 6-11 weeks before the as-of date (planted; truth recorded by the orders step).

Frame `users`: t_user (CRM) columns + home_shop_id, activity, regular, first_order_time (UTC, NaT
for users who never order), churn_time (UTC, NaT unless planted churn).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lucky.demo.gen import channels
from lucky.demo.gen.catalog import alnum, digits, labels, table_frame
from lucky.demo.gen.orders import defect_count, intraday_seconds, store_day_plan, to_utc
from lucky.demo.world import END, TENANT, World

CRM, PAY = "luckyus_sales_crm", "luckyus_sales_payment"
USERS, PROFILES, PAY_USERS, CARDS = 275_000, 193_000, 10_000, 157_000
USERS_PER_ORDER = 0.41          # ordering users per completed order at a real store
REGULAR_SHARE = 0.015         # regulars order 1.75-3.25 times a week, steadily
REGULAR_RATE = (1.75, 3.25)
STAFF_ORDERS = 100             # orders per tester / staff account over the history
FIRST = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Chris", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra",
         "Kevin", "Ashley", "Jason", "Emily", "Wei", "Mei", "Jun", "Yuki", "Priya", "Arjun", "Sofia",
         "Mateo", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Mia", "Lucas", "Chloe", "Aiden")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Walker", "Hall", "Young", "Allen", "King", "Wright", "Scott", "Chen", "Wang", "Li", "Zhang",
        "Liu", "Kim", "Park", "Nguyen", "Patel", "Shah", "Cohen", "Rossi", "Murphy", "Kelly", "Rivera")
AREAS = (212, 646, 917, 347, 718, 929, 332, 516, 914, 201, 551, 973, 908, 732, 203, 860, 617, 415,
         310, 312)
DOMAINS = ("example.com", "example.org", "example.net")
# payment channel_id of saved cards (Tool 8's channels) and the card brands behind them
CARD_CHANNELS = np.array([53, 6, 51, 3, 1, 52, 5, 91, 54, 55, 92])
CARD_P = np.array([205988, 168286, 30901, 27301, 7918, 17829, 12232, 12682, 1737, 198, 5], dtype=float)
BRANDS = np.array(["visa", "mastercard", "amex", "discover"])


def _first_orders(world: World, rng: np.random.Generator, plan: pd.DataFrame) -> pd.DataFrame:
    """Home store and first-order time of every ordering user."""
    shops = world.shops.set_index("id")
    parts = []
    for sid, g in plan.groupby("shop_id", sort=True):
        target = int(g["target"].iloc[0])
        if g["currency"].iloc[0] == "NZD" or g["internal"].iloc[0]:
            n = max(1, int(round(target / STAFF_ORDERS)))   # testers and staff: a few busy accounts
        else:
            n = int(round(target * USERS_PER_ORDER))
        w = (g["expected"] * g["launch"] * ~g["collapse"]).to_numpy()   # nobody's first visit on a collapsed day
        if w.sum() <= 0 or n == 0:
            continue
        day = g["local_date"].to_numpy()[rng.choice(len(g), n, p=w / w.sum())]
        parts.append(pd.DataFrame(dict(home_shop_id=sid, day=day,
                                       test=shops.loc[sid, "test_flag"] == 1,
                                       zone=shops.loc[sid, "time_zone"])))
    df = pd.concat(parts, ignore_index=True)
    local = df["day"].to_numpy() + intraday_seconds(rng, df["day"].to_numpy(), df["test"].to_numpy()).astype("timedelta64[s]")
    df["first_order_time"] = to_utc(local, df["zone"].to_numpy())
    return df


def _strings(rng: np.random.Generator, n: int) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """Fake but realistic phones (+1 AAA-555-XXXX, bytes) and emails (name@example.com)."""
    area = np.array(AREAS)[rng.integers(0, len(AREAS), n)]
    phone = digits("+1 ", area * 10**7 + 5550000 + rng.integers(0, 10000, n), 10)
    m = phone.view(np.uint8).reshape(n, -1)
    m = np.insert(m, [6, 9], np.frombuffer(b"-", np.uint8)[0], axis=1)   # +1 212-555-0123
    phone = np.ascontiguousarray(m).view(f"S{m.shape[1]}").ravel()
    def pick(options, k=n):
        return pa.array(np.array(options, dtype=object)[rng.integers(0, len(options), k)], pa.string())
    first = pc.utf8_lower(pick(FIRST))
    last = pc.utf8_lower(pick(LAST))
    num = pc.cast(pa.array(rng.integers(1, 9999, n)), pa.string())
    email = pc.binary_join_element_wise(first, pick((".", "_", "")), last, num, pa.scalar("@"), pick(DOMAINS), "")
    return phone, pd.array(email, dtype="str")


def _users(world: World, rng: np.random.Generator) -> pd.DataFrame:
    plan = store_day_plan(world)
    first = _first_orders(world, rng, plan)
    n_order = len(first)
    n = max(world.n(USERS), n_order + world.n(1000))
    n_never = n - n_order
    # never-ordering registrations: spread like the chain's volume
    real = plan[(plan["currency"] == "USD") & ~plan["internal"]]
    pick = rng.choice(len(real), n_never, p=(real["expected"] / real["expected"].sum()).to_numpy())
    never_day = real["local_date"].to_numpy()[pick]
    never_local = never_day + intraday_seconds(rng, never_day, np.zeros(n_never, bool)).astype("timedelta64[s]")
    never_t = to_utc(never_local, np.full(n_never, "America/New_York", dtype=object))
    # registration: minutes before the first order, sometimes days before
    delay = np.where(rng.random(n_order) < 0.78, rng.integers(60, 1200, n_order),
                     rng.integers(86400, 30 * 86400, n_order)).astype("timedelta64[s]")
    reg = np.concatenate([first["first_order_time"].to_numpy() - delay, never_t])
    home = np.concatenate([first["home_shop_id"].to_numpy(), real["shop_id"].to_numpy()[pick]])
    ft = np.concatenate([first["first_order_time"].to_numpy(), np.full(n_never, np.datetime64("NaT"), "datetime64[ns]")])
    zones = np.array(sorted(set(first["zone"]) | {"America/New_York"}), dtype=object)
    zone = np.concatenate([np.searchsorted(zones, first["zone"].to_numpy().astype(str)),
                           np.full(n_never, int(np.searchsorted(zones, "America/New_York")))])
    staff = np.isin(home, real["shop_id"].unique(), invert=True)   # test-store testers, office staff
    staff[n_order:] = False
    regular = (rng.random(n) < REGULAR_SHARE) & ~staff
    activity = np.where(regular, rng.uniform(*REGULAR_RATE, n), np.clip(rng.lognormal(0, 0.6, n), 0.15, 3.0))
    activity[staff] = 1.0        # testers and staff order alike, every week until the end
    activity[n_order:] = 0.0
    order = np.argsort(reg, kind="stable")
    reg, home, ft, zone, activity, regular = (a[order] for a in (reg, home, ft, zone, activity, regular))
    # churn: regulars with at least four months of history stop 6-11 weeks before the as-of date
    end = np.datetime64(pd.Timestamp(END) + pd.Timedelta(hours=29))
    early = (ft < end - np.timedelta64(150, "D")) & np.isin(home, real["shop_id"].unique())
    k = defect_count(world) + 10   # those still regular when they stop are the truth
    short = min(k - int((regular & early).sum()), int(0.03 * early.sum()))
    if short > 0:   # small scales: enough early regulars to plant churn among
        extra = rng.choice(np.flatnonzero(early & ~regular), min(short, int((early & ~regular).sum())), replace=False)
        regular[extra] = True
        activity[extra] = rng.uniform(*REGULAR_RATE, len(extra))
    cand = np.flatnonzero(regular & early)
    churn = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    k = min(len(cand), k)
    chosen = rng.choice(cand, k, replace=False)
    churn[chosen] = end - rng.integers(45 * 86400, 75 * 86400, k).astype("timedelta64[s]")
    ids = np.arange(1, n + 1, dtype=np.int64)
    user_no = digits("", 1_200_000_000 + ids * 7 + rng.integers(0, 7, n), 10)
    phone, email = _strings(rng, n)
    origin = channels.origins(rng.random(n), regular, ~np.isnat(ft))   # issue 14: origin shapes behaviour
    occasional = ~regular & np.isin(home, real["shop_id"].unique()) & ~np.isnat(ft)
    activity = channels.activity(activity, origin, occasional)
    status = np.where(rng.random(n) < 0.012, 0, 1).astype("int16")
    df = table_frame(CRM, "t_user", dict(
        id=ids, tenant=TENANT, user_no=user_no, phone=phone, email=email, origin=origin.astype("int16"),
        time_zone=labels(zones, zone), status=status, register_time=reg, create_time=reg,
        update_time=reg + rng.integers(0, 90 * 86400, n).astype("timedelta64[s]")))
    df["home_shop_id"] = home
    df["activity"] = activity
    df["regular"] = regular & ~np.isnat(ft)
    df["first_order_time"] = ft
    df["churn_time"] = churn
    return df


def _profiles(world: World, rng: np.random.Generator, users: pd.DataFrame) -> pd.DataFrame:
    n = min(world.n(PROFILES), len(users))
    buyer = ~users["first_order_time"].isna().to_numpy()
    ordering, others = np.flatnonzero(buyer), np.flatnonzero(~buyer)
    pick = np.concatenate([ordering, others])[:n] if len(ordering) < n else rng.choice(ordering, n, replace=False)
    pick = np.sort(pick)
    u = users.iloc[pick]
    ages, low = ("18-24", "25-34", "35-44", "45-54", "55+", None), np.array([18, 25, 35, 45, 55])
    age = rng.choice(5, n, p=[0.22, 0.38, 0.22, 0.11, 0.07])
    years = low[age] + rng.integers(0, 7, n)
    birthday = np.datetime64("2026-01-01") - (years * 365 + rng.integers(0, 365, n)).astype("timedelta64[D]")
    has_birthday = rng.random(n) < 0.6
    zips = ("10001", "10003", "10010", "10011", "10013", "10016", "10018", "10019", "10022",
            "10038", "11201", "11211", "07302", "10025", "11101")
    return table_frame(CRM, "t_user_profile", dict(
        id=np.arange(1, n + 1, dtype=np.int64), tenant=TENANT, user_no=u["user_no"],
        gender=rng.choice([0, 1, 2], n, p=[0.35, 0.33, 0.32]).astype("int16"),
        birthday=np.where(has_birthday, birthday, np.datetime64("NaT")),
        age_range=labels(ages, np.where(has_birthday, age, 5)),
        preferred_shop_id=labels(*np.unique(u["home_shop_id"].to_numpy(), return_inverse=True)),
        zip_code=labels(zips, rng.integers(0, len(zips), n)), create_time=u["register_time"].to_numpy(),
        update_time=u["update_time"].to_numpy()))


def _payment_users(world: World, rng: np.random.Generator, users: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ordering = np.flatnonzero(~users["first_order_time"].isna().to_numpy())
    n = min(world.n(PAY_USERS), len(ordering))
    w = users["activity"].to_numpy()[ordering]
    pick = np.sort(rng.choice(ordering, n, replace=False, p=w / w.sum()))
    u = users.iloc[pick]
    t = u["first_order_time"].to_numpy()
    pay_users = table_frame(PAY, "t_user", dict(
        id=np.arange(1, n + 1, dtype=np.int64), tenant=TENANT, user_no=u["user_no"],
        stripe_customer_id=alnum(rng, n, 14, "cus_"), email=u["email"],
        status=np.ones(n, dtype="int16"), create_time=t, update_time=t))
    m = world.n(CARDS)
    owner = np.sort(rng.choice(ordering, m, replace=True, p=w / w.sum()))
    uc = users.iloc[owner]
    ch = rng.choice(CARD_CHANNELS, m, p=CARD_P / CARD_P.sum())
    first_of_user = np.r_[True, owner[1:] != owner[:-1]]
    created = uc["first_order_time"].to_numpy() + rng.integers(0, 40 * 86400, m).astype("timedelta64[s]")
    cards = table_frame(PAY, "t_user_channel", dict(
        id=np.arange(1, m + 1, dtype=np.int64), tenant=TENANT, user_no=uc["user_no"],
        channel_id=ch.astype(np.int32), card_brand=BRANDS[rng.choice(4, m, p=[0.52, 0.3, 0.13, 0.05])],
        card_last4=digits("", rng.integers(0, 10000, m), 4),
        is_default=first_of_user.astype("int16"), status=np.where(rng.random(m) < 0.08, 0, 1).astype("int16"),
        create_time=created, update_time=created))
    return pay_users, cards


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("users")
    users = _users(world, rng)
    world.frames["users"] = users
    cols = list(users.columns[: users.columns.get_loc("update_time") + 1])
    yield CRM, "t_user", users[cols]
    yield CRM, "t_user_profile", _profiles(world, rng, users)
    pay_users, cards = _payment_users(world, rng, users)
    yield PAY, "t_user", pay_users
    yield PAY, "t_user_channel", cards
