"""The anomaly feed: the scan over the sources (`scan`) and the people's verdicts (`feedback`)."""
