"""The app frame every page uses: `frame` (page setup, filters, roles, cached runs) and `render`
(KPI cards, messages, charts, tables with CSV export). Pages import only these two modules."""
