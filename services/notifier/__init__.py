"""The notifier: rectification cases from verdicts, deadlines in working days, notices through a deliveries outbox."""
