"""Tool 22: compliance checks, the hash-chained audit trail and the auditor's export."""
