"""Threat-zone models against published reference values; each test names its source and its tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from commandpost.zones.modelling import blast, erg, fire, plume, substances

# ------------------------------------------------------------------------------------ Gaussian plume


def test_plume_reproduces_the_ccps_ground_release_example() -> None:
    # CCPS, Guidelines for Consequence Analysis of Chemical Releases (1999), plume example: 0.1 kg/s at ground
    # level, F stability, 2 m/s, open country, 500 m down-wind: σy = 19.52 m, σz = 6.96 m,
    # C = 1.17e-4 kg/m³ = 95.5 ppm for a gas of molar mass 30 at 298 K.
    # Tolerance 0.5 %: the book rounds to three significant figures.
    x = np.array([500.0])
    sy, sz = plume.sigmas(x, plume.Stability.F, plume.Terrain.open_country)
    assert float(sy[0]) == pytest.approx(19.52, rel=5e-3)
    assert float(sz[0]) == pytest.approx(6.96, rel=5e-3)
    c = plume.centreline(
        x,
        rate_kg_s=0.1,
        wind_speed_ms=2.0,
        release_height_m=0.0,
        stability=plume.Stability.F,
        terrain=plume.Terrain.open_country,
    )[0]
    assert c == pytest.approx(1.17e-4, rel=5e-3)
    assert c * 1e6 * substances.MOLAR_VOLUME_L / 30 == pytest.approx(95.5, rel=5e-3)


def test_the_footprint_ends_where_the_centreline_falls_to_the_level() -> None:
    run = {
        "rate_kg_s": 0.1,
        "wind_speed_ms": 2.0,
        "release_height_m": 0.0,
        "stability": plume.Stability.F,
        "terrain": plume.Terrain.open_country,
    }
    # The CCPS example gives 1.17e-4 kg/m³ at 500 m, so a level of exactly that ends the footprint at 500 m.
    level = float(plume.centreline(np.array([500.0]), **run)[0])  # type: ignore[arg-type]
    far, outline = plume.footprint(level, **run)  # type: ignore[arg-type]
    assert far == pytest.approx(500.0, rel=1e-4)
    assert max(abs(y) for _, y in outline) > 0 and max(x for x, _ in outline) == pytest.approx(far)
    # A release 10 m up reaches the ground only some way down-wind, and less far than one at ground level.
    ground, _ = plume.footprint(level / 3, **run)  # type: ignore[arg-type]
    high, high_outline = plume.footprint(level / 3, **{**run, "release_height_m": 10.0})  # type: ignore[arg-type]
    assert min(x for x, _ in high_outline) > 100 and 0 < high < ground


@pytest.mark.parametrize(
    ("wind", "daytime", "oktas", "insolation", "expected"),
    # Pasquill's stability table (Turner, Workbook of Atmospheric Dispersion Estimates, 1970, table 1);
    # where it gives two classes the more stable one is used (said in the model's docstring).
    [
        (1.5, True, 0, plume.Insolation.strong, "A"),
        (2.5, True, 0, plume.Insolation.moderate, "B"),
        (4.0, True, 0, plume.Insolation.slight, "C"),
        (5.5, True, 0, plume.Insolation.strong, "C"),
        (7.0, True, 0, plume.Insolation.slight, "D"),
        (2.5, False, 2, None, "F"),
        (2.5, False, 5, None, "E"),
        (4.0, False, 2, None, "E"),
        (4.0, False, 5, None, "D"),
        (2.5, False, 8, None, "D"),  # overcast: D day or night
    ],
)
def test_stability_follows_pasquills_table(
    wind: float, daytime: bool, oktas: int, insolation: plume.Insolation | None, expected: str
) -> None:
    stability, _ = plume.stability_class(
        wind_speed_ms=wind, daytime=daytime, cloud_oktas=oktas, insolation=insolation
    )
    assert stability == expected


# -------------------------------------------------------------------------------------------- VCE


def test_vce_1psi_distance_follows_the_rmp_guidance_equation() -> None:
    # EPA RMP Offsite Consequence Analysis guidance (EPA 550-B-99-009), Appendix C:
    # X = 17 (0.1 W Hc/HcTNT)^1/3, HcTNT = 4,680 kJ/kg; propane Hc = 46,333 kJ/kg (the guidance's table of
    # heats of combustion).
    # 10,000 kg propane: W_TNT = 0.1 × 10,000 × 46,333 / 4,680 = 9,900.2 kg; X = 17 × 21.475 = 365.1 m.
    propane = substances.properties("74-98-6")
    assert propane.heat_of_combustion_kj_kg == pytest.approx(46_333, rel=1e-3)  # ChEDL vs RMP: 0.1 %
    tnt = blast.tnt_equivalent_kg(10_000, 46_333)
    assert tnt == pytest.approx(9_900.2, rel=1e-4)
    assert blast.rmp_distance_to_1psi_m(tnt) == pytest.approx(365.1, rel=1e-3)
    # The guidance's English form, X[mi] = 0.0081 (0.1 W[lb] Hc/HcTNT)^1/3, gives the same distance (1 %:
    # its constant has two significant figures).
    miles = 0.0081 * (tnt / 0.45359237) ** (1 / 3)
    assert miles * 1609.344 == pytest.approx(365.1, rel=1e-2)


def test_the_kinney_graham_curve_on_the_ground_meets_the_rmp_1psi_constant() -> None:
    # Kinney & Graham (1985) free-air TNT curve, charge doubled for a surface burst: 1 psi falls at
    # 17 m·kg^-1/3, the RMP guidance's constant. Tolerance 1.5 %: the guidance rounds to two figures.
    assert blast.scaled_distance_for(blast.PSI_KPA) * 2 ** (1 / 3) == pytest.approx(17.0, rel=1.5e-2)
    # Nearer means more over-pressure: the rings nest.
    tnt = 1_000.0
    rings = [blast.distance_to_m(kpa, tnt) for kpa, _ in blast.LEVELS]
    assert rings == sorted(rings, reverse=True)


# ------------------------------------------------------------------------------------------ BLEVE


def test_fireball_reproduces_the_ccps_tank_truck_example() -> None:
    # CCPS fireball correlations, worked example (propane tank truck 22.7 m³, 90 % full, 585.3 kg/m³; all
    # the propane in the fireball; receptor 100 m from the point below the centre, fireball touching the
    # ground, E = 350 kW/m², no atmospheric loss): M = 11,957.7 kg, D = 132.6 m, t = 10.3 s, F = 0.255,
    # q = 89.1 kW/m².
    # Tolerance 0.2 % on D and q, 0.5 % on t and F: the published figures are rounded.
    mass = 22.7 * 0.9 * 585.3
    assert mass == pytest.approx(11_957.7, abs=0.1)
    diameter = fire.fireball_diameter_m(mass)
    assert diameter == pytest.approx(132.6, rel=2e-3)
    assert fire.fireball_duration_s(mass) == pytest.approx(10.3, rel=5e-3)
    view = fire.sphere_view_factor_vertical(
        radius_m=diameter / 2, centre_height_m=diameter / 2, ground_distance_m=100
    )
    assert view == pytest.approx(0.255, rel=5e-3)
    assert 350 * view == pytest.approx(89.1, rel=2e-3)


def test_water_vapour_pressure_matches_the_steam_tables() -> None:
    # IAPWS-95 saturation pressure at 25 °C is 3.1699 kPa (CRC Handbook, vapour pressure of water); 0.01 %.
    assert fire.water_vapour_pressure_pa(air_temperature_c=25, relative_humidity=1.0) == pytest.approx(
        3169.9, rel=1e-4
    )


def test_transmissivity_follows_the_correlation_and_never_exceeds_one() -> None:
    # τ = 2.02 (p_w L)^-0.09: p_w = 1,585 Pa (50 % RH at 25 °C), L = 100 m → 2.02 × 158,500^-0.09 = 0.688.
    assert fire.transmissivity(100, 1585) == pytest.approx(0.688, abs=1e-3)
    assert fire.transmissivity(0.1, 1585) == 1.0


# -------------------------------------------------------------------------------------- pool fire


@pytest.mark.parametrize(
    ("cas", "measured"),
    # Babrauskas, SFPE Handbook of Fire Protection Engineering, large-pool burning rates: benzene 0.085,
    # methanol 0.017 kg/m²s. Tolerance 5 %: the Burgess–Zabetakis correlation is an estimate and the measured
    # rates scatter by about that much between tests.
    [("71-43-2", 0.085), ("67-56-1", 0.017)],
)
def test_burning_rate_from_chedl_properties_matches_measured_rates(cas: str, measured: float) -> None:
    props = substances.properties(cas)
    assert props.heat_of_combustion_kj_kg and props.heat_of_vaporisation_kj_kg and props.boiling_point_k
    rate = fire.burning_rate_kg_m2_s(
        heat_of_combustion_kj_kg=props.heat_of_combustion_kj_kg,
        heat_of_vaporisation_kj_kg=props.heat_of_vaporisation_kj_kg,
        liquid_heat_capacity_kj_kg_k=props.liquid_heat_capacity_kj_kg_k or 0.0,
        boiling_point_k=props.boiling_point_k,
        ambient_k=298.15,
    )
    assert rate == pytest.approx(measured, rel=0.05)


def test_thomas_flame_height() -> None:
    # Thomas (1963): H = 42 D (m''/(ρa √(g D)))^0.61. D = 10 m, m'' = 0.085 kg/m²s, ρa = 1.2, g = 9.81:
    # 0.085 / (1.2 × 9.905) = 0.007152; ^0.61 = 0.04911; H = 420 × 0.04911 = 20.6 m.
    assert fire.thomas_flame_height_m(diameter_m=10, burning_rate=0.085) == pytest.approx(20.6, abs=0.05)


def _numerical_view_factors(radius: float, height: float, distance: float) -> tuple[float, float]:
    """∫ cosθ₁ cosθ₂ / (π r²) dA over the cylinder's side, for a ground element facing the axis (vertical)
    and facing up (horizontal)."""
    phis = np.linspace(-math.pi, math.pi, 1441)
    zs = np.linspace(0, height, 801)
    phi, z = np.meshgrid((phis[:-1] + phis[1:]) / 2, (zs[:-1] + zs[1:]) / 2)
    surface = np.stack([radius * np.cos(phi), radius * np.sin(phi), z])
    ray = surface - np.array([distance, 0.0, 0.0])[:, None, None]
    r2 = (ray**2).sum(axis=0)
    r = np.sqrt(r2)
    cos_surface = -(np.cos(phi) * ray[0] + np.sin(phi) * ray[1]) / r  # outward normal · (target − surface)
    da = radius * (phis[1] - phis[0]) * (zs[1] - zs[0])
    out = []
    for cos_target in (-ray[0] / r, ray[2] / r):  # vertical element faces −x (the axis); horizontal faces up
        seen = (cos_target > 0) & (cos_surface > 0)
        out.append(float((np.where(seen, cos_target * cos_surface / (math.pi * r2), 0.0) * da).sum()))
    return out[0], out[1]


@pytest.mark.parametrize(("distance", "height"), [(10.0, 20.0), (25.0, 20.0), (60.0, 40.0)])
def test_cylinder_view_factor_agrees_with_direct_integration(distance: float, height: float) -> None:
    # Mudan's closed forms (as in CCPS 1999 and the SFPE Handbook) against a numerical integration of the
    # definition, for a vertical and a horizontal target. Tolerance 1 %: the integration grid.
    vertical, horizontal = fire.cylinder_view_factors(radius_m=5.0, height_m=height, distance_m=distance)
    numeric_v, numeric_h = _numerical_view_factors(5.0, height, distance)
    assert vertical == pytest.approx(numeric_v, rel=1e-2)
    assert horizontal == pytest.approx(numeric_h, rel=1e-2)


# -------------------------------------------------------------------------------------------- ERG


def test_erg_table1_chlorine_small_spill_at_night() -> None:
    # ERG 2024 Table 1, UN1017 chlorine, small spill: isolate 60 m; protect 0.3 km day, 1.5 km night.
    night = erg.model(un_number="1017", spill=erg.Spill.small, daytime=False, wind_speed_ms=3)
    assert [(z.level, z.distance_m) for z in night.zones] == [("isolation", 60), ("protective_action", 1500)]
    day = erg.model(un_number="UN1017", spill=erg.Spill.small, daytime=True, wind_speed_ms=3)
    assert day.zones[1].distance_m == 300


def test_erg_table3_large_ammonia_spill_by_container_and_wind() -> None:
    # ERG 2024 Table 3, UN1005 anhydrous ammonia, rail tank car: isolate 300 m; day low wind 1.6 km,
    # night high wind 1.3 km. Low wind is < 10 km/h, high > 20 km/h.
    calm_day = erg.model(
        un_number="1005",
        spill=erg.Spill.large,
        daytime=True,
        wind_speed_ms=2.0,
        container=erg.Container.rail_tank_car,
    )
    assert [z.distance_m for z in calm_day.zones] == [300, 1600]
    windy_night = erg.model(
        un_number="1005",
        spill=erg.Spill.large,
        daytime=False,
        wind_speed_ms=7.0,
        container=erg.Container.rail_tank_car,
    )
    assert windy_night.zones[1].distance_m == 1300
    with pytest.raises(erg.NotInErg) as no_container:
        erg.model(un_number="1005", spill=erg.Spill.large, daytime=True, wind_speed_ms=2.0)
    assert no_container.value.field == "container"


def test_a_material_not_in_table1_takes_its_guide_defaults() -> None:
    # UN1203 gasoline: ERG guide 128 — isolate 50 m; large spill 300 m down-wind; tank in a fire 800 m.
    result = erg.model(un_number="1203", spill=erg.Spill.large, daytime=True, wind_speed_ms=3, fire=True)
    assert [(z.level, z.distance_m) for z in result.zones] == [
        ("isolation", 50),
        ("protective_action", 300),
        ("fire_evacuation", 800),
    ]
    assert "ERG 2016" in result.zones[0].basis  # type: ignore[operator]
    with pytest.raises(erg.NotInErg):
        erg.model(un_number="9999", spill=erg.Spill.small, daytime=True, wind_speed_ms=3)
