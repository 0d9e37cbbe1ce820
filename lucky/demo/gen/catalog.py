"""Generator step 'catalog': shops (opshop) and the product catalog (scm_commodity).

The catalog does not scale: 517 shops (the 10 Manhattan stores of report §2.2, 180 Varick still
preparing, Cook Islands test stores that trade in NZD, internal shops, and the tenant's historical
test/closed shops), 141 commodities (~80 online drinks and food, the top-15 of §2.3, some spu_codes
present twice as online and offline versions), 1,448 goods and ~32K recipe lines.

Frames left for later steps: shops, products (+ `price` list price, `avg_pay` calibrated average
item pay_money, `weight` popularity), skus (spu_code, sku_code, sku_name, price), goods, recipes.
Recipes: `status` 1 is the recipe in force (use it for consumption), 0 an earlier version.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.demo.world import TENANT, World
from lucky.schema import get_table

OPSHOP, COMMODITY = "luckyus_opshop", "luckyus_scm_commodity"
NY, RAROTONGA = "America/New_York", "Pacific/Rarotonga"

# id, shop_no, name, address, opened, completed orders, revenue, lat, lon (report §2.2)
STORES: tuple[tuple, ...] = (
    (501, "US00001", "8th & Broadway", "755 Broadway, New York, NY 10003", "2025-06-30", 137638, 612844, 40.730552, -73.992110),
    (502, "US00002", "28th & 6th", "800 6th Ave, New York, NY 10001", "2025-06-30", 92226, 438277, 40.745710, -73.990980),
    (503, "US00003", "54th & 8th", "901 8th Ave, New York, NY 10019", "2025-08-24", 56303, 292664, 40.764870, -73.984740),
    (504, "US00004", "102 Fulton", "102 Fulton St, New York, NY 10038", "2025-08-28", 61636, 298627, 40.710050, -74.006590),
    (505, "US00005", "100 Maiden Ln", "100 Maiden Ln, New York, NY 10038", "2025-09-09", 35449, 168070, 40.706780, -74.007080),
    (506, "US00006", "37th & Broadway", "1375 Broadway, New York, NY 10018", "2025-11-20", 26841, 124688, 40.753040, -73.987480),
    (507, "US00007", "33rd & 10th", "410 10th Ave, New York, NY 10001", "2025-12-01", 16058, 76063, 40.754020, -73.998990),
    (508, "US00008", "15th & 3rd", "147 3rd Ave, New York, NY 10003", "2025-12-14", 10057, 47607, 40.734350, -73.986780),
    (509, "US00009", "221 Grand", "221 Grand St, New York, NY 10013", "2025-12-15", 23805, 117403, 40.719320, -73.996300),
    (510, "US00010", "21st & 3rd", "261 3rd Ave, New York, NY 10010", "2026-02-06", 1887, 8518, 40.737620, -73.982890),
)
VARICK = (511, "US00011", "180 Varick", "180 Varick St, New York, NY 10014", "2026-03-15", 0, 0, 40.727330, -74.005440)
#: internal (staff) shop: the USD orders of report §1 not in §2.2 (466,252 - 461,900; $10,038)
INTERNAL = ((480, "USI0001", "Luckin US Office Pantry", "1 Penn Plaza, New York, NY 10119", "2025-06-15", 4352, 10038, 40.750580, -73.993230),
            (481, "USI0002", "Luckin US Training Bar", "1 Penn Plaza, New York, NY 10119", "2025-05-20", 0, 0, 40.750580, -73.993230),
            (482, "USI0003", "Luckin US R&D Kitchen", "1 Penn Plaza, New York, NY 10119", "2025-04-10", 0, 0, 40.750580, -73.993230))
#: Cook Islands test stores carrying the NZD orders (21,245 orders, NZ$74,628)
COOK = ((470, "CK00001", "Rarotonga Test Store A", "Main Rd, Avarua, Rarotonga, Cook Islands", "2025-06-20", 12750, 44780, -21.207800, -159.775000),
        (471, "CK00002", "Rarotonga Test Store B", "Ara Tapu, Arorangi, Rarotonga, Cook Islands", "2025-07-01", 8495, 29848, -21.227400, -159.823100),
        (472, "CK00003", "Aitutaki Test Store", "Amuri, Aitutaki, Cook Islands", "2025-07-15", 0, 0, -18.830900, -159.764700))
N_SHOPS = 517
NZD_ORDERS, NZD_REVENUE = 21245, 74628.0
NYC_TAX = 0.08875

CATEGORIES = ("Fresh Ground Coffee", "Classic Drinks", "Matcha", "Cold Brew", "Refreshers",
              "Exfreezo", "Super Drink", "Food")
# (name, category, orders over completed orders, revenue) of report §2.3, in rank order
TOP15: tuple[tuple, ...] = (
    ("Iced Coconut Latte", "Fresh Ground Coffee", 70162, 226090),
    ("Iced Kyoto Matcha Latte", "Matcha", 37246, 125785),
    ("Drip Coffee", "Classic Drinks", 34420, 84593),
    ("Latte", "Classic Drinks", 30802, 99886),
    ("Iced Latte", "Classic Drinks", 27934, 94922),
    ("Iced Velvet Latte", "Fresh Ground Coffee", 25598, 89126),
    ("Sausage Egg & Cheese Croissant", "Food", 25415, 97681),
    ("Cold Brew", "Cold Brew", 21516, 65903),
    ("Coconut Latte", "Fresh Ground Coffee", 18606, 60702),
    ("Iced Kyoto Matcha Coconut Latte", "Fresh Ground Coffee", 18219, 63099),
    ("Kyoto Matcha Latte", "Matcha", 14743, 48631),
    ("Iced Caramel Popcorn Latte", "Fresh Ground Coffee", 13666, 49298),
    ("Iced Americano", "Classic Drinks", 12928, 43274),
    ("Cappuccino", "Classic Drinks", 11261, 37196),
    ("Americano", "Classic Drinks", 10775, 30196),
)
#: the rest of the online menu (name, category, list price)
MENU: tuple[tuple, ...] = (
    ("Velvet Latte", "Fresh Ground Coffee", 5.45), ("Caramel Popcorn Latte", "Fresh Ground Coffee", 5.75),
    ("Iced Pistachio Latte", "Fresh Ground Coffee", 5.95), ("Pistachio Latte", "Fresh Ground Coffee", 5.95),
    ("Iced Brown Sugar Oat Latte", "Fresh Ground Coffee", 5.75), ("Brown Sugar Oat Latte", "Fresh Ground Coffee", 5.75),
    ("Iced Vanilla Coconut Latte", "Fresh Ground Coffee", 5.75), ("Iced Hazelnut Latte", "Fresh Ground Coffee", 5.75),
    ("Iced Orange Coconut Latte", "Fresh Ground Coffee", 5.95), ("Coconut Cloud Americano", "Fresh Ground Coffee", 5.45),
    ("Flat White", "Classic Drinks", 4.95), ("Iced Flat White", "Classic Drinks", 4.95),
    ("Mocha", "Classic Drinks", 5.45), ("Iced Mocha", "Classic Drinks", 5.45),
    ("Caramel Macchiato", "Classic Drinks", 5.45), ("Iced Caramel Macchiato", "Classic Drinks", 5.45),
    ("Espresso", "Classic Drinks", 3.25), ("Hot Chocolate", "Classic Drinks", 4.45),
    ("Iced Cappuccino", "Classic Drinks", 4.95), ("Vanilla Latte", "Classic Drinks", 5.25),
    ("Iced Vanilla Latte", "Classic Drinks", 5.25), ("Cortado", "Classic Drinks", 4.25),
    ("Iced Strawberry Matcha Latte", "Matcha", 5.95), ("Matcha Cloud", "Matcha", 5.75),
    ("Iced Coconut Matcha", "Matcha", 5.75), ("Hojicha Latte", "Matcha", 5.45),
    ("Iced Matcha Lemonade", "Matcha", 5.45),
    ("Coconut Cold Brew", "Cold Brew", 5.25), ("Vanilla Sweet Cream Cold Brew", "Cold Brew", 5.45),
    ("Salted Cream Cold Brew", "Cold Brew", 5.45), ("Orange Cold Brew", "Cold Brew", 5.25),
    ("Strawberry Refresher", "Refreshers", 4.95), ("Mango Refresher", "Refreshers", 4.95),
    ("Peach Refresher", "Refreshers", 4.95), ("Lemon Tea Refresher", "Refreshers", 4.75),
    ("Grapefruit Refresher", "Refreshers", 4.95), ("Blueberry Refresher", "Refreshers", 4.95),
    ("Caramel Exfreezo", "Exfreezo", 6.25), ("Mocha Exfreezo", "Exfreezo", 6.25),
    ("Matcha Exfreezo", "Exfreezo", 6.25), ("Coconut Exfreezo", "Exfreezo", 6.25),
    ("Strawberry Exfreezo", "Exfreezo", 6.25),
    ("Orange Americano", "Super Drink", 5.25), ("Coconut Water Americano", "Super Drink", 5.25),
    ("Iced Apple Americano", "Super Drink", 5.25), ("Honey Lemon Americano", "Super Drink", 5.25),
    ("Butter Croissant", "Food", 3.95), ("Chocolate Croissant", "Food", 4.25),
    ("Almond Croissant", "Food", 4.75), ("Bacon Egg & Cheese Bagel", "Food", 6.25),
    ("Blueberry Muffin", "Food", 3.75), ("Banana Bread", "Food", 3.75),
    ("Everything Bagel with Cream Cheese", "Food", 4.25), ("Turkey & Cheese Sandwich", "Food", 7.95),
    ("Chicken Caesar Wrap", "Food", 8.45), ("Chocolate Chip Cookie", "Food", 2.95),
    ("Cinnamon Roll", "Food", 4.25), ("Avocado Toast", "Food", 6.95),
    ("Yogurt Parfait", "Food", 5.45), ("Ham & Cheese Croissant", "Food", 5.95),
    ("Spinach Feta Wrap", "Food", 6.95), ("Egg White Bites", "Food", 5.45),
    ("Iced Coffee Jelly Latte", "Fresh Ground Coffee", 5.95), ("Iced Tiramisu Latte", "Fresh Ground Coffee", 5.95),
    ("Iced Cheese Foam Americano", "Super Drink", 5.45),
)
TOP15_LIST = {"Iced Coconut Latte": 5.45, "Iced Kyoto Matcha Latte": 5.75, "Drip Coffee": 3.45,
              "Latte": 4.95, "Iced Latte": 4.95, "Iced Velvet Latte": 5.45,
              "Sausage Egg & Cheese Croissant": 5.95, "Cold Brew": 4.75, "Coconut Latte": 5.45,
              "Iced Kyoto Matcha Coconut Latte": 5.95, "Kyoto Matcha Latte": 5.75,
              "Iced Caramel Popcorn Latte": 5.75, "Iced Americano": 4.45, "Cappuccino": 4.95,
              "Americano": 4.25}
SEASONAL = ("Pumpkin", "Peppermint", "Gingerbread", "Maple", "Lavender", "Rose", "Sakura",
            "Tiramisu", "Osmanthus", "Lychee", "Yuzu", "Black Sesame", "Red Bean", "Eggnog",
            "Toffee Nut", "Chestnut", "Honey", "Cherry Blossom", "Mango Pomelo")
N_DUPLICATE = 6          # spu_codes present as online (4) and offline (5) rows
N_COMMODITIES = 141

# goods used by recipes: (name, category, unit, unit cost, shelf life days)
CORE_GOODS: tuple[tuple, ...] = (
    ("Espresso Beans Blend 1kg", "Coffee Beans", "g", 0.022, 180), ("Drip Coffee Beans 1kg", "Coffee Beans", "g", 0.018, 180),
    ("Cold Brew Concentrate 2L", "Coffee Beans", "ml", 0.006, 14), ("Whole Milk 1gal", "Dairy", "ml", 0.0011, 14),
    ("Oat Milk 64oz", "Dairy Alternative", "ml", 0.0024, 60), ("Coconut Milk 1L", "Dairy Alternative", "ml", 0.0030, 60),
    ("Heavy Cream 32oz", "Dairy", "ml", 0.0045, 21), ("Kyoto Matcha Powder 500g", "Tea", "g", 0.110, 365),
    ("Hojicha Powder 500g", "Tea", "g", 0.090, 365), ("Black Tea Base 1L", "Tea", "ml", 0.004, 7),
    ("Vanilla Syrup 750ml", "Syrup", "ml", 0.012, 180), ("Caramel Syrup 750ml", "Syrup", "ml", 0.012, 180),
    ("Popcorn Syrup 750ml", "Syrup", "ml", 0.014, 180), ("Hazelnut Syrup 750ml", "Syrup", "ml", 0.012, 180),
    ("Brown Sugar Syrup 750ml", "Syrup", "ml", 0.010, 180), ("Pistachio Sauce 1L", "Syrup", "ml", 0.020, 120),
    ("Chocolate Sauce 1.9L", "Syrup", "ml", 0.011, 180), ("Velvet Foam Base 1L", "Syrup", "ml", 0.015, 30),
    ("Simple Syrup 1L", "Syrup", "ml", 0.005, 180), ("Strawberry Puree 1L", "Fruit", "ml", 0.016, 30),
    ("Mango Puree 1L", "Fruit", "ml", 0.016, 30), ("Peach Puree 1L", "Fruit", "ml", 0.016, 30),
    ("Orange Juice 1L", "Fruit", "ml", 0.008, 10), ("Lemon Juice 1L", "Fruit", "ml", 0.009, 10),
    ("Coconut Water 1L", "Fruit", "ml", 0.007, 30), ("Exfreezo Base Mix 2kg", "Powder", "g", 0.012, 180),
    ("Ice", "Consumable", "g", 0.0002, 1), ("Hot Cup 12oz", "Packaging", "pcs", 0.09, 720),
    ("Cold Cup 16oz", "Packaging", "pcs", 0.11, 720), ("Hot Lid", "Packaging", "pcs", 0.04, 720),
    ("Cold Lid", "Packaging", "pcs", 0.05, 720), ("Paper Straw", "Packaging", "pcs", 0.02, 720),
    ("Cup Sleeve", "Packaging", "pcs", 0.03, 720), ("Food Bag", "Packaging", "pcs", 0.04, 720),
)
GOODS_FAMILIES = ("Coffee Beans", "Dairy", "Dairy Alternative", "Tea", "Syrup", "Fruit", "Powder",
                  "Packaging", "Cleaning", "Equipment Parts", "Merchandise", "Food")
N_GOODS = 1448
RECIPE_TARGET = 32_000


def digits(prefix: str, values: np.ndarray, width: int) -> np.ndarray:
    """prefix + zero-padded decimal digits of int64 values as fixed-width bytes (numpy 'S'),
    vectorised; index these cheaply and turn them into text with `text` at the end."""
    v = np.asarray(values, dtype=np.int64)
    p = len(prefix)
    m = np.empty((len(v), p + width), dtype=np.uint8)
    if p:
        m[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    for k in range(width):
        m[:, p + width - 1 - k] = (v // 10**k) % 10 + 48
    return m.view(f"S{p + width}").ravel()


def alnum(rng: np.random.Generator, n: int, k: int, prefix: str = "") -> np.ndarray:
    """n random base-62 identifiers of k characters after `prefix` (Stripe-like ids), as bytes."""
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    p = len(prefix)
    m = np.empty((n, p + k), dtype=np.uint8)
    if p:
        m[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    m[:, p:] = alphabet[rng.integers(0, 62, (n, k), dtype=np.uint8)]
    return m.view(f"S{p + k}").ravel()


def text(b: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Fixed-width ASCII bytes -> pandas string array (Arrow-backed, no per-row Python)."""
    b = np.ascontiguousarray(b)
    arr = pa.array(b, type=pa.binary(b.dtype.itemsize)).cast(pa.string())
    return pd.array(arr, dtype="str")


def as_bytes(values: pd.Series, width: int) -> np.ndarray:
    """A string column of fixed-width ASCII codes (order_no, user_no) as numpy bytes, zero-copy."""
    arr = pa.chunked_array(pa.array(values.array)).combine_chunks() if not hasattr(values.array, "_pa_array") \
        else values.array._pa_array.combine_chunks()
    fixed = arr.cast(pa.binary()).cast(pa.binary(width))
    return np.frombuffer(fixed.buffers()[1], dtype=f"S{width}")[fixed.offset:fixed.offset + len(fixed)]


def labels(values, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """values[codes] as a pandas string array, taken in Arrow (for repeated names and codes)."""
    dictionary = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pd.array(dictionary.take(pa.array(np.asarray(codes, dtype=np.int64))), dtype="str")


def table_frame(database: str, name: str, data: dict) -> pd.DataFrame:
    """A DataFrame with exactly the schema table's columns, in order (missing -> error)."""
    cols = [c.name for c in get_table(database, name).columns]
    missing = [c for c in cols if c not in data]
    extra = [c for c in data if c not in cols]
    if missing or extra:
        raise KeyError(f"{database}.{name}: missing {missing}, unexpected {extra}")
    n = max((len(v) for v in data.values() if np.ndim(v) > 0), default=0)
    out = {}
    for c in cols:
        v = data[c]
        if isinstance(v, pd.Series):
            v = v.array
        elif isinstance(v, np.ndarray) and v.dtype.kind == "S":
            v = text(v)
        elif isinstance(v, str):
            v = text(np.full(n, v.encode(), dtype=f"S{len(v.encode())}"))
        out[c] = v if np.ndim(v) > 0 else np.repeat(v, n)
    return pd.DataFrame(out)


def _shops(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for group, tz, cur, test, internal in ((STORES, NY, "USD", 0, 0), ((VARICK,), NY, "USD", 0, 0),
                                           (INTERNAL, NY, "USD", 0, 1), (COOK, RAROTONGA, "NZD", 1, 0)):
        for sid, no, name, addr, opened, *_rest, lat, lon in group:
            status = 2 if sid == VARICK[0] else (3 if sid == COOK[2][0] else 1)
            rows.append(dict(id=sid, shop_no=no, shop_name=name, address=addr, set_up_time=opened,
                             location_latitude=lat, location_longitude=lon, time_zone=tz,
                             currency_code=cur, test_flag=test, internal=internal, status=status,
                             postal_code=addr.rsplit(" ", 1)[-1] if tz == NY else None,
                             phone=f"+1 212-555-{sid:04d}" if tz == NY else f"+682 2{sid:04d}"))
    taken = {r["id"] for r in rows}
    ids = [i for i in range(1, N_SHOPS + 12) if i not in taken][: N_SHOPS - len(rows)]
    kinds = rng.choice(["Auto Test Shop", "QA Store", "Demo Store", "Pilot Kiosk", "Closed Store"],
                       size=len(ids), p=[0.5, 0.2, 0.12, 0.08, 0.1])
    opened = pd.Timestamp("2023-03-01") + pd.to_timedelta(np.sort(rng.integers(0, 800, len(ids))), "D")
    lat = 40.70 + rng.random(len(ids)) * 0.08
    lon = -74.02 + rng.random(len(ids)) * 0.06
    for k, (i, kind) in enumerate(zip(ids, kinds)):
        closed = kind == "Closed Store"
        rows.append(dict(id=i, shop_no=f"UST{i:05d}", shop_name=f"{kind} {i:03d}",
                         address=f"{100 + i} Test Ave, New York, NY 100{k % 40:02d}",
                         set_up_time=opened[k].strftime("%Y-%m-%d"), location_latitude=round(lat[k], 6),
                         location_longitude=round(lon[k], 6), time_zone=NY, currency_code="USD",
                         test_flag=0 if closed else 1, internal=0, status=3, postal_code=None, phone=None))
    df = pd.DataFrame(rows).sort_values("id").reset_index(drop=True)
    setup = pd.to_datetime(df["set_up_time"])
    created = setup - pd.to_timedelta(rng.integers(20, 90, len(df)), "D") + pd.Timedelta(hours=15)
    return table_frame(OPSHOP, "t_shop_info", dict(
        id=df["id"].to_numpy(), tenant=TENANT, shop_no=df["shop_no"], shop_name=df["shop_name"],
        status=df["status"].astype("int16"), operation_mode=np.where(df["test_flag"] == 1, 2, 1).astype("int16"),
        time_zone=df["time_zone"], address=df["address"], location_longitude=df["location_longitude"],
        location_latitude=df["location_latitude"], set_up_time=setup.dt.date, internal=df["internal"].astype("int16"),
        test_flag=df["test_flag"].astype("int16"), currency_code=df["currency_code"], country_name=None,
        administrative_area_name=None, locality_name=None, postal_code=df["postal_code"], phone=df["phone"],
        create_time=created, update_time=created + pd.Timedelta(days=30)))


def _spu(i: int) -> str:
    return f"SP{1000 + i:05d}"


def _products(rng: np.random.Generator) -> pd.DataFrame:
    """141 commodities; online rows carry `price`, `avg_pay` and `weight` (orders share)."""
    online = [(n, c, TOP15_LIST[n], cnt, rev / cnt) for n, c, cnt, rev in TOP15]
    top_items = sum(t[2] for t in TOP15)
    # the rest of the menu shares the remaining completed item rows (see orders.ITEMS_COMPLETED)
    from lucky.demo.gen.orders import ITEM_REVENUE, ITEMS_COMPLETED
    rest_items = ITEMS_COMPLETED - top_items
    rest_revenue = ITEM_REVENUE - sum(t[3] for t in TOP15)
    w = np.sort(rng.pareto(1.6, len(MENU)) + 0.3)[::-1]     # a long tail of popularity
    counts = w / w.sum() * rest_items
    cap = TOP15[-1][2] * 0.9
    while counts.max() > cap:  # keep every other product under the top-15's last
        over = counts > cap
        excess = (counts[over] - cap).sum()
        counts[over] = cap
        counts[~over] += excess * counts[~over] / counts[~over].sum()
    listp = np.array([m[2] for m in MENU])
    # average pay proportional to list price, scaled so the rest's revenue matches
    avg = listp * rest_revenue / (listp * counts).sum()
    order = rng.permutation(len(MENU))
    for j in order:
        name, cat, lp = MENU[j]
        online.append((name, cat, lp, counts[j], avg[j]))
    rows = []
    for i, (name, cat, lp, cnt, ap) in enumerate(online):
        rows.append(dict(spu_code=_spu(i), name=name, one_category_name=cat, status=4, price=lp,
                         weight=cnt, avg_pay=ap))
    dup = rng.choice(np.arange(15, len(online)), N_DUPLICATE, replace=False)
    for i in dup:  # an earlier offline version kept under the same spu_code
        r = dict(rows[i]); r.update(status=5, weight=0.0, avg_pay=np.nan)
        rows.append(r)
    k = len(online)
    bases = ("Latte", "Iced Latte", "Cold Brew")
    for s in range(N_COMMODITIES - len(rows)):
        flavour, base = SEASONAL[s % len(SEASONAL)], bases[s // len(SEASONAL) % 3]
        cat = "Cold Brew" if base == "Cold Brew" else "Fresh Ground Coffee"
        rows.append(dict(spu_code=_spu(k + s), name=f"{flavour} {base}", one_category_name=cat,
                         status=5, price=5.95, weight=0.0, avg_pay=np.nan))
    df = pd.DataFrame(rows)
    n = len(df)
    food = df["one_category_name"].eq("Food").to_numpy()
    iced = df["name"].str.contains("Iced|Cold|Refresher|Exfreezo|Americano").to_numpy() & ~food
    two = np.where(food, "Bakery & Breakfast", np.where(iced, "Iced", "Hot"))
    created = pd.Timestamp("2025-05-01") + pd.to_timedelta(rng.integers(0, 40, n), "D")
    created = created.where(df["status"].eq(4) | df.index.isin(range(k)), pd.Timestamp("2024-10-01"))
    level = np.where(np.arange(n) < 15, 1, rng.choice([2, 3], n, p=[0.4, 0.6]))
    return pd.DataFrame(dict(
        id=np.arange(1, n + 1), tenant=TENANT, spu_code=df["spu_code"], name=df["name"],
        one_category_name=df["one_category_name"], two_category_name=two,
        status=df["status"].astype("int16"), mode=food.astype("int16"),
        commodity_level=level.astype("int16"),
        sugar_level=np.where(food, None, rng.choice(["Standard", "Less Sweet", "Low"], n)),
        nutrition_grade_code=rng.choice(["A", "B", "C", "D"], n, p=[0.2, 0.4, 0.3, 0.1]),
        calories=np.where(food, rng.integers(250, 560, n), rng.integers(5, 380, n)),
        standard_price=df["price"].round(2), standard_cost=(df["price"] * rng.uniform(0.22, 0.32, n)).round(2),
        is_iced=iced.astype("int16"), create_time=created, update_time=created + pd.Timedelta(days=20),
        price=df["price"].to_numpy(), avg_pay=df["avg_pay"].to_numpy(), weight=df["weight"].to_numpy()))


def _skus(products: pd.DataFrame) -> pd.DataFrame:
    """Sale variants: drinks in two sizes x three sweetness levels, food as one sku."""
    p = products.drop_duplicates("spu_code")
    food = p["mode"].to_numpy() == 1
    sizes = (("Regular", 0.0), ("Large", 0.50))
    sweet = ("Standard Sweet", "Less Sweet", "No Sugar")
    parts = []
    for si, (size, up) in enumerate(sizes):
        for wi, sw in enumerate(sweet):
            d = p[~food]
            parts.append(pd.DataFrame(dict(spu_code=d["spu_code"].to_numpy(),
                                           sku_code=d["spu_code"].str.replace("SP", "SK") + f"{si}{wi}",
                                           sku_name=d["name"] + f" / {size} / {sw}", price=d["standard_price"] + up,
                                           share=[0.7 if si == 0 else 0.3][0] * [0.6, 0.3, 0.1][wi])))
    f = p[food]
    parts.append(pd.DataFrame(dict(spu_code=f["spu_code"].to_numpy(), sku_code=f["spu_code"].str.replace("SP", "SK") + "00",
                                   sku_name=f["name"], price=f["standard_price"], share=1.0)))
    return pd.concat(parts, ignore_index=True).sort_values("sku_code").reset_index(drop=True)


N_SUPPLIERS = 24


def _suppliers_by_category(cats: list[str]) -> np.ndarray:
    """A supplier code per goods. Each supplier supplies one category, as wholesalers do (an oat-milk
    distributor does not ship espresso beans): the N_SUPPLIERS codes are dealt to the categories by
    their number of goods (each at least one), and a category's goods go round its suppliers in
    order, so the core goods (listed first) fall to each category's first, main supplier."""
    counts = pd.Series(cats).value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    share = (N_SUPPLIERS - len(counts)) * counts / counts.sum()
    allot = 1 + np.floor(share).astype(int)
    rest = N_SUPPLIERS - int(allot.sum())
    allot[(share - np.floor(share)).sort_values(ascending=False, kind="stable").index[:rest]] += 1
    first = dict(zip(allot.index, np.concatenate([[0], np.cumsum(allot.to_numpy())[:-1]])))
    seen: dict[str, int] = {}
    out = []
    for c in cats:
        k = seen.get(c, 0)
        seen[c] = k + 1
        out.append(f"SUP{1 + first[c] + k % allot[c]:03d}")
    return np.array(out)


def _goods(rng: np.random.Generator) -> pd.DataFrame:
    names = [g[0] for g in CORE_GOODS]
    cats = [g[1] for g in CORE_GOODS]
    units = [g[2] for g in CORE_GOODS]
    cost = [g[3] for g in CORE_GOODS]
    life = [g[4] for g in CORE_GOODS]
    food_names = [m[0] for m in MENU if m[1] == "Food"] + ["Sausage Egg & Cheese Croissant"]
    for f in food_names:
        names.append(f"{f} (frozen, case of 24)"); cats.append("Food"); units.append("pcs")
        cost.append(1.35); life.append(90)
    m = N_GOODS - len(names)
    fam = rng.choice(GOODS_FAMILIES, m)
    unit = rng.choice(["pcs", "kg", "L", "case", "box"], m)
    names += [f"{fa} item {i + 1:04d}" for i, fa in enumerate(fam)]
    cats += list(fam); units += list(unit)
    cost += list(np.round(rng.lognormal(0.5, 1.0, m), 4)); life += list(rng.choice([7, 30, 90, 365, 720], m))
    n = len(names)
    status = np.ones(n, dtype="int16")
    status[len(CORE_GOODS) + len(food_names):] = rng.choice([1, 0], m, p=[0.45, 0.55])
    created = pd.Timestamp("2024-09-01") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    supplier = _suppliers_by_category(cats)
    return table_frame(COMMODITY, "t_mdm_goods", dict(
        id=np.arange(1, n + 1), tenant=TENANT, goods_code=[f"G{100001 + i}" for i in range(n)],
        goods_name=names, category_name=cats, unit=units, unit_cost=np.round(cost, 4),
        shelf_life_days=np.asarray(life, dtype=int), supplier_code=supplier, status=status,
        create_time=created, update_time=created + pd.Timedelta(days=60)))


def _recipe_lines(name: str, cat: str, food: bool) -> list[tuple[str, float]]:
    """(core goods name, quantity per Regular cup) for one product."""
    if food:
        return [(f"{name} (frozen, case of 24)", 1.0), ("Food Bag", 1.0)]
    iced = any(w in name for w in ("Iced", "Cold", "Refresher", "Exfreezo"))
    lines = [("Cold Cup 16oz" if iced else "Hot Cup 12oz", 1.0), ("Cold Lid" if iced else "Hot Lid", 1.0)]
    lines.append(("Paper Straw", 1.0) if iced else ("Cup Sleeve", 1.0))
    if iced:
        lines.append(("Ice", 180.0))
    if cat == "Matcha" or "Matcha" in name:
        lines.append(("Kyoto Matcha Powder 500g", 4.0))
    elif "Hojicha" in name:
        lines.append(("Hojicha Powder 500g", 4.0))
    elif cat == "Cold Brew":
        lines.append(("Cold Brew Concentrate 2L", 150.0))
    elif name == "Drip Coffee":
        lines.append(("Drip Coffee Beans 1kg", 22.0))
    elif cat == "Refreshers":
        fruit = next((f for f in ("Strawberry", "Mango", "Peach") if f in name), "Lemon")
        lines += [(f"{fruit} Puree 1L" if fruit != "Lemon" else "Lemon Juice 1L", 40.0), ("Black Tea Base 1L", 200.0)]
    elif cat == "Exfreezo":
        lines += [("Exfreezo Base Mix 2kg", 60.0), ("Espresso Beans Blend 1kg", 18.0)]
    elif name != "Hot Chocolate":
        lines.append(("Espresso Beans Blend 1kg", 18.0))
    if "Coconut" in name and "Water" not in name:
        lines.append(("Coconut Milk 1L", 180.0))
    elif "Oat" in name:
        lines.append(("Oat Milk 64oz", 180.0))
    elif any(w in name for w in ("Latte", "Cappuccino", "Flat White", "Mocha", "Macchiato", "Cortado",
                                 "Chocolate", "Cloud")) and cat != "Exfreezo":
        lines.append(("Whole Milk 1gal", 200.0))
    elif "Water" in name:
        lines.append(("Coconut Water 1L", 200.0))
    for key, syrup in (("Caramel", "Caramel Syrup 750ml"), ("Vanilla", "Vanilla Syrup 750ml"),
                       ("Popcorn", "Popcorn Syrup 750ml"), ("Hazelnut", "Hazelnut Syrup 750ml"),
                       ("Brown Sugar", "Brown Sugar Syrup 750ml"), ("Pistachio", "Pistachio Sauce 1L"),
                       ("Mocha", "Chocolate Sauce 1.9L"), ("Chocolate", "Chocolate Sauce 1.9L"),
                       ("Velvet", "Velvet Foam Base 1L"), ("Orange", "Orange Juice 1L"),
                       ("Sweet Cream", "Heavy Cream 32oz"), ("Salted Cream", "Heavy Cream 32oz")):
        if key in name:
            lines.append((syrup, 25.0))
    lines.append(("Simple Syrup 1L", 15.0))
    return lines


def _recipes(rng: np.random.Generator, products: pd.DataFrame, skus: pd.DataFrame,
             goods: pd.DataFrame) -> pd.DataFrame:
    """Current recipe (status 1) for every sku, plus earlier versions (status 0) of past tweaks."""
    code_of = dict(zip(goods["goods_name"], goods["goods_code"]))
    unit_of = dict(zip(goods["goods_name"], goods["unit"]))
    p = products.drop_duplicates("spu_code").set_index("spu_code")
    rows = []
    for spu, sku, sku_name in zip(skus["spu_code"], skus["sku_code"], skus["sku_name"]):
        pr = p.loc[spu]
        lines = _recipe_lines(pr["name"], pr["one_category_name"], pr["mode"] == 1)
        large = "/ Large" in sku_name
        sugar = 1.0 if "Standard" in sku_name else (0.5 if "Less" in sku_name else 0.0)
        for step, (g, q) in enumerate(lines, 1):
            if g not in code_of:
                continue
            unit = unit_of[g]
            qty = q * (1.33 if large and unit != "pcs" else 1.0)
            if g == "Simple Syrup 1L":
                qty *= sugar
                if qty == 0:
                    continue
            rows.append((spu, sku, code_of[g], g, round(qty, 4), unit, step))
    cur = pd.DataFrame(rows, columns=["spu_code", "sku_code", "goods_code", "goods_name", "quantity", "unit", "step_no"])
    cur["status"] = 1
    cur["create_time"] = pd.Timestamp("2025-06-01 14:00")
    n_old = max(0, RECIPE_TARGET - len(cur))
    old = cur.iloc[rng.integers(0, len(cur), n_old)].copy()
    old["quantity"] = (old["quantity"] * rng.choice([0.9, 0.95, 1.05, 1.1], n_old)).round(4)
    old["status"] = 0
    old["create_time"] = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 360, n_old), "D")
    df = pd.concat([old.sort_values("create_time"), cur], ignore_index=True)
    return table_frame(COMMODITY, "t_formula_spu", dict(
        id=np.arange(1, len(df) + 1), tenant=TENANT, spu_code=df["spu_code"], sku_code=df["sku_code"],
        goods_code=df["goods_code"], goods_name=df["goods_name"], quantity=df["quantity"],
        unit=df["unit"], step_no=df["step_no"].astype(int), status=df["status"].astype("int16"),
        create_time=df["create_time"], update_time=df["create_time"] + pd.Timedelta(days=1)))


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("catalog")
    shops = _shops(rng)
    products = _products(rng)
    skus = _skus(products)
    goods = _goods(rng)
    recipes = _recipes(rng, products, skus, goods)
    world.frames.update(shops=shops, products=products, skus=skus, goods=goods, recipes=recipes)
    yield OPSHOP, "t_shop_info", shops
    cols = [c.name for c in get_table(COMMODITY, "t_commodity_base_info").columns]
    yield COMMODITY, "t_commodity_base_info", products[cols]
    yield COMMODITY, "t_mdm_goods", goods
    yield COMMODITY, "t_formula_spu", recipes


def store_targets() -> pd.DataFrame:
    """Completed-order targets per trading shop at scale 1: id, opened, orders, revenue."""
    return _store_targets().copy()


@functools.lru_cache(maxsize=1)
def _store_targets() -> pd.DataFrame:
    rows = [(s[0], s[4], s[5], s[6]) for s in STORES + INTERNAL[:1] + COOK[:2]]
    df = pd.DataFrame(rows, columns=["shop_id", "opened", "orders", "revenue"])
    df["opened"] = pd.to_datetime(df["opened"])
    df["currency"] = np.where(df["shop_id"].isin([c[0] for c in COOK]), "NZD", "USD")
    df["internal"] = df["shop_id"].isin([c[0] for c in INTERNAL])
    return df


