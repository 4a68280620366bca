"""The five seed escalation policies as plain data, readable without a database.

`get_preset(slug)` returns one; `PRESETS` lists them all in the product owner's order.
"""

from partnerships.presets import bromley, cumberland, five_stage, plymouth, st_helens
from partnerships.presets.base import PolicyPreset, StagePreset, Timescale

__all__ = ["PRESETS", "PolicyPreset", "StagePreset", "Timescale", "UnknownPreset", "get_preset"]

PRESETS: dict[str, PolicyPreset] = {
    module.PRESET.slug: module.PRESET for module in (cumberland, plymouth, five_stage, bromley, st_helens)
}


class UnknownPreset(LookupError):
    """No policy preset has the slug asked for."""


def get_preset(slug: str) -> PolicyPreset:
    try:
        return PRESETS[slug]
    except KeyError:
        valid = ", ".join(PRESETS)
        raise UnknownPreset(f"Unknown policy preset {slug!r}; valid presets are: {valid}.") from None
