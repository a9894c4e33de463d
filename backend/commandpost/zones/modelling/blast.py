"""Vapour-cloud explosion by TNT equivalence.

W_TNT = η · W · ΔHc / ΔHc,TNT with η = 0.1 and ΔHc,TNT = 4,680 kJ/kg (EPA RMP off-site consequence
analysis guidance). Distance to 1 psi (6.9 kPa): X = 17 m·kg^-1/3 · W_TNT^1/3 (the same guidance). Other
over-pressures: Kinney & Graham (1985) side-on over-pressure against scaled distance for TNT in free air,
with the charge doubled for a burst on the ground (hemispherical blast) — which puts 1 psi at ≈ 17 m·kg^-1/3,
as RMP does.
"""

from __future__ import annotations

import math

RMP_YIELD = 0.1
TNT_HEAT_KJ_KG = 4680.0
RMP_1PSI_CONSTANT = 17.0  # m per kg^(1/3)
AMBIENT_KPA = 101.325
PSI_KPA = 6.894757
REFERENCE = (
    "EPA Risk Management Program Guidance for Offsite Consequence Analysis (EPA 550-B-99-009, 1999): "
    "TNT equivalence with 10 % yield and the 1 psi distance X = 17·W_TNT^1/3; other over-pressures from "
    "Kinney & Graham, Explosive Shocks in Air (1985), surface burst"
)
LIMITS = (
    "TNT equivalence puts all the energy at one point: it overstates blast near the cloud and ignores how "
    "congestion and confinement drive a real vapour-cloud explosion (use TNO Multi-Energy or BST for that).",
    "The whole mass given is taken as being in the flammable cloud: for a release, the RMP worst case.",
    "Rings are centred on the release point; a drifting cloud explodes down-wind of it.",
)
# Over-pressure rings: (kPa, what it means)
LEVELS: tuple[tuple[float, str], ...] = (
    (3.45, "0.5 psi: windows shatter, injuries from glass"),
    (PSI_KPA, "1 psi: partial demolition of houses, serious injuries (RMP end point)"),
    (20.7, "3 psi: serious structural damage, possible deaths"),
    (34.5, "5 psi: most buildings destroyed, deaths likely"),
)


def tnt_equivalent_kg(
    mass_kg: float, heat_of_combustion_kj_kg: float, yield_factor: float = RMP_YIELD
) -> float:
    """Mass of TNT with the same blast energy as the cloud (RMP: 10 % of the heat of combustion)."""
    return yield_factor * mass_kg * heat_of_combustion_kj_kg / TNT_HEAT_KJ_KG


def rmp_distance_to_1psi_m(tnt_kg: float) -> float:
    """EPA RMP guidance: X = 17 · W_TNT^(1/3) metres."""
    return RMP_1PSI_CONSTANT * float(tnt_kg ** (1 / 3))


def kinney_graham_ratio(scaled_distance: float) -> float:
    """Side-on over-pressure / ambient at scaled distance Z (m·kg^-1/3), TNT in free air (Kinney & Graham)."""
    z = scaled_distance
    return (
        808
        * (1 + (z / 4.5) ** 2)
        / (math.sqrt(1 + (z / 0.048) ** 2) * math.sqrt(1 + (z / 0.32) ** 2) * math.sqrt(1 + (z / 1.35) ** 2))
    )


def scaled_distance_for(overpressure_kpa: float) -> float:
    """The free-air scaled distance where the Kinney–Graham over-pressure falls to the value given."""
    target = overpressure_kpa / AMBIENT_KPA
    lo, hi = 0.05, 500.0
    for _ in range(80):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if kinney_graham_ratio(mid) > target else (lo, mid)
    return math.sqrt(lo * hi)


def distance_to_m(overpressure_kpa: float, tnt_kg: float) -> float:
    """Distance to an over-pressure for a ground-level burst: the charge counts twice (hemispherical wave)."""
    return scaled_distance_for(overpressure_kpa) * float((2 * tnt_kg) ** (1 / 3))
