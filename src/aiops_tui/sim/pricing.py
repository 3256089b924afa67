"""Token prices and model tiers, read from `demo_data/pricing.yaml` (USD per 1M tokens): the demo
gateway prices its traffic with them, the cost pane prices tokens and savings levers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiops_tui.errors import UserError


def default_pricing_path() -> Path:
    """The shipped `demo_data/pricing.yaml` (inside the wheel, or at the top of a checkout)."""
    from aiops_tui.resources import shipped_dir

    return shipped_dir("demo_data") / "pricing.yaml"


@dataclass(frozen=True, slots=True)
class ModelPrice:
    model: str
    provider: str
    input_usd_per_1m: float
    output_usd_per_1m: float
    tier: str = ""
    """tier_1 | tier_2 | tier_3 (local fallback), or "" when the file does not say."""

    def cost_usd(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.input_usd_per_1m + output_tokens * self.output_usd_per_1m) / 1e6


def load_pricing(path: Path | str | None = None) -> dict[str, ModelPrice]:
    """Prices by model name; any problem with the file is a one-line UserError naming it."""
    import yaml

    from aiops_tui.yaml_keys import safe_load

    pricing_path = Path(path) if path is not None else default_pricing_path()
    try:
        document = safe_load(pricing_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read pricing file {pricing_path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"pricing file {pricing_path} is not valid YAML: {exc}") from exc
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, dict):
        raise UserError(f"pricing file {pricing_path} has no `models:` mapping")
    prices: dict[str, ModelPrice] = {}
    for model, entry in models.items():
        try:
            prices[str(model)] = ModelPrice(
                model=str(model),
                provider=str(entry.get("provider", "")),
                input_usd_per_1m=float(entry["input_usd_per_1m"]),
                output_usd_per_1m=float(entry["output_usd_per_1m"]),
                tier=_tier(entry.get("tier")),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise UserError(
                f"pricing file {pricing_path}: model {model!r} needs numeric "
                f"input_usd_per_1m and output_usd_per_1m (and a text `tier`, if any)"
            ) from exc
    return prices


def load_tiers(path: Path | str | None = None) -> dict[str, str]:
    """model -> tier for the models whose entry names one (sources without a tier label)."""
    return {model: price.tier for model, price in load_pricing(path).items() if price.tier}


def _tier(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("tier must be text, e.g. tier_2")
    return value.strip()
