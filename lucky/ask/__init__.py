"""Ask Lucky (tool 19): plain-English questions answered from the read-only replicas.

`engine.ask` is the entry point; `parse` (English -> spec), `semantic` (metrics, SQL), `guard`
(what may run), `llm` (optional OpenAI-compatible engine), `usage` (log, history, saved
questions), `explain` ("Explain this data"), `cli` (`python -m lucky ask`).
"""
