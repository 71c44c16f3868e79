from __future__ import annotations

from shared.settings import ServiceSettings


class EvaluatorSettings(ServiceSettings):
    http_port: int = 8103
    # Observations are committed in batches: SecantusDB takes ~3000 docs/s in insert_many but ~350 single writes/s.
    batch_max_items: int = 200
    batch_max_wait_s: float = 0.2  # seconds a partial batch waits for more before it is committed
    rule_set: str = "national-2019"  # only the built-in national rule set exists yet; YAML rule sets come later
