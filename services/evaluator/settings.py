from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


class EvaluatorSettings(ServiceSettings):
    http_port: int = 8103
    # Observations are committed in batches: SecantusDB takes ~3000 docs/s in insert_many but ~350 single writes/s.
    batch_max_items: int = 200
    batch_max_wait_s: float = 0.2  # seconds a partial batch waits for more before it is committed
    # The rule set for periods that name none (Period.rule_set): id (its latest version) or id@version.
    rule_set: str = Field(default="national-2019", validation_alias=AliasChoices("rule_set", "EVALUATOR_RULE_SET"))
    # Storing a local rule set (POST /rule-sets) needs this bearer token; unset, the endpoint refuses. A stopgap until
    # the evaluator's API has its own authentication (api.require_writer is the one place to change).
    admin_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("admin_token", "EVALUATOR_ADMIN_TOKEN")
    )
    # A re-check (复查) passes W-V2 only with at least this many visits, every one opened (the registry sends 10).
    recheck_min_visits: int = Field(default=10, ge=1)
