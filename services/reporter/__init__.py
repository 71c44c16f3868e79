"""The reporter: projections of the registry, verdicts and cases, and the quarterly notice (通报) drawn from them."""
