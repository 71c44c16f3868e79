"""The evaluator: observations in, verdicts per target and period out (verdict.changed on every change)."""
