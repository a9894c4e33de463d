"""Supply depots in and out: the material catalogue, depots as GeoJSON features, stock lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from geojson_pydantic import Feature, Point
from pydantic import AfterValidator, BaseModel, Field, field_validator

from commandpost import geo
from commandpost.depots.models import Depot, InventoryLine, Material
from commandpost.schemas import InModel, LayerPage, PointIn, UpdateModel, not_null

# Stock is stored as NUMERIC(14, 3): thousandths of a unit, below 10^11.
QUANTITY_MAX = 99_999_999_999.999


def _three_decimals(value: float) -> float:
    if Decimal(str(value)) != Decimal(str(value)).quantize(Decimal("0.001")):
        raise ValueError("at most 3 decimal places (stock is kept to the thousandth of a unit)")
    return value


Quantity = Annotated[
    float, Field(ge=0, le=QUANTITY_MAX, allow_inf_nan=False), AfterValidator(_three_decimals)
]
"""An amount of stock: zero or more, to the thousandth of the material's unit."""

PositiveQuantity = Annotated[
    float, Field(gt=0, le=QUANTITY_MAX, allow_inf_nan=False), AfterValidator(_three_decimals)
]
"""An amount moved (reserved, released, issued): more than zero."""

MaterialCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="catalogue code: letters, digits, `_`, `.`, `-`",
        examples=["foam_afff_3"],
    ),
]


class MaterialCreate(InModel):
    code: MaterialCode
    name: str = Field(min_length=1, max_length=80, examples=["AFFF foam concentrate 3%"])
    name_zh: str = Field(min_length=1, max_length=40, examples=["水成膜泡沫液"])
    unit: str = Field(min_length=1, max_length=20, description="t, m, set, piece, m³, box…", examples=["t"])
    category: str = Field(default="general", min_length=1, max_length=40, examples=["firefighting"])

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "foam_afff_3",
                    "name": "AFFF foam concentrate 3%",
                    "name_zh": "水成膜泡沫液",
                    "unit": "t",
                    "category": "firefighting",
                }
            ]
        }
    }


class StockLineIn(InModel):
    material: MaterialCode
    on_hand: Quantity


class DepotCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this depot, if any")
    name: str = Field(min_length=1, max_length=120, examples=["泉港区应急物资储备库"])
    operator: str = Field(min_length=1, max_length=120, examples=["泉港区应急管理局"])
    location: PointIn = Field(description="where the depot is (GeoJSON Point, WGS 84)")
    address: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=40)
    stock: list[StockLineIn] = Field(default_factory=list, description="initial stock, one line per material")

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "泉港区应急物资储备库",
                    "operator": "泉港区应急管理局",
                    "location": {"type": "Point", "coordinates": [118.9166, 25.1267]},
                    "address": "泉港区山腰街道",
                    "contact_phone": "0595-87000000",
                    "stock": [
                        {"material": "foam_afff_3", "on_hand": 20},
                        {"material": "sandbag", "on_hand": 5000},
                    ],
                }
            ]
        }
    }


class DepotUpdate(UpdateModel):
    """Fields to change; stock changes go through `/depots/{id}/stock/{material}` so their rules apply."""

    ref: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    operator: str | None = Field(default=None, min_length=1, max_length=120)
    location: PointIn | None = None
    address: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=40)

    _required = field_validator("name", "operator", "location")(not_null)


class StockSet(InModel):
    """The amount now on hand; send the line's `version` (or If-Match) when the line exists."""

    on_hand: Quantity = Field(examples=[20])
    version: int | None = Field(default=None, ge=1, description="the stock line's version you read")


def material_entity(material: Material) -> dict[str, Any]:
    return {
        "code": material.code,
        "name": material.name,
        "name_zh": material.name_zh,
        "unit": material.unit,
        "category": material.category,
    }


def stock_line(line: InventoryLine) -> dict[str, Any]:
    """One line of a depot's stock, with what is still free to promise."""
    on_hand = Decimal(str(line.on_hand))
    reserved = Decimal(str(line.reserved))
    return {
        "material": line.material_code,
        "name_zh": line.material.name_zh,
        "unit": line.material.unit,
        "on_hand": float(on_hand),
        "reserved": float(reserved),
        "available": float(on_hand - reserved),
        "version": line.version,
        "updated_at": line.updated_at.isoformat(),
    }


def stock_entity(line: InventoryLine) -> dict[str, Any]:
    """A stock line on its own (ETag = the line's version)."""
    return {"depot_id": line.depot_id, **stock_line(line)}


def depot_feature(depot: Depot) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": depot.id,
        "geometry": geo.to_geojson(depot.location),
        "properties": {
            "id": depot.id,
            "ref": depot.ref,
            "name": depot.name,
            "operator": depot.operator,
            "address": depot.address,
            "contact_name": depot.contact_name,
            "contact_phone": depot.contact_phone,
            "stock": [stock_line(line) for line in depot.stock],
            "version": depot.version,
            "updated_at": depot.updated_at.isoformat(),
        },
    }


class MaterialOut(BaseModel):
    code: str = Field(examples=["foam_concentrate"])
    name: str
    name_zh: str
    unit: str = Field(examples=["t"])
    category: str


class StockLineOut(BaseModel):
    """One line of a depot's stock, with what is still free to promise."""

    material: str
    name_zh: str
    unit: str
    on_hand: float
    reserved: float = Field(description="promised to dispatches, not yet issued")
    available: float = Field(description="on hand less reserved")
    version: int
    updated_at: datetime


class StockOut(StockLineOut):
    depot_id: int


class DepotProperties(BaseModel):
    id: int
    ref: str | None
    name: str
    operator: str
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    stock: list[StockLineOut]
    version: int
    updated_at: datetime


DepotFeature = Feature[Point, DepotProperties]
DepotLayer = LayerPage[DepotFeature]
