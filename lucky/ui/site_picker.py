"""What a click on the expansion map means, as a pure function the page calls from the map's
selection callback (so it can be tested without a browser).

Streamlit's `st.pydeck_chart(on_select=...)` reports the picked objects per layer id
(`{"indices": {...}, "objects": {"sites": [{...}]}}`), never the clicked coordinate; so the map carries
a clear, pickable grid of Manhattan's land (layer `new-site`) and a click anywhere on land picks
one of its points. Then:

- a site (candidate or what-if) → show that site's detail;
- a point of the land grid, a competitor or a subway entrance → add a what-if site there (to the
  URL-bound "What-if sites" text) and show it;
- a store → say which store it is (stores are not sites);
- an empty selection (a second click on the same object deselects it) → nothing changes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_POINTS = 12                 # what-if points kept; the oldest drop off beyond this
SITE_LAYER, STORE_LAYER = "sites", "stores"
POINT_LAYERS = ("new-site", "competitors", "subway")


@dataclass(frozen=True)
class Pick:
    sites: str                  # the what-if text after the click
    site_id: str | None         # the site to show (None: leave the choice as it is)
    note: str | None = None     # a sentence for the page (a store was clicked)


def parts(text: str) -> list[str]:
    """The 'lat,lon' parts of the what-if text, as typed."""
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def apply(selection: Mapping | None, sites: str) -> Pick:
    """The what-if text and the site to show after the map reported `selection`."""
    objects = (selection or {}).get("objects") or {}
    picked = next((objects[layer][0] for layer in (SITE_LAYER, STORE_LAYER, *POINT_LAYERS)
                   if objects.get(layer)), None)
    if picked is None:
        return Pick(sites, None)
    if objects.get(SITE_LAYER):
        return Pick(sites, str(picked["site_id"]))
    if objects.get(STORE_LAYER):
        return Pick(sites, None, f"{picked.get('label', 'A store')}: stores are not sites; "
                                 "click a site, or anywhere on land to score a new one.")
    point = f"{float(picked['lat']):.5f},{float(picked['lon']):.5f}"
    kept = parts(sites)
    if point in kept:
        return Pick(sites, f"W{kept.index(point) + 1}")
    kept = (kept + [point])[-MAX_POINTS:]
    return Pick("; ".join(kept), f"W{len(kept)}")
