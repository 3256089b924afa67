"""The demo gateway's fixed shape: upstreams by tier, client teams, and histogram buckets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Upstream:
    provider: str
    model: str
    tier: str
    model_id: str
    api_base: str
    response_model: str
    traffic_share: float  # share of client requests the complexity router sends here
    cache_hit_ratio: float  # steady-state response-cache hit ratio of those requests
    latency_median_s: float
    input_tokens_mean: int
    output_tokens_mean: int
    base_error_ratio: float
    rpm_limit: int | None  # provider rate limit; None for the local model (no rate-limit headers)

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def server_address(self) -> str:
        return urlsplit(self.api_base).hostname or ""

    @property
    def server_port(self) -> str:
        parts = urlsplit(self.api_base)
        return str(parts.port or (443 if parts.scheme == "https" else 80))


# Shares sum to 1; tier_1 gets the fewest cache hits (complex prompts rarely repeat). Overall hit
# ratio: .25*.45 + .39*.72 + .26*.72 + .10*.72 = 0.6525, above the 60 % target.
DEFAULT_UPSTREAMS: tuple[Upstream, ...] = (
    Upstream("openai", "gpt-4o", "tier_1", "tier1-gpt-4o", "https://api.openai.com/v1",
             "gpt-4o-2024-08-06", 0.25, 0.45, 1.8, 600, 200, 0.001, 10_000),
    Upstream("anthropic", "claude-3-5-haiku", "tier_2", "tier2-claude-3-5-haiku",
             "https://api.anthropic.com/v1", "claude-3-5-haiku-20241022", 0.39, 0.72, 0.9, 400, 150,
             0.001, 4_000),
    Upstream("openai", "gpt-4o-mini", "tier_2", "tier2-gpt-4o-mini", "https://api.openai.com/v1",
             "gpt-4o-mini-2024-07-18", 0.26, 0.72, 0.7, 350, 120, 0.001, 30_000),
    Upstream("local", "llama-3-8b-local", "tier_3", "tier3-llama-3-8b-local",
             "http://127.0.0.1:11434", "llama-3-8b-local", 0.10, 0.72, 0.45, 300, 120, 0.001, None),
)
FALLBACK_TIER = "tier_3"


@dataclass(frozen=True, slots=True)
class Team:
    team: str
    team_alias: str
    api_key_alias: str
    hashed_api_key: str
    traffic_share: float


def _hashed_key(virtual_key: str) -> str:
    return hashlib.sha256(virtual_key.encode()).hexdigest()  # LiteLLM labels keys by their hash


TEAMS: tuple[Team, ...] = (
    Team("search", "search-prod", "search-backend", _hashed_key("sk-demo-search"), 0.55),
    Team("support", "support-bot", "support-bot", _hashed_key("sk-demo-support"), 0.45),
)
# LiteLLM's own /health makes billed calls under this team; cost views must leave it out.
HEALTH_CHECK_TEAM = Team("litellm-internal-health-check", "None", "None",
                         "litellm-internal-health-check", 0.0)
ALL_TEAMS: tuple[Team, ...] = TEAMS + (HEALTH_CHECK_TEAM,)
HEALTH_CHECK_TEAM_INDEX = len(TEAMS)

# LiteLLM 1.108.7's latency buckets (tests/fixtures/litellm-1.108.7-metrics.txt).
LITELLM_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
                             30.0, 60.0, 120.0, 300.0, 420.0, 600.0)
# OTel GenAI semantic-convention advice for gen_ai.client.operation.duration and token usage.
OTEL_DURATION_BUCKETS_S = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
                           20.48, 40.96, 81.92)
OTEL_TOKEN_BUCKETS = (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
                      1048576.0, 4194304.0, 16777216.0, 67108864.0)
# The fixture's TTFT uses the SDK's default buckets (0, 5, 10, ...), useless for sub-second values;
# the semantic convention's advice is used instead so quantiles mean something.
OTEL_TTFT_BUCKETS_S = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
                       2.5, 5.0, 7.5, 10.0)
OTEL_COST_BUCKETS_USD = (0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
                         2500.0, 5000.0, 7500.0, 10000.0)
BATCH_SIZE_BUCKETS = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)
