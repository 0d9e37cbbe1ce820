"""Base layers for any pydeck map of Manhattan that work offline, and a tile base map when online.

Offline (no network, or `LUCKY_MAP_TILES=off`) a map draws Manhattan's land, Central Park, the
avenues and main cross streets from `lucky/ui/data/manhattan.json`, shipped with the project
(hand-traced shoreline, grid-generated avenues: see the file's "about"), with `map_style=None`, so
it reads without any tile. Online it also gets Carto's light tiles under the same layers.

    from lucky.ui import basemap
    deck = basemap.deck([my_scatter_layer], tooltip={"text": "{name}"})

`outline()` gives the land ring for point-in-polygon checks (a site in the Hudson).
"""
from __future__ import annotations

import json
import math
import socket
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk

from lucky import config
from lucky.models import gravity

DATA = Path(__file__).resolve().parent / "data" / "manhattan.json"
TILES = "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json"
TILE_HOST = "basemaps.cartocdn.com"
VIEW = pdk.ViewState(latitude=40.745, longitude=-73.990, zoom=12.2, pitch=0, bearing=0)
LAND, PARK = [236, 233, 224], [200, 226, 190]
AVENUE, STREET = [150, 150, 150], [190, 190, 190]


@lru_cache(maxsize=1)
def geography() -> dict:
    """The shipped data: outline (lon, lat ring), parks, lines (name, kind, path)."""
    return json.loads(DATA.read_text())


def outline() -> list[tuple[float, float]]:
    """Manhattan's shoreline as a ring of (lon, lat)."""
    return [tuple(p) for p in geography()["outline"]]


@lru_cache(maxsize=4)
def land_grid(step_km: float) -> pd.DataFrame:
    """Points `step_km` apart on Manhattan's land (lat, lon, 5 decimals): a clear, pickable layer
    of them lets a click anywhere on land select a point (pydeck reports picked objects only)."""
    ring = outline()
    lons, lats = zip(*ring)
    mid = math.radians((min(lats) + max(lats)) / 2)
    d_lat, d_lon = step_km / 111.2, step_km / (111.2 * math.cos(mid))
    lat, lon = np.meshgrid(np.arange(min(lats), max(lats), d_lat), np.arange(min(lons), max(lons), d_lon))
    lat, lon = lat.ravel(), lon.ravel()
    keep = gravity.inside_many(lat, lon, ring)
    return pd.DataFrame({"lat": lat[keep].round(5), "lon": lon[keep].round(5)})


@lru_cache(maxsize=1)
def online(timeout: float = 0.5) -> bool:
    """Tiles wanted and reachable: LUCKY_MAP_TILES=off forces offline, =on skips the probe."""
    wanted = (config.setting("LUCKY_MAP_TILES") or "auto").lower()
    if wanted in {"off", "0", "false", "no"}:
        return False
    if wanted in {"on", "1", "true", "yes"}:
        return True
    try:
        with socket.create_connection((TILE_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def layers() -> list[pdk.Layer]:
    """Land, parks, avenues and streets: draw these first, then the map's own layers."""
    geo = geography()
    land = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Manhattan"},
         "geometry": {"type": "Polygon", "coordinates": [geo["outline"]]}}]}
    parks = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": p["name"]},
         "geometry": {"type": "Polygon", "coordinates": [p["ring"]]}} for p in geo["parks"]]}
    lines = [{"name": ln["name"], "path": ln["path"], "color": AVENUE if ln["kind"] == "avenue" else STREET,
              "width": 18 if ln["kind"] == "avenue" else 12} for ln in geo["lines"]]
    return [
        pdk.Layer("GeoJsonLayer", land, id="base-land", filled=True, stroked=True, get_fill_color=LAND,
                  get_line_color=[120, 120, 120], line_width_min_pixels=1, pickable=False),
        pdk.Layer("GeoJsonLayer", parks, id="base-parks", filled=True, stroked=False, get_fill_color=PARK,
                  pickable=False),
        pdk.Layer("PathLayer", lines, id="base-streets", get_path="path", get_color="color", get_width="width",
                  width_min_pixels=1, pickable=False),
    ]


def deck(overlays: list[pdk.Layer], tooltip: dict | bool | None = None, view: pdk.ViewState = VIEW,
         tiles: bool | None = None) -> pdk.Deck:
    """A Deck with the base layers under `overlays`; tiles when online (or as forced by `tiles`),
    else the shipped land, park and street layers on the page background (the water)."""
    use_tiles = online() if tiles is None else tiles
    base = [] if use_tiles else layers()
    return pdk.Deck(layers=base + list(overlays), initial_view_state=view,
                    map_style=TILES if use_tiles else None, map_provider="carto" if use_tiles else None,
                    tooltip=tooltip if tooltip is not None else True)
