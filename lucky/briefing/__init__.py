"""Tool 20, the Executive Daily Briefing: compose (sections and facts), narrative (LLM with a
checked fallback), render (HTML email, Slack Markdown), deliver (SMTP, Slack webhook), cli."""
