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
  var STATUS_TEXT = {
    cancelled: "Cancelled",
    postponed: "Postponed: new date to be announced",
    relocated: "Moved to a new venue",
    held: "Took place"
  };

  function say(text) {
    status.textContent = text;
  }

  // Only a path on this site may become a link (no javascript:, no other host).
  function sitePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  // The wall-clock time in the screening's city, as the list shows it ("Thu 17 Dec 2026,
  // 21:30"): starts_at carries the local time and offset, so it is read, not converted.
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"];
  function localTime(props) {
    var text = String(props.starts_at || "");
    var parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
    if (!parts) {
      return text;
    }
    var day = new Date(Date.UTC(+parts[1], parts[2] - 1, +parts[3]));
    return DAYS[day.getUTCDay()] + " " + parts[3] + " " + MONTHS[parts[2] - 1] + " " +
      parts[1] + ", " + parts[4] + ":" + parts[5] + " local time";
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
    title.textContent = props.title || "Screening";
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
    if (STATUS_TEXT[props.status]) {
      line(box, "map-popup-status", STATUS_TEXT[props.status]);
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

  say("Loading the map…");
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
      var count = pins.length === 1 ? "1 screening" : pins.length + " screenings";
      say(pins.length ? count + " on the map." : "No screenings to show on the map.");
      if (collection.truncated) {
        say("The map shows the first " + count + "; narrow the filters to see the rest.");
      }
      container.dataset.loaded = String(pins.length);
    })
    .catch(function () {
      say("The map could not load its pins; the list has every screening.");
      container.dataset.loaded = "error";
    });
}());
