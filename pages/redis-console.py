"""Redis Cluster Intelligence Console: a thin page over `lucky.tools.execute("redis-console", ...)`."""
from datetime import UTC, datetime

import streamlit as st

from lucky.ui import frame, render

SLUG = "redis-console"

filters, viewer = frame.setup_page(SLUG)
st.title("Redis Cluster Intelligence Console")
st.caption("Redis instances sorted by memory utilisation; pick one for memory by key prefix, TTL "
           "distribution, biggest and hot keys, hit/miss trend and right-sizing. Key figures come "
           "from a SCAN sample (never KEYS) with a time budget; the sample size is always shown.")

top = st.columns([2, 1, 1])
collect = top[2].button("Collect now", icon=":material/refresh:", key="rc_collect",
                        help="Poll every instance once and store the result.")
now = datetime.now(UTC)
tick = now.isoformat() if collect else now.strftime("%Y-%m-%dT%H:%M")
grid_out = frame.run_cached(SLUG, filters, viewer, collect_now=collect, tick=tick)
if grid_out is not None:
    names = grid_out.tables["instances"]["name"].tolist()
    chosen = top[0].selectbox("Instance", names, index=0 if names else None, key="rc_instance")
    scan = top[1].button("Scan keys now", icon=":material/search:", disabled=not chosen,
                         help="Sample this instance's keys now (bounded SCAN, read-only).")
    out = (frame.run_cached(SLUG, filters, viewer, instance=chosen, scan_now=scan,
                            tick=now.isoformat() if scan else tick) if chosen else grid_out)
    if out is not None:
        render.kpis(out.kpis)
        render.messages(out)
        render.table(out.tables["instances"], "instances", filters, SLUG)
        if chosen:
            st.subheader(chosen)
            left, right = st.columns(2)
            with left:
                if "memory_by_prefix" in out.charts:
                    render.chart(out.charts["memory_by_prefix"], "memory by key prefix")
            with right:
                if "ttl_histogram" in out.charts:
                    render.chart(out.charts["ttl_histogram"], "TTL distribution")
            if "hit_miss" in out.charts:
                render.chart(out.charts["hit_miss"], "hits and misses")
            for name in ("keyspace", "prefixes", "biggest_keys", "hot_keys"):
                if name in out.tables:
                    st.markdown(f"**{render.title_of(name)}**")
                    render.table(out.tables[name], name, filters, SLUG)
