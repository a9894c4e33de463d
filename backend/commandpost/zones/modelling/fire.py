"""Thermal radiation: BLEVE fireball and pool fire, solid-flame models with atmospheric transmissivity.

Received flux q = τ · E · F: surface emissive power E, geometric view factor F between the flame and a target
at ground level, and transmissivity τ = 2.02 · (p_w · L)^-0.09 (p_w partial pressure of water vapour, Pa;
L path length, m) — the correlation CCPS (1999) quotes for 10⁴ < p_w·L < 10⁵ Pa·m, capped at 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

GRAVITY = 9.81
AIR_DENSITY = 1.2  # kg/m³ near 20 °C
THERMAL_LEVELS: tuple[tuple[float, str], ...] = (
    (5.0, "5 kW/m²: second-degree burns after about 40 s; the usual public end point"),
    (12.5, "12.5 kW/m²: wood ignites with a flame nearby; 1 % deaths in 1 minute"),
    (37.5, "37.5 kW/m²: process equipment damaged; 100 % deaths in 1 minute"),
)
CCPS_SEP_KW_M2 = 350.0
BLEVE_REFERENCE = (
    "CCPS, Guidelines for Consequence Analysis of Chemical Releases (1999) and Guidelines for Evaluating the "
    "Characteristics of Vapor Cloud Explosions, Flash Fires, and BLEVEs (1994): fireball D = 5.8 M^1/3, "
    "duration 0.45 M^1/3 (M < 30 t) or 2.6 M^1/6, centre at 0.75 D, surface emissive power 350 kW/m²; "
    "transmissivity 2.02 (p_w L)^-0.09"
)
BLEVE_LIMITS = (
    "The fireball lasts seconds: the thermal levels are peak fluxes, and the dose is the flux over the "
    "duration shown.",
    "Blast and fragments from the vessel are not modelled: fragments fly far beyond these rings (ERG: "
    "evacuate 800–1600 m for a tank in a fire).",
    "350 kW/m² is the CCPS value for large hydrocarbon fireballs; small fireballs radiate less.",
)
POOL_REFERENCE = (
    "Burning rate m'' = 10⁻³ ΔHc / ΔH*v (Burgess & Zabetakis), flame height H/D = 42 (m''/(ρa √(gD)))^0.61 "
    "(Thomas 1963), solid cylinder with E = 0.35 m'' ΔHc / (1 + 4H/D) and Mudan's view factor, as in CCPS "
    "Guidelines for Consequence Analysis of Chemical Releases (1999); transmissivity 2.02 (p_w L)^-0.09"
)
POOL_LIMITS = (
    "Calm air: wind tilts the flame and lengthens the rings down-wind; they are drawn as circles.",
    "No smoke shielding: large pools of smoky fuels (D > 10 m) radiate less than this.",
    "The Burgess–Zabetakis rate suits liquid pools; it overstates light alkanes (hexane 0.103 against "
    "0.074 kg/m²s measured): give a measured burning rate where one is known.",
)


def transmissivity(path_m: float, water_vapour_pa: float) -> float:
    """Atmospheric transmissivity τ = 2.02 (p_w L)^-0.09, at most 1."""
    if path_m <= 0:
        return 1.0
    return min(1.0, 2.02 * float((water_vapour_pa * path_m) ** -0.09))


def water_vapour_pressure_pa(*, air_temperature_c: float, relative_humidity: float) -> float:
    """Partial pressure of water vapour: RH × saturation pressure (IAPWS-95 via ChEDL `chemicals`)."""
    from chemicals.iapws import iapws95_Psat

    return relative_humidity * float(iapws95_Psat(air_temperature_c + 273.15))  # type: ignore[no-untyped-call]


def _farthest(flux: Callable[[float], float], threshold: float, start: float, far: float = 20_000.0) -> float:
    """The distance beyond `start` where a flux falling with distance drops to the threshold (0: never)."""
    if flux(start) < threshold:
        return 0.0
    lo, hi = start, far
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if flux(mid) >= threshold else (lo, mid)
    return lo


# ----------------------------------------------------------------------------------------------- BLEVE


def fireball_diameter_m(mass_kg: float) -> float:
    """CCPS: D_max = 5.8 M^(1/3)."""
    return 5.8 * float(mass_kg ** (1 / 3))


def fireball_duration_s(mass_kg: float) -> float:
    """CCPS: t = 0.45 M^(1/3) below 30,000 kg, 2.6 M^(1/6) above."""
    return 0.45 * float(mass_kg ** (1 / 3)) if mass_kg < 30_000 else 2.6 * float(mass_kg ** (1 / 6))


def sphere_view_factor_vertical(
    *, radius_m: float, centre_height_m: float, ground_distance_m: float
) -> float:
    """View factor from a sphere to a vertical target at ground level facing it: R² X / (X² + H²)^(3/2)."""
    x, h = ground_distance_m, centre_height_m
    return radius_m**2 * x / float((x**2 + h**2) ** 1.5)


def sphere_view_factor_max(*, radius_m: float, centre_height_m: float, ground_distance_m: float) -> float:
    """View factor from a sphere to a target turned towards its centre (the most it can receive): R² / L²."""
    return radius_m**2 / (ground_distance_m**2 + centre_height_m**2)


def fireball_flux_kw_m2(
    ground_distance_m: float,
    *,
    diameter_m: float,
    centre_height_m: float,
    emissive_power_kw_m2: float,
    water_vapour_pa: float,
) -> float:
    """Peak flux at ground distance X from below the fireball's centre, target turned towards it."""
    radius = diameter_m / 2
    centre = math.hypot(ground_distance_m, centre_height_m)
    view = sphere_view_factor_max(
        radius_m=radius, centre_height_m=centre_height_m, ground_distance_m=ground_distance_m
    )
    return transmissivity(centre - radius, water_vapour_pa) * emissive_power_kw_m2 * min(view, 1.0)


def fireball_distance_m(
    threshold_kw_m2: float,
    *,
    diameter_m: float,
    centre_height_m: float,
    emissive_power_kw_m2: float,
    water_vapour_pa: float,
) -> float:
    return _farthest(
        lambda x: fireball_flux_kw_m2(
            x,
            diameter_m=diameter_m,
            centre_height_m=centre_height_m,
            emissive_power_kw_m2=emissive_power_kw_m2,
            water_vapour_pa=water_vapour_pa,
        ),
        threshold_kw_m2,
        start=0.0,
    )


# ------------------------------------------------------------------------------------------ pool fire


def burning_rate_kg_m2_s(
    *,
    heat_of_combustion_kj_kg: float,
    heat_of_vaporisation_kj_kg: float,
    liquid_heat_capacity_kj_kg_k: float,
    boiling_point_k: float,
    ambient_k: float,
) -> float:
    """Burgess & Zabetakis: m'' = 10⁻³ ΔHc / ΔH*v, ΔH*v = ΔHv + Cp (Tb − Ta) for a liquid boiling above Ta."""
    sensible = (
        liquid_heat_capacity_kj_kg_k * (boiling_point_k - ambient_k) if boiling_point_k > ambient_k else 0.0
    )
    return 1e-3 * heat_of_combustion_kj_kg / (heat_of_vaporisation_kj_kg + sensible)


def thomas_flame_height_m(*, diameter_m: float, burning_rate: float) -> float:
    """Thomas (1963): H/D = 42 (m'' / (ρa √(g D)))^0.61."""
    return 42 * diameter_m * float((burning_rate / (AIR_DENSITY * math.sqrt(GRAVITY * diameter_m))) ** 0.61)


def pool_emissive_power_kw_m2(
    *, burning_rate: float, heat_of_combustion_kj_kg: float, diameter_m: float, flame_height_m: float
) -> float:
    """CCPS solid flame: E = Fr m'' ΔHc / (1 + 4 H/D), radiant fraction Fr = 0.35."""
    return 0.35 * burning_rate * heat_of_combustion_kj_kg / (1 + 4 * flame_height_m / diameter_m)


def cylinder_view_factor(*, radius_m: float, height_m: float, distance_m: float) -> float:
    """The most a ground target at distance L from a vertical cylinder's axis can see of it: √(Fv² + Fh²)."""
    return math.hypot(*cylinder_view_factors(radius_m=radius_m, height_m=height_m, distance_m=distance_m))


def cylinder_view_factors(*, radius_m: float, height_m: float, distance_m: float) -> tuple[float, float]:
    """Mudan's (1984) view factors (vertical target, horizontal target) of a vertical cylinder to a ground
    target at distance L from its axis, with S = L/R, h = H/R."""
    s = distance_m / radius_m
    h = height_m / radius_m
    a = (h**2 + s**2 + 1) / (2 * s)
    b = (1 + s**2) / (2 * s)
    atan = math.atan
    fv = (
        atan(h / math.sqrt(s**2 - 1)) / (math.pi * s)
        - h / (math.pi * s) * atan(math.sqrt((s - 1) / (s + 1)))
        + a
        * h
        / (math.pi * s * math.sqrt(a**2 - 1))
        * atan(math.sqrt((a + 1) * (s - 1) / ((a - 1) * (s + 1))))
    )
    fh = (b - 1 / s) / (math.pi * math.sqrt(b**2 - 1)) * atan(
        math.sqrt((b + 1) * (s - 1) / ((b - 1) * (s + 1)))
    ) - (a - 1 / s) / (math.pi * math.sqrt(a**2 - 1)) * atan(
        math.sqrt((a + 1) * (s - 1) / ((a - 1) * (s + 1)))
    )
    return fv, fh


def pool_flux_kw_m2(
    distance_m: float,
    *,
    diameter_m: float,
    flame_height_m: float,
    emissive_power_kw_m2: float,
    water_vapour_pa: float,
) -> float:
    """Flux at a ground target `distance_m` from the pool's centre (outside the pool)."""
    radius = diameter_m / 2
    if distance_m <= radius * 1.0001:
        return emissive_power_kw_m2
    view = cylinder_view_factor(radius_m=radius, height_m=flame_height_m, distance_m=distance_m)
    return transmissivity(distance_m - radius, water_vapour_pa) * emissive_power_kw_m2 * min(view, 1.0)


def pool_distance_m(
    threshold_kw_m2: float,
    *,
    diameter_m: float,
    flame_height_m: float,
    emissive_power_kw_m2: float,
    water_vapour_pa: float,
) -> float:
    """Distance from the pool's centre where the flux falls to the threshold (0 when the flame is weaker)."""
    radius = diameter_m / 2
    return _farthest(
        lambda x: pool_flux_kw_m2(
            x,
            diameter_m=diameter_m,
            flame_height_m=flame_height_m,
            emissive_power_kw_m2=emissive_power_kw_m2,
            water_vapour_pa=water_vapour_pa,
        ),
        threshold_kw_m2,
        start=radius * 1.001,
    )
