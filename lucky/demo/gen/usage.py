"""What sales use through the recipes, shared by the orders, stock and stock-out steps: each
item's recipe (`recipe_keys`) and the theoretical usage per store-day and goods
(`theoretical_usage`). Its own module so that the stock step and the stock-out planting, which
call each other's results, import it rather than each other."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.gen.production import active_recipes
from lucky.demo.world import World


def recipe_keys(world: World, items: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index, np.ndarray]:
    """(recipes in force with a sku, their sku index, each item's recipe: index into it or -1).

    Items whose sku has no recipe use the recipe of their spu's first sku that has one. Items
    that already carry it (column `recipe_k`, from this function) are not joined again."""
    r = active_recipes(world)
    r = r[r["sku_code"].notna()]
    skus = pd.Index(r["sku_code"].unique())
    if "recipe_k" in items:
        return r, skus, items["recipe_k"].to_numpy()
    k = skus.get_indexer(items["sku_code"])
    spu_first = pd.Series(np.arange(len(skus)), index=r.drop_duplicates("sku_code")["spu_code"].to_numpy())
    spu_first = spu_first[~spu_first.index.duplicated()]
    fallback = spu_first.reindex(items["spu_code"]).fillna(-1).to_numpy(dtype="int64")
    return r, skus, np.where(k >= 0, k, fallback)


def theoretical_usage(world: World, orders: pd.DataFrame | None = None,
                      items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Σ completed items sold × recipe quantity per shop, goods and store-local day.

    Items join their recipe (t_formula_spu in force) by sku_code (`recipe_keys`). Integer codes
    throughout (no string joins on 600K rows). `orders`/`items` default to the world's (the
    orders step passes its own before they are final; a negative quantity subtracts).
    Returns shop_id, goods_code, local_date, sold (items), usage.
    """
    o = world.orders if orders is None else orders
    it = world.items if items is None else items
    pos = pd.Index(o["id"]).get_indexer(it["order_id"])
    done = (pos >= 0) & (o["status"].to_numpy()[np.maximum(pos, 0)] == 90)
    pos = pos[done]
    qty = it["quantity"].fillna(1).to_numpy(dtype="float64")[done] if "quantity" in it else np.ones(len(pos))
    r, skus, k = recipe_keys(world, it)
    k = k[done]
    keep = k >= 0
    shop_codes, shops = pd.factorize(o["shop_id"].to_numpy()[pos[keep]])
    days = pd.DatetimeIndex(pd.to_datetime(o["local_date"].to_numpy()[pos[keep]]))
    day0 = days.min()
    day_i = ((days - day0).days).to_numpy()
    n_d, n_k = int(day_i.max()) + 1, len(skus)
    key = (shop_codes.astype("int64") * n_d + day_i) * n_k + k[keep]
    uniq, inv = np.unique(key, return_inverse=True)
    sold = np.bincount(inv, weights=qty[keep])
    u_sku = uniq % n_k
    u_day = (uniq // n_k) % n_d
    u_shop = uniq // (n_k * n_d)
    # recipes as CSR: rows of each sku contiguous
    r_k = skus.get_indexer(r["sku_code"].to_numpy())
    order = np.argsort(r_k, kind="stable")
    goods_codes, goods = pd.factorize(r["goods_code"].to_numpy()[order])
    per = r["quantity"].astype(float).to_numpy()[order]
    count = np.bincount(r_k, minlength=n_k)
    first = np.cumsum(count) - count
    rep = count[u_sku]
    src = np.repeat(np.arange(len(uniq)), rep)
    line = np.repeat(first[u_sku], rep) + (np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep))
    n_g = len(goods)
    key2 = (u_shop[src] * n_g + goods_codes[line]) * n_d + u_day[src]
    uniq2, inv2 = np.unique(key2, return_inverse=True)
    return pd.DataFrame({
        "shop_id": shops[uniq2 // (n_g * n_d)], "goods_code": goods[(uniq2 // n_d) % n_g],
        "local_date": day0 + pd.to_timedelta(uniq2 % n_d, unit="D"),
        "sold": np.bincount(inv2, weights=sold[src]), "usage": np.bincount(inv2, weights=sold[src] * per[line])})
