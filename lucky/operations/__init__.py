"""Operations workflows that keep state (Tools 13 and 15): store KPI alerts with acknowledgements,
the daily and weekly store mails, and the actual staff store managers enter."""
