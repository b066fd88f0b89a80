/* The public map (templates/public/_filters.html map_panel): pins from the GeoJSON endpoint
   with the page's own filters, clustered, each popup linking to its screening page.
   Popups are built from text nodes only: nothing from the data is ever parsed as HTML.
   Without JavaScript (or Leaflet) the panel stays hidden and the list is the whole page. */
(function () {
  "use strict";

  var container = document.getElementById("map");
  if (!container || !window.L || typeof L.markerClusterGroup !== "function") {
    return;
  }
  var panel = document.getElementById("map-panel");
  var status = document.getElementById("map-status");
  var discover = document.getElementById("discover");
  var settings = container.dataset;
  // Words in the page's language, from templates/_macros/scripts.html (always beside the map).
  var source = document.getElementById("messages-map");
  var TEXT = source ? JSON.parse(source.textContent) : {};
  function text(key, values) {
    return (TEXT[key] || key).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }
  var STATUSES = ["cancelled", "postponed", "relocated", "held"];
  var LANGUAGE = document.documentElement.lang || "en";

  function say(message) {
    status.textContent = message;
  }

  // Only a path on this site may become a link (no javascript:, no other host).
  function sitePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  // The wall-clock time in the screening's city, in the page's language ("Thu, 17 Dec 2026,
  // 21:30"): starts_at carries the local time and offset, so its figures are read, not
  // converted, and formatted as if in UTC (so the browser's own zone plays no part).
  var FORMAT = new Intl.DateTimeFormat(LANGUAGE, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone: "UTC"
  });
  function localTime(props) {
    var when = String(props.starts_at || "");
    var parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(when);
    if (!parts) {
      return when;
    }
    var moment = new Date(Date.UTC(+parts[1], parts[2] - 1, +parts[3], +parts[4], +parts[5]));
    return text("local_time", { time: FORMAT.format(moment) });
  }

  function line(parent, className, text) {
    var element = document.createElement("p");
    element.className = className;
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  function popupContent(props) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var heading = line(box, "map-popup-title", "");
    var path = sitePath(props.url);
    var title = document.createElement(path ? "a" : "span");
    if (path) {
      title.href = path;
    }
    title.textContent = props.title || text("untitled");
    heading.appendChild(title);
    line(box, "map-popup-when", localTime(props));
    var where = [props.city, props.country_code].filter(Boolean).join(", ");
    if (props.address) {
      where = [props.venue, props.address, where].filter(Boolean).join(", ");
    }
    line(box, "map-popup-where", where);
    if (props.film) {
      line(box, "map-popup-film", props.film);
    }
    if (STATUSES.indexOf(props.status) >= 0) {
      line(box, "map-popup-status", text(props.status));
    }
    return box;
  }

  function marker(feature) {
    var coordinates = feature.geometry && feature.geometry.coordinates;
    if (!coordinates || coordinates.length < 2) {
      return null;
    }
    var props = feature.properties || {};
    var label = [props.title, props.city].filter(Boolean).join(", ");
    var pin = L.marker([coordinates[1], coordinates[0]], { title: label, alt: label });
    pin.feature = feature;
    // Narrow enough for a phone's map (Leaflet's default 300 px plus margins would not
    // fit), and panned clear of the zoom buttons.
    pin.bindPopup(function () { return popupContent(props); },
                  { maxWidth: Math.max(150, Math.min(300, container.clientWidth - 130)),
                    autoPanPaddingTopLeft: [56, 16], autoPanPaddingBottomRight: [16, 24] });
    pin.on("popupopen", function () { openPin = pin; });
    return pin;
  }

  panel.hidden = false;
  if (discover) {
    discover.classList.add("has-map");
  }
  var maxZoom = parseInt(settings.maxZoom, 10) || 18;
  var map = L.map(container, { maxZoom: maxZoom, minZoom: 1, worldCopyJump: true });
  map.setView([48, 15], 3);
  if (settings.tiles) {
    // Tiles that fail to load leave the plain background of .map: the pins still show.
    L.tileLayer(settings.tiles, { maxZoom: maxZoom, attribution: settings.attribution })
      .addTo(map);
  }
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45 });
  map.addLayer(cluster);
  // For people poking at the page, and for the browser test.
  window.screeningMap = { map: map, cluster: cluster };

  // Leaflet closes a popup on Escape only while the map box itself has focus; once a pin or
  // the popup's link has it, Escape did nothing. Close it from anywhere in the map and give
  // the focus back to the pin that opened it, so keyboard users keep their place.
  var openPin = null;
  map.on("popupclose", function () { openPin = null; });
  container.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !openPin) {
      return;
    }
    var pin = openPin;
    map.closePopup();
    var icon = pin.getElement();
    if (icon) {
      icon.focus();
    }
    event.preventDefault();
  });

  say(text("loading"));
  fetch(settings.geojson, { credentials: "same-origin",
                            headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (collection) {
      var pins = (collection.features || []).map(marker).filter(Boolean);
      if (pins.length) {
        // Fit first, then cluster: no cluster animation from the starting view on load.
        var bounds = L.latLngBounds(pins.map(function (pin) { return pin.getLatLng(); }));
        map.fitBounds(bounds, { padding: [40, 40], maxZoom: 11, animate: false });
      }
      cluster.addLayers(pins);
      var count = pins.length.toLocaleString(LANGUAGE);
      say(pins.length ? text("count", { count: count }) : text("none"));
      if (collection.truncated) {
        say(text("truncated", { count: count }));
      }
      container.dataset.loaded = String(pins.length);
    })
    .catch(function () {
      say(text("failed"));
      container.dataset.loaded = "error";
    });
}());
