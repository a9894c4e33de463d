"""What an import reports: records accepted, records refused (where, field, why), and what changed."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Refusal(BaseModel):
    where: str = Field(description='the record in the file: "row 3" (CSV, after the header) or "feature 3"')
    ref: str | None = Field(description="the record's ref, when it has one")
    field: str = Field(description="the field at fault, e.g. `kind`, `lon`, `stock.0.material`")
    reason: str


class ImportReport(BaseModel):
    kind: str = Field(description="teams, depots, hazard-sources, shelters or experts")
    format: str
    crs: str = Field(description="the coordinate system the file was read in, converted to WGS 84")
    dry_run: bool
    records: int = Field(description="records in the file")
    accepted: int
    refused: list[Refusal]
    imported: bool = Field(description="true when the records were stored (never on a dry run or a refusal)")
    created: int = Field(description="records new to the platform (on a dry run: that would be)")
    updated: int
    unchanged: int
    stock_differs: list[dict[str, object]] = Field(
        default_factory=list,
        description="depots whose stock in the file differs from what they hold: left as it is",
    )
