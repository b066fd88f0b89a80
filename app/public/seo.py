"""For search engines: /sitemap.xml (public pages only) and /robots.txt."""

from datetime import datetime
from xml.etree import ElementTree

from flask import Response, request, url_for

from ..services import sitemap
from .routes import bp

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Areas that need an account, carry secret tokens or serve programs: nothing to index there.
DISALLOWED = ("/organiser/", "/coordination/", "/account/", "/api/", "/login", "/logout",
              "/invitations/", "/password/")
SUBJECT_ENDPOINTS = {"collective": "public.collective", "film": "public.film",
                     "beneficiary": "public.beneficiary"}


def _w3c(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment else None


def sitemap_xml(content: sitemap.Sitemap) -> bytes:
    """The sitemap document (escaping done by the XML writer, not by hand)."""
    root = ElementTree.Element("urlset", xmlns=SITEMAP_NS)

    def add(loc: str, lastmod: datetime | None) -> None:
        url = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(url, "loc").text = loc
        if lastmod is not None:
            ElementTree.SubElement(url, "lastmod").text = _w3c(lastmod)

    for endpoint in ("public.index", "public.past", "public.transparency"):
        add(url_for(endpoint, _external=True), content.latest)
    for entry in content.screenings:
        add(url_for("public.screening", screening_id=entry.id, slug=entry.slug, _external=True),
            entry.lastmod)
    for entry in content.subjects:
        add(url_for(SUBJECT_ENDPOINTS[entry.kind], slug=entry.slug, _external=True),
            entry.lastmod)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


@bp.get("/sitemap.xml")
def sitemap_page():
    """Every public page, with absolute addresses and the time each last changed."""
    response = Response(sitemap_xml(sitemap.build()), mimetype="application/xml")
    # An ETag of the document itself: always right (a Last-Modified would miss a removal).
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/robots.txt")
def robots():
    """Let crawlers read the public pages only, and tell them where the sitemap is."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /", "",
             f"Sitemap: {url_for('public.sitemap_page', _external=True)}", ""]
    return Response("\n".join(lines), mimetype="text/plain")
