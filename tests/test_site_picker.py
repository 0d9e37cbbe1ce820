"""What a click on the expansion map does (lucky.ui.site_picker), on the selection events
Streamlit's pydeck chart reports: objects per layer id, never a coordinate."""
from __future__ import annotations

from lucky.ui import site_picker as sp


def _event(layer: str, obj: dict) -> dict:
    return {"indices": {layer: [0]}, "objects": {layer: [obj]}}


def test_a_site_click_shows_that_site():
    pick = sp.apply(_event("sites", {"site_id": "S003", "lat": 40.76, "lon": -73.97}), "40.7310,-73.9915")
    assert pick == sp.Pick("40.7310,-73.9915", "S003")


def test_a_land_click_adds_a_what_if_site_and_shows_it():
    pick = sp.apply(_event("new-site", {"lat": 40.808, "lon": -73.946, "label": "x"}), "40.7310,-73.9915")
    assert pick.sites == "40.7310,-73.9915; 40.80800,-73.94600" and pick.site_id == "W2"
    again = sp.apply(_event("new-site", {"lat": 40.808, "lon": -73.946}), pick.sites)
    assert again.sites == pick.sites and again.site_id == "W2"          # the same point is not added twice
    near_comp = sp.apply(_event("competitors", {"lat": 40.75, "lon": -73.98, "label": "Blue Bottle"}), "")
    assert near_comp.sites == "40.75000,-73.98000" and near_comp.site_id == "W1"


def test_a_store_click_is_a_note_and_an_empty_selection_changes_nothing():
    pick = sp.apply(_event("stores", {"shop_id": 501, "label": "8th & Broadway — above model"}), "1,2")
    assert pick.sites == "1,2" and pick.site_id is None and "8th & Broadway" in pick.note
    assert sp.apply({"indices": {}, "objects": {}}, "1,2") == sp.Pick("1,2", None)
    assert sp.apply(None, "") == sp.Pick("", None)


def test_what_if_points_are_capped_oldest_first():
    text = "; ".join(f"40.7{i:02d},-73.99" for i in range(sp.MAX_POINTS))
    pick = sp.apply(_event("new-site", {"lat": 40.8, "lon": -73.95}), text)
    kept = sp.parts(pick.sites)
    assert len(kept) == sp.MAX_POINTS and kept[0] == "40.701,-73.99" and kept[-1] == "40.80000,-73.95000"
    assert pick.site_id == f"W{sp.MAX_POINTS}"
