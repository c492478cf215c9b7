// The talent map: US states (and county borders when zoomed in) from the vendored us-atlas TopoJSON, one bubble per ranked region
// (area by fitting candidates, colour by region kind, micro-hubs ringed). Data comes from the
// page's data-points attribute; every text is set with textContent, never as HTML.
(function () {
  "use strict";
  var el = document.getElementById("talent-map");
  if (!el || !window.L || !window.topojson) { return; }
  var points = JSON.parse(el.getAttribute("data-points") || "[]");
  var style = getComputedStyle(document.documentElement);
  var colours = {
    large_metro: style.getPropertyValue("--large_metro").trim(),
    metro: style.getPropertyValue("--metro").trim(),
    micro_hub: style.getPropertyValue("--micro_hub").trim()
  };
  var kindNames = { large_metro: "large metro", metro: "metro", micro_hub: "micro-hub" };
  // vector shapes only, no tiles: zooming at once (no animation) costs nothing and settles at once
  var map = L.map(el, { zoomSnap: 0.25, zoomAnimation: false, attributionControl: true, worldCopyJump: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("States: U.S. Census Bureau (us-atlas)");
  map.fitBounds([[24.5, -125], [49.5, -66.5]]);

  var states = null;
  fetch(el.getAttribute("data-atlas"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (us) {
      states = L.geoJSON(topojson.feature(us, us.objects.states), {
        style: { color: "#8a96a3", weight: 1, fillColor: "#f7f7f2", fillOpacity: 1 },
        interactive: false
      }).addTo(map).bringToBack();
    });

  // county borders only once zoomed in far enough to tell them apart (the file is 0.8 MB)
  var counties = null;
  function showCounties() {
    if (counties !== null || map.getZoom() < 6) { return; }
    counties = false;
    fetch(el.getAttribute("data-counties"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (us) {
        var inner = topojson.mesh(us, us.objects.counties, function (a, b) {
          return a !== b && Math.floor(a.id / 1000) === Math.floor(b.id / 1000);
        });
        counties = L.geoJSON(inner, { style: { color: "#b8c0ca", weight: 0.6 }, interactive: false });
        counties.addTo(map).bringToBack();
        if (states) { states.bringToBack(); }
      });
  }
  map.on("zoomend", showCounties);

  var panel = document.getElementById("region-facts");
  var rows = {};
  document.querySelectorAll("#regions-table tr[data-region]").forEach(function (tr) {
    rows[tr.getAttribute("data-region")] = tr;
  });
  var number = new Intl.NumberFormat("en-US");

  function fact(list, name, value) {
    var dt = document.createElement("dt"); dt.textContent = name;
    var dd = document.createElement("dd"); dd.textContent = value;
    list.appendChild(dt); list.appendChild(dd);
  }

  function facts(p) {
    var box = document.createElement("div");
    var h = document.createElement("h3");
    h.textContent = p.name + " (" + (kindNames[p.kind] || p.kind) + ")";
    box.appendChild(h);
    var dl = document.createElement("dl");
    dl.className = "facts";
    fact(dl, "Fitting candidates", String(p.fitting));
    fact(dl, "Local candidates", String(p.local_candidates));
    fact(dl, "Employment", p.employment == null ? "–" : number.format(p.employment));
    fact(dl, "Location quotient", p.location_quotient == null ? "–" : p.location_quotient.toFixed(2));
    fact(dl, "Median wage", p.median_wage == null ? "–" : "$" + number.format(p.median_wage));
    box.appendChild(dl);
    return box;
  }

  var markers = {};
  function select(id, fromMap) {
    var p = markers[id] && markers[id].point;
    if (!p) { return; }
    Object.keys(rows).forEach(function (k) { rows[k].classList.toggle("selected", k === id); });
    if (panel) {
      panel.replaceChildren(facts(p));
      panel.hidden = false;
    }
    if (!fromMap) { markers[id].marker.openPopup(); }
  }

  var most = points.reduce(function (m, p) { return Math.max(m, p.fitting); }, 1);
  var bounds = [];
  points.forEach(function (p) {
    if (p.lat == null || p.lon == null) { return; }
    var radius = 5 + 20 * Math.sqrt(p.fitting / most);
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: radius,
      color: p.micro_hub ? "#1b1f24" : "#ffffff",
      weight: p.micro_hub ? 3 : 1,
      fillColor: colours[p.kind] || "#555",
      fillOpacity: 0.75,
      className: "bubble kind-" + p.kind
    }).addTo(map);
    marker.bindPopup(facts(p));
    marker.bindTooltip(p.name + ": " + p.fitting + " fitting");
    marker.on("click", function () { select(p.id, true); });
    markers[p.id] = { marker: marker, point: p };
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 7 }); }
  else if (bounds.length === 1) { map.setView(bounds[0], 6); }
  showCounties();

  document.querySelectorAll("button.region-button").forEach(function (b) {
    b.addEventListener("click", function () { select(b.getAttribute("data-region"), false); });
  });
})();
