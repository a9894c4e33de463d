"""Imports and exports in the formats districts hold: GeoJSON, CSV, zipped shapefiles, GeoPackage, KML."""
