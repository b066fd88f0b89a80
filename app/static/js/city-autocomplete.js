/* City autocomplete for the screening form: an ARIA 1.2 combobox with a listbox, fed by
   GET /api/v1/cities?q=. Progressive enhancement: without this file the city stays a text
   field (with its datalist) that the server resolves ("Kiev" -> Kyiv). */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY_MS = 200;
  // Words in the page's language, from templates/_macros/scripts.html (beside the script).
  var source = document.getElementById("messages-city");
  var TEXT = source ? JSON.parse(source.textContent) : {};

  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { return true; }
    }
    return false;
  }

  function enhance(input) {
    var form = input.form;
    var country = document.getElementById(input.getAttribute("data-country-field") || "country");
    var zoneHint = document.getElementById(input.getAttribute("data-zone-hint") || "city-timezone");
    var zoneName = zoneHint && zoneHint.querySelector("[data-zone-name]");
    var url = input.getAttribute("data-cities-url") || "/api/v1/cities";
    var listId = input.id + "-suggestions";

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", TEXT.list);
    list.hidden = true;

    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.id = input.id + "-status";

    // The datalist is the fallback without scripts; two pop-ups would fight each other.
    input.removeAttribute("list");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.parentNode.classList.add("combobox");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);

    var results = [];
    var active = -1;
    var timer = null;
    var pending = null;

    function announce(text) {
      // Clear first so that the same words twice are announced twice.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    function optionId(index) { return listId + "-" + index; }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!results.length) { return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", optionId(index));
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function showZone(zone) {
      if (!zoneHint || !zoneName) { return; }
      zoneName.textContent = zone || "";
      zoneHint.hidden = !zone;
    }

    function choose(index) {
      var city = results[index];
      if (!city) { return; }
      input.value = city.name;
      if (country && hasOption(country, city.country_code)) {
        country.value = city.country_code;
        country.dispatchEvent(new Event("change", { bubbles: true }));
      }
      showZone(city.timezone);
      close();
      announce(city.name + ", " + city.country + " chosen. Times are local to the city: " +
               city.timezone + ".");
    }

    function render(items) {
      results = items;
      list.textContent = "";
      items.forEach(function (city, index) {
        var option = document.createElement("li");
        option.id = optionId(index);
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-index", String(index));
        option.textContent = city.name + ", " + city.country;
        var zone = document.createElement("span");
        zone.className = "combobox-zone";
        zone.textContent = " " + city.timezone;
        option.appendChild(zone);
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (items.length) {
        open();
        announce(TEXT.found.replace("%(count)s", String(items.length)));
      } else {
        close();
        announce(TEXT.none);
      }
    }

    function search() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) { results = []; list.textContent = ""; close(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var query = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
      fetch(query, { headers: { Accept: "application/json" }, credentials: "same-origin",
                     signal: pending.signal })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) {
          if (input.value.trim() !== text) { return; } // typed on meanwhile: a newer search runs
          var items = Array.isArray(data) ? data : (data.items || []);
          render(items);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") { close(); }
        });
    }

    input.addEventListener("input", function () {
      showZone(""); // a different city: its zone is not known yet
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!expanded) { open(); }
          if (results.length) { highlight(active + 1 >= results.length ? 0 : active + 1); }
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!expanded) { open(); }
          if (results.length) { highlight(active <= 0 ? results.length - 1 : active - 1); }
          break;
        case "Enter":
          if (expanded && active >= 0) {
            event.preventDefault(); // choosing a city must not send the form
            choose(active);
          }
          break;
        case "Escape":
          if (expanded) {
            event.preventDefault();
            close();
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    // mousedown would move the focus away (and close the list) before the click lands.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { choose(Number(option.getAttribute("data-index"))); }
    });
    input.addEventListener("blur", close);
    if (form) { form.addEventListener("submit", close); }
  }

  var fields = document.querySelectorAll("input[data-city-autocomplete]");
  for (var i = 0; i < fields.length; i++) { enhance(fields[i]); }
})();
