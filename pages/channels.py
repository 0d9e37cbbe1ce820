"""Customer Acquisition Channel Tracker: a thin page over `lucky.tools.execute("channels", ...)`.

The one option (orders that make a customer loyal) is the generic URL-bound widget; everything
shown comes back from the tool: KPIs, messages (channels without spend), the mix and funnel
charts, then the `channels`, `funnel` and `mix` tables with CSV export.
"""
import streamlit as st

from lucky import tools
from lucky.ui import frame, render
from lucky.ui import options as options_ui

SLUG = "channels"

filters, viewer = frame.setup_page(SLUG)
st.title("Customer Acquisition Channel Tracker")
st.caption("Users registered in the range, by acquisition channel (registration origin) and, for the users the "
           "CDP tracked, utm_source. ltv_180 = completed revenue per registered user in the 180 days after "
           "registration: observed for users 180+ days old, plus for younger users what the channel's mature "
           "users spent per user over the days still to come. retention_30/90: buyers who ordered again within "
           "30/90 days of their first order. cac = spend / users (utm_source rows: over registrations estimated "
           "from the tracked share). Spend is the MODELLED t_channel_spend. Funnel: tracked app installs first "
           "opened in the range, registered or not (the MODELLED anonymous_id); an install that never registered "
           "takes the channel of the registered installs with its platform and utm_source.")
chosen = options_ui.widgets(tools.get(SLUG))
out = frame.run_cached(SLUG, filters, viewer, **chosen)
if out is not None:
    render.render_output(out, filters, SLUG)
