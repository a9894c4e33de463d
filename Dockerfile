# The backend image: Debian's SpatiaLite, PROJ and GDAL; pyproj and pyogrio built against them (see README).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite libproj-dev proj-bin libgdal-dev build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY gis_data ./gis_data
COPY frontend/dist ./frontend/dist
RUN pip install --no-cache-dir "cython==3.0.11" setuptools wheel \
 && PROJ_DIR=/usr pip install --no-cache-dir --no-build-isolation --no-binary pyproj pyproj==3.6.1 \
 && pip install --no-cache-dir --no-binary pyogrio pyogrio==0.13.0 \
 && pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["commandpost", "serve", "--host", "0.0.0.0", "--port", "8000"]
