"""Leaflet and Leaflet.markercluster served from this site, out of their xstatic packages:
no CDN, so the map works on a network without internet, under a CSP of 'self'."""

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import abort, send_from_directory

from .routes import bp

PACKAGES = {
    "leaflet": xstatic.pkg.leaflet.BASE_DIR,
    "leaflet-markercluster": xstatic.pkg.leaflet_markercluster.BASE_DIR,
}
# Only what a browser needs (the scripts, the styles and the marker images they name).
SUFFIXES = (".js", ".css", ".png")


@bp.get("/static/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    """One file of a vendored package (ETag and Last-Modified: a repeat visit gets a 304)."""
    directory = PACKAGES.get(package)
    if directory is None or not filename.endswith(SUFFIXES):
        abort(404)
    return send_from_directory(directory, filename)
