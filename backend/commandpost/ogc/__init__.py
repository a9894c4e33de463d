"""OGC API – Features (Part 1: Core, GeoJSON) over the platform's own layers, under `/ogc`."""
