"""The prober: visits websites, columns and new-media feeds and records what it saw as observations."""
