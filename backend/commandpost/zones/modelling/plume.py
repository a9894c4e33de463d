"""Gaussian plume for a continuous release, with ground reflection and Briggs (1973) dispersion.

C(x, y, 0) = Q / (π u σy σz) · exp(−y² / 2σy²) · exp(−H² / 2σz²)   (ground level, full reflection)

σy, σz: Briggs (1973) fits to the Pasquill–Gifford curves for open country and for urban areas (as tabulated
in CCPS, Guidelines for Consequence Analysis of Chemical Releases, 1999). Stability class from Pasquill's
table (Turner 1970) of surface wind speed against day-time insolation or night-time cloud cover.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np

REFERENCE = (
    "Gaussian plume with ground reflection; Briggs (1973) σy/σz for open country and urban areas "
    "(CCPS Guidelines for Consequence Analysis of Chemical Releases, 1999, table 2.11); "
    "stability from Pasquill's table (Turner, Workbook of Atmospheric Dispersion Estimates, 1970)"
)
LIMITS = (
    "Unfit for dense gases near the source: chlorine, ammonia released as a liquid, LPG and other cold or "
    "heavier-than-air clouds slump and spread wider and shorter than a Gaussian plume. For them, use the ERG "
    "Table 1/3 distances (model 'erg') for the first response and a dense-gas model (DEGADIS or SLAB, as in "
    "ALOHA) for anything more.",
    "A continuous, steady release: the footprint is where the concentration settles after the cloud has "
    "arrived; it does not show how long the cloud takes to arrive or to clear.",
    "Briggs' curves are fitted from 100 m to 10 km; nearer and farther they are extrapolated.",
    "Flat, uniform ground and a steady wind; buildings, valleys and the sea breeze are not modelled.",
    "Concentrations are 10-minute to 1-hour averages; short peaks are higher.",
)


class Stability(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Terrain(StrEnum):
    open_country = "open_country"
    urban = "urban"


class Insolation(StrEnum):
    strong = "strong"
    moderate = "moderate"
    slight = "slight"


# Pasquill's table (Turner 1970), surface wind at 10 m. Day columns: strong, moderate, slight insolation.
# Night columns: thin overcast or ≥ 4/8 low cloud, ≤ 3/8 cloud. Where the table gives two classes (A–B, …)
# the more stable one is taken: for a ground-level release it reaches farther. Night below 2 m/s (blank in
# the table) is taken as F.
_DAY: tuple[tuple[float, tuple[str, str, str]], ...] = (
    (2.0, ("A", "B", "B")),  # A, A–B, B
    (3.0, ("B", "B", "C")),  # A–B, B, C
    (5.0, ("B", "C", "C")),  # B, B–C, C
    (6.0, ("C", "D", "D")),  # C, C–D, D
    (math.inf, ("C", "D", "D")),
)
_NIGHT: tuple[tuple[float, tuple[str, str]], ...] = (
    (2.0, ("F", "F")),
    (3.0, ("E", "F")),
    (5.0, ("D", "E")),
    (6.0, ("D", "D")),
    (math.inf, ("D", "D")),
)


def stability_class(
    *, wind_speed_ms: float, daytime: bool, cloud_oktas: int, insolation: Insolation | None = None
) -> tuple[Stability, str]:
    """Pasquill stability class and why: overcast (8/8) is D day or night; otherwise the table."""
    if cloud_oktas >= 8:
        return Stability.D, "overcast (8/8): neutral, class D"
    if daytime:
        if insolation is None:
            # Cloud cuts the sun: clear or few clouds strong, broken moderate, mostly cloudy slight.
            insolation = (
                Insolation.strong
                if cloud_oktas <= 2
                else Insolation.moderate
                if cloud_oktas <= 5
                else Insolation.slight
            )
        column = [Insolation.strong, Insolation.moderate, Insolation.slight].index(insolation)
        for top, classes in _DAY:
            if wind_speed_ms < top:
                return Stability(classes[column]), f"day, {insolation} insolation, wind {wind_speed_ms:g} m/s"
    cloudy = cloud_oktas >= 4
    for top, night in _NIGHT:
        if wind_speed_ms < top:
            return (
                Stability(night[0 if cloudy else 1]),
                f"night, {'≥ 4/8' if cloudy else '≤ 3/8'} cloud, wind {wind_speed_ms:g} m/s",
            )
    raise AssertionError("the last row of Pasquill's table is open-ended")


def sigmas(x: np.ndarray, stability: Stability, terrain: Terrain) -> tuple[np.ndarray, np.ndarray]:
    """Briggs (1973) σy, σz in metres at down-wind distances x (metres)."""
    s = stability
    if terrain is Terrain.open_country:
        sy_a = {"A": 0.22, "B": 0.16, "C": 0.11, "D": 0.08, "E": 0.06, "F": 0.04}[s]
        sy = sy_a * x / np.sqrt(1 + 0.0001 * x)
        if s in ("A",):
            sz = 0.20 * x
        elif s == "B":
            sz = 0.12 * x
        elif s == "C":
            sz = 0.08 * x / np.sqrt(1 + 0.0002 * x)
        elif s == "D":
            sz = 0.06 * x / np.sqrt(1 + 0.0015 * x)
        elif s == "E":
            sz = 0.03 * x / (1 + 0.0003 * x)
        else:
            sz = 0.016 * x / (1 + 0.0003 * x)
        return sy, sz
    sy_a = {"A": 0.32, "B": 0.32, "C": 0.22, "D": 0.16, "E": 0.11, "F": 0.11}[s]
    sy = sy_a * x / np.sqrt(1 + 0.0004 * x)
    if s in ("A", "B"):
        sz = 0.24 * x * np.sqrt(1 + 0.001 * x)
    elif s == "C":
        sz = 0.20 * x
    elif s == "D":
        sz = 0.14 * x / np.sqrt(1 + 0.0003 * x)
    else:
        sz = 0.08 * x / np.sqrt(1 + 0.0015 * x)
    return sy, sz


def centreline(
    x: np.ndarray,
    *,
    rate_kg_s: float,
    wind_speed_ms: float,
    release_height_m: float,
    stability: Stability,
    terrain: Terrain,
) -> np.ndarray:
    """Ground-level centreline concentration (kg/m³) at down-wind distances x (m)."""
    sy, sz = sigmas(x, stability, terrain)
    return np.asarray(
        rate_kg_s / (math.pi * wind_speed_ms * sy * sz) * np.exp(-(release_height_m**2) / (2 * sz**2))
    )


def footprint(
    threshold_kg_m3: float,
    *,
    rate_kg_s: float,
    wind_speed_ms: float,
    release_height_m: float,
    stability: Stability,
    terrain: Terrain,
    max_distance_m: float = 50_000.0,
) -> tuple[float, tuple[tuple[float, float], ...]]:
    """Farthest down-wind distance (m) where the ground-level concentration reaches the threshold, and the
    outline of that area in the source's frame (x down-wind, y cross-wind); (0, ()) if it is never reached."""
    x = np.geomspace(1.0, max_distance_m, 600)
    c = centreline(
        x,
        rate_kg_s=rate_kg_s,
        wind_speed_ms=wind_speed_ms,
        release_height_m=release_height_m,
        stability=stability,
        terrain=terrain,
    )
    inside = c >= threshold_kg_m3
    if not inside.any():
        return 0.0, ()
    last = int(np.nonzero(inside)[0][-1])
    # Refine the far edge between the last sample inside and the first outside by bisection.
    lo, hi = float(x[last]), float(x[min(last + 1, len(x) - 1)])
    for _ in range(40):
        mid = (lo + hi) / 2
        c_mid = centreline(
            np.array([mid]),
            rate_kg_s=rate_kg_s,
            wind_speed_ms=wind_speed_ms,
            release_height_m=release_height_m,
            stability=stability,
            terrain=terrain,
        )[0]
        lo, hi = (mid, hi) if c_mid >= threshold_kg_m3 else (lo, mid)
    far = lo
    xs = x[inside & (x < far)]
    sy, _ = sigmas(xs, stability, terrain)
    half = sy * np.sqrt(2 * np.log(c[inside & (x < far)] / threshold_kg_m3))
    right = [(float(a), -float(b)) for a, b in zip(xs, half, strict=True)]
    left = [(float(a), float(b)) for a, b in zip(xs[::-1], half[::-1], strict=True)]
    outline = (*right, (far, 0.0), *left)
    return far, outline
