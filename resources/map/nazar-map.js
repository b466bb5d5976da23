/* Nazar map panel: draws cameras, coverage, sites and areas from the page's JSON block and
 * talks to the Python side through a QWebChannel object ("nazar").
 *
 * Rules of this file:
 *  - registry text (names, owners, addresses...) only ever reaches the DOM as textContent
 *    (the el() helper below); never innerHTML, never an HTML string handed to Leaflet;
 *  - cameras are circle/square pins drawn into canvas tiles (10,000 stay fast; a pan draws
 *    only the new tiles), found under the pointer through the same per-tile buckets;
 *  - Python calls the functions on window.Nazar (arguments JSON-escaped by app.mappage.js_call);
 *    the page calls Python only through the bridge object's slots, with ids it was given.
 */
(function () {
  'use strict';

  // Filled from the page data's "styles" (app/styles.py, the one table the tiles use too).
  var STATE_COLOURS = {};
  var STATE_TEXT = {};
  var POLICE_STROKE = '#17356e';
  var PRIVATE_STROKE = '#7a2a8c';
  var CONE_LIMIT = 3000; // coverage cones are drawn for at most this many cameras in view
  var SITE_KINDS = ['mall', 'multiplex', 'market', 'housing', 'bank', 'office', 'petrol_pump',
                    'hospital', 'hotel', 'transport', 'other'];

  var Nazar = window.Nazar = {};
  var map, data, F = {};
  var bridge = null, pending = [];
  var cams = [];            // rows of data.cameras, as objects
  var camById = {};         // id -> camera object
  var layers = {};          // name -> L.LayerGroup
  var renderers = {};
  var highlightLayer = null, highlighted = null;
  var areaOutline = null;
  var drawMode = false, drawStart = null, drawRect = null;
  var tip = null;           // one shared tooltip for pins and sites
  var status = {pins: 0, ready: false, startedMs: 0, drawnMs: 0, violations: []};
  Nazar.status = status;
  // Anything the Content-Security-Policy stopped (an attempt to reach the network, or
  // injected script) is recorded here; the tests expect none.
  document.addEventListener('securitypolicyviolation', function (e) {
    status.violations.push(e.violatedDirective + ' ' + e.blockedURI);
  });

  // ------------------------------------------------------------------------------------------
  // DOM helpers: text only
  // ------------------------------------------------------------------------------------------
  function el(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === '') { return; }
      e.appendChild(typeof c === 'string' || typeof c === 'number'
        ? document.createTextNode(String(c)) : c);
    });
    return e;
  }

  function row(label, value) {
    if (value === null || value === undefined || value === '') { return null; }
    return el('div', 'nz-row', [el('span', 'nz-key', [label]), el('span', 'nz-val', [value])]);
  }

  function button(text, action, onClick) {
    var b = el('button', 'nz-btn', [text]);
    b.type = 'button';
    b.setAttribute('data-action', action);
    L.DomEvent.on(b, 'click', function (e) {
      L.DomEvent.stop(e);
      onClick();
    });
    return b;
  }

  function safeKind(kind) {
    return SITE_KINDS.indexOf(kind) >= 0 ? kind : 'other';
  }

  // ------------------------------------------------------------------------------------------
  // The bridge to Python
  // ------------------------------------------------------------------------------------------
  function call(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (bridge) {
      bridge[name].apply(bridge, args);
    } else {
      pending.push([name, args]);
    }
  }

  function connectBridge() {
    if (typeof QWebChannel === 'undefined' || !window.qt || !window.qt.webChannelTransport) {
      return; // opened outside Nazar (e.g. a browser): the map works, nothing reaches Python
    }
    new QWebChannel(window.qt.webChannelTransport, function (channel) {
      bridge = channel.objects.nazar;
      var queued = pending;
      pending = [];
      queued.forEach(function (p) { bridge[p[0]].apply(bridge, p[1]); });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Geometry (the same formulas as app/geometry.py)
  // ------------------------------------------------------------------------------------------
  var R = 6371008.8;
  function destination(lat, lon, bearing, dist) {
    var d = dist / R, b = bearing * Math.PI / 180;
    var p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180;
    var p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    var l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
                             Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return [p2 * 180 / Math.PI, ((l2 * 180 / Math.PI) + 540) % 360 - 180];
  }

  function conePoints(c, steps) {
    steps = steps || 12;
    var pts = [], i;
    if (c.fov >= 360) {
      for (i = 0; i < steps * 2; i++) {
        pts.push(destination(c.lat, c.lon, i * 360 / (steps * 2), c.range));
      }
      return pts;
    }
    var start = c.bearing - c.fov / 2;
    pts.push([c.lat, c.lon]);
    for (i = 0; i <= steps; i++) {
      pts.push(destination(c.lat, c.lon, start + c.fov * i / steps, c.range));
    }
    return pts;
  }
  Nazar.conePoints = function (id) { return camById[id] ? conePoints(camById[id]) : null; };

  function pointInRing(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var yi = ring[i][0], xi = ring[i][1], yj = ring[j][0], xj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < xi + (lat - yi) * (xj - xi) / (yj - yi)) {
        inside = !inside;
      }
    }
    return inside;
  }

  // ------------------------------------------------------------------------------------------
  // Pins: circles (police) and squares (private) on one canvas
  // ------------------------------------------------------------------------------------------
  // Leaflet loads after this file (folium puts its own scripts last): extend it at start.
  var Pin = null;
  function extendLeaflet() {
    L.Canvas.include({
      _updateNazarPin: function (layer) {
        if (!this._drawing || layer._empty()) { return; }
        var p = layer._point, ctx = this._ctx, r = Math.max(Math.round(layer._radius), 1);
        ctx.beginPath();
        if (layer.options.shape === 'square') {
          ctx.rect(p.x - r, p.y - r, 2 * r, 2 * r);
        } else if (layer.options.shape === 'site') {
          ctx.moveTo(p.x, p.y - r);
          ctx.lineTo(p.x + r, p.y);
          ctx.lineTo(p.x, p.y + r);
          ctx.lineTo(p.x - r, p.y);
          ctx.closePath();
        } else {
          ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
        }
        this._fillStroke(ctx, layer);
      }
    });
    // A pin may sit a few pixels off its point (see spreadGroups), at every zoom.
    Pin = L.CircleMarker.extend({
      _project: function () {
        this._point = this._map.latLngToLayerPoint(this._latlng);
        if (this.options.dx || this.options.dy) {
          this._point = this._point.add([this.options.dx, this.options.dy]);
        }
        this._updateBounds();
      },
      _updatePath: function () { this._renderer._updateNazarPin(this); }
    });
  }

  // Cameras at one place (the corners of a junction, a mall's entrance) would hide each
  // other: each pin of such a group sits SPREAD_PX pixels off the point, towards where the
  // camera looks when that direction is free, else in the emptiest direction.
  var GROUP_M = 20, SPREAD_PX = 10, CLEAR_PX = 11;
  function spreadGroups() {
    var dLat = GROUP_M / 111320, grid = {}, groups = [];
    cams.forEach(function (c) {
      var dLon = dLat / Math.cos(c.lat * Math.PI / 180);
      var gx = Math.floor(c.lon / dLon), gy = Math.floor(c.lat / dLat), found = null;
      for (var i = -1; i <= 1 && !found; i++) {
        for (var j = -1; j <= 1 && !found; j++) {
          (grid[(gx + i) + ':' + (gy + j)] || []).some(function (g) {
            var dy = (g[0].lat - c.lat) * 111320;
            var dx = (g[0].lon - c.lon) * 111320 * Math.cos(c.lat * Math.PI / 180);
            if (dx * dx + dy * dy <= GROUP_M * GROUP_M) { found = g; return true; }
            return false;
          });
        }
      }
      if (found) {
        found.push(c);
      } else {
        var g = [c];
        groups.push(g);
        (grid[gx + ':' + gy] = grid[gx + ':' + gy] || []).push(g);
      }
    });
    function gap(a, taken) {
      var best = 360;
      taken.forEach(function (t) {
        var d = Math.abs(a - t) % 360;
        best = Math.min(best, d > 180 ? 360 - d : d);
      });
      return best;
    }
    groups.forEach(function (g) {
      if (g.length < 2) { return; }
      var taken = [], later = [], minGap = Math.max(60, 360 / g.length);
      g.forEach(function (c) {
        if (c.range && c.fov < 360 && gap(c.bearing, taken) >= minGap) {
          c.spread = c.bearing;
          taken.push(c.bearing);
        } else {
          later.push(c);
        }
      });
      later.forEach(function (c) {
        var best = 0, bestGap = -1;
        for (var a = 0; a < 360; a += 5) {
          var d = gap(a, taken);
          if (d > bestGap) { best = a; bestGap = d; }
        }
        c.spread = best;
        taken.push(best);
      });
      // Far enough out that neighbouring pins' centres stay CLEAR_PX apart (clickable).
      var least = 360;
      for (var i = 0; i < g.length; i++) {
        for (var j = i + 1; j < g.length; j++) {
          least = Math.min(least, gap(g[i].spread, [g[j].spread]));
        }
      }
      var radius = Math.min(40, Math.max(SPREAD_PX,
        CLEAR_PX / (2 * Math.sin(Math.max(least, 5) * Math.PI / 360))));
      g.forEach(function (c) {
        var r = c.spread * Math.PI / 180;
        c.dx = Math.round(Math.sin(r) * radius);
        c.dy = Math.round(-Math.cos(r) * radius);
      });
    });
  }

  // Camera pins are drawn into canvas tiles (a Leaflet GridLayer), not as 10,000 Leaflet
  // layers: a pan draws only the tiles that come into view, a state change redraws only the
  // tiles its pin touches, and a pin is found under the pointer through the same buckets.
  var PIN_R = 6, PIN_W = 2, PIN_HIT = 10, PIN_MARGIN = 10, TILE = 256;
  var pinIndexes = {}, pinSprites = {}, pinLayer = null, pinRedraw = null, pinHover = null;

  function pinShown(c) {
    return map.hasLayer(c.police ? layers.police : layers['private']);
  }
  function pinColours(c) {
    return {fill: STATE_COLOURS[c.state] || STATE_COLOURS.idle,
            stroke: c.police ? POLICE_STROKE : PRIVATE_STROKE,
            shape: c.police ? 'circle' : 'square'};
  }
  // The keys ("x:y") of the tiles a pin at pixel (x, y) touches, with its margin.
  function tilesTouched(x, y, each) {
    var tx1 = Math.floor((x + PIN_MARGIN) / TILE), ty1 = Math.floor((y + PIN_MARGIN) / TILE);
    for (var tx = Math.floor((x - PIN_MARGIN) / TILE); tx <= tx1; tx++) {
      for (var ty = Math.floor((y - PIN_MARGIN) / TILE); ty <= ty1; ty++) { each(tx + ':' + ty); }
    }
  }
  // Each camera's pixel point at zoom z, and which tiles (with a margin) it touches.
  function pinIndex(z) {
    var ix = pinIndexes[z];
    if (ix) { return ix; }
    var n = cams.length, xs = new Float64Array(n), ys = new Float64Array(n), buckets = {};
    for (var i = 0; i < n; i++) {
      var c = cams[i], p = map.project([c.lat, c.lon], z);
      xs[i] = p.x + (c.dx || 0);
      ys[i] = p.y + (c.dy || 0);
      tilesTouched(xs[i], ys[i], function (k) { (buckets[k] || (buckets[k] = [])).push(i); });
    }
    return (pinIndexes[z] = {xs: xs, ys: ys, buckets: buckets});
  }
  function pinSprite(c, dpr) {
    var col = pinColours(c), key = col.shape + col.stroke + col.fill + dpr;
    var sp = pinSprites[key];
    if (sp) { return sp; }
    var half = PIN_R + PIN_W, size = Math.ceil((2 * half + 2) * dpr);
    var cv = document.createElement('canvas');
    cv.width = cv.height = size;
    var ctx = cv.getContext('2d');
    ctx.scale(dpr, dpr);
    ctx.translate(half + 1, half + 1);
    ctx.beginPath();
    if (col.shape === 'square') { ctx.rect(-PIN_R, -PIN_R, 2 * PIN_R, 2 * PIN_R); }
    else { ctx.arc(0, 0, PIN_R, 0, Math.PI * 2, false); }
    ctx.fillStyle = col.fill;
    ctx.fill();
    ctx.lineWidth = PIN_W;
    ctx.strokeStyle = col.stroke;
    ctx.stroke();
    return (pinSprites[key] = {canvas: cv, half: half + 1});
  }
  function drawPinTile(tile, coords) {
    var dpr = window.devicePixelRatio || 1, ix = pinIndex(coords.z);
    if (tile.width !== TILE * dpr) { tile.width = tile.height = TILE * dpr; }
    var ctx = tile.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, tile.width, tile.height);
    var list = (ix.buckets[coords.x + ':' + coords.y] || []).filter(function (i) {
      return pinShown(cams[i]);
    });
    // Cameras on the wall are drawn over the others.
    list.sort(function (a, b) {
      return ((cams[a].state !== 'idle') - (cams[b].state !== 'idle')) || a - b;
    });
    var ox = coords.x * TILE, oy = coords.y * TILE;
    list.forEach(function (i) {
      var sp = pinSprite(cams[i], dpr);
      ctx.drawImage(sp.canvas, Math.round((ix.xs[i] - ox - sp.half) * dpr),
                    Math.round((ix.ys[i] - oy - sp.half) * dpr));
    });
    tile.nazarDrawn = list;
  }
  function redrawPins(ids) {
    if (!pinLayer || !pinLayer._map) { return; }
    var z = pinLayer._tileZoom, keys = null;
    if (ids) {
      var ix = pinIndex(z);
      keys = {};
      ids.forEach(function (i) {
        tilesTouched(ix.xs[i], ix.ys[i], function (k) { keys[k] = true; });
      });
    }
    Object.keys(pinLayer._tiles).forEach(function (k) {
      var t = pinLayer._tiles[k];
      if (t.coords.z === z && (!keys || keys[t.coords.x + ':' + t.coords.y])) {
        drawPinTile(t.el, t.coords);
      }
    });
  }
  // Redraws are gathered into one per animation frame.
  function redrawPinsSoon(ids) {
    if (!pinRedraw) {
      pinRedraw = {all: false, ids: {}};
      L.Util.requestAnimFrame(function () {
        var r = pinRedraw;
        pinRedraw = null;
        redrawPins(r.all ? null : Object.keys(r.ids).map(Number));
      });
    }
    if (ids) { ids.forEach(function (i) { pinRedraw.ids[i] = true; }); } else { pinRedraw.all = true; }
  }
  // The camera whose pin is under a point of the map's container (the one drawn on top).
  function pinAt(containerPoint) {
    var z = map.getZoom();
    if (z !== Math.round(z) || !pinLayer) { return null; }
    var ix = pinIndex(z);
    var p = map.containerPointToLayerPoint(containerPoint).add(map.getPixelOrigin());
    var list = ix.buckets[Math.floor(p.x / TILE) + ':' + Math.floor(p.y / TILE)] || [];
    var best = null, bestKey = null;
    list.forEach(function (i) {
      var c = cams[i], dx = ix.xs[i] - p.x, dy = ix.ys[i] - p.y, d2 = dx * dx + dy * dy;
      if (d2 > PIN_HIT * PIN_HIT || !pinShown(c)) { return; }
      var key = [c.state !== 'idle' ? 0 : 1, d2, -i];
      if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] &&
          (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
        best = c;
        bestKey = key;
      }
    });
    return best;
  }

  function addPins() {
    // The two groups stay empty: each one on the map means "show these pins".
    layers.police = L.layerGroup();
    layers['private'] = L.layerGroup();
    var PinLayer = L.GridLayer.extend({
      createTile: function (coords) {
        var t = L.DomUtil.create('canvas', 'leaflet-tile nz-pin-tile');
        drawPinTile(t, coords);
        return t;
      }
    });
    pinLayer = new PinLayer({pane: 'nazarPins', tileSize: TILE, updateWhenIdle: false,
                             updateWhenZooming: false, keepBuffer: 2, minZoom: 0, maxZoom: 22,
                             noWrap: true});
    map.on('layeradd layerremove', function (e) {
      if (e.layer === layers.police || e.layer === layers['private']) { redrawPinsSoon(null); }
    });
    // Pins come before the areas and sites under them: listened to on the way down.
    var box = map.getContainer();
    function ours(e) {
      return e.button === 0 && !e.shiftKey && !drawMode && !(map.dragging && map.dragging.moved()) &&
        (e.target === box || box.querySelector('.leaflet-map-pane').contains(e.target));
    }
    box.addEventListener('click', function (e) {
      if (!ours(e)) { return; }
      var c = pinAt(map.mouseEventToContainerPoint(e));
      if (c) { e.stopPropagation(); e.preventDefault(); selectCamera(c.id, false); }
    }, true);
    box.addEventListener('dblclick', function (e) {
      if (!ours(e)) { return; }
      var c = pinAt(map.mouseEventToContainerPoint(e));
      if (c) { e.stopPropagation(); e.preventDefault(); openCamera(c.id); }
    }, true);
    box.addEventListener('mousemove', function (e) {
      var c = drawStart ? null : pinAt(map.mouseEventToContainerPoint(e));
      if (c === pinHover) { return; }
      pinHover = c;
      L.DomUtil[c ? 'addClass' : 'removeClass'](box, 'nz-over-pin');
      if (c) { showTip([c.lat, c.lon], camTip(c)); } else { hideTip(); }
    }, true);
    map.on('zoomstart', function () { pinHover = null; hideTip(); });
  }

  function camTip(c) {
    return el('div', 'nz-tip', [
      el('div', 'nz-tip-name', [c.name]),
      el('div', 'nz-tip-sub', [c.id + ' · ' + (c.police ? 'police' : 'private') + ' · ' +
                               (STATE_TEXT[c.state] || c.state)])
    ]);
  }

  function showTip(latlng, content) {
    tip.setLatLng(latlng).setContent(content);
    if (!map.hasLayer(tip)) { tip.addTo(map); }
  }
  function hideTip() { if (tip && map.hasLayer(tip)) { map.removeLayer(tip); } }

  // ------------------------------------------------------------------------------------------
  // Cards
  // ------------------------------------------------------------------------------------------
  // A card opened by a click waits out the double-click time: opening (and panning the map
  // to show it) at once would move the pin from under the second click.
  var DOUBLE_CLICK_MS = 350, cardTimer = null;
  function cardLater(latlng, makeContent) {
    clearTimeout(cardTimer);
    cardTimer = setTimeout(function () { cardTimer = null; openCard(latlng, makeContent()); },
                           DOUBLE_CLICK_MS);
  }
  function cancelCard() { clearTimeout(cardTimer); cardTimer = null; }

  function openCard(latlng, content) {
    L.popup({maxWidth: 320, minWidth: 220, autoPanPadding: [10, 10], className: 'nz-popup'})
      .setLatLng(latlng).setContent(content).openOn(map);
  }

  function cameraCard(c) {
    var st = data.stations[c.station], site = c.site >= 0 ? data.sites[c.site] : null;
    var rec = c.recorder >= 0 ? data.recorders[c.recorder] : null;
    var recText = rec ? [rec[0], rec[2]].filter(Boolean).join(', ') : '';
    return el('div', 'nz-card nz-card-camera', [
      el('div', 'nz-title', [c.name]),
      el('div', 'nz-subtitle', [(c.police ? 'Police camera' : 'Private camera') + ' · ' + c.id +
                                ' · No. ' + c.number]),
      row('State', STATE_TEXT[c.state] || c.state),
      row('Site', site ? site.name : ''),
      row('Police station', st ? st.label : ''),
      row('Floor', c.floor),
      row('Coverage', c.range ? (c.fov >= 360 ? 'all round' : 'bearing ' + c.bearing + '°, ' +
                                 c.fov + '° wide') + ', ' + c.range + ' m' : ''),
      row('Recorder', recText),
      row('Retention', rec ? rec[1] + ' days' : ''),
      el('div', 'nz-actions', [button('Open on wall', 'open', function () { openCamera(c.id); })])
    ]);
  }

  function siteCard(i) {
    var s = data.sites[i], st = data.stations[s.station];
    return el('div', 'nz-card nz-card-site', [
      el('div', 'nz-title', [s.name]),
      el('div', 'nz-subtitle', [safeKind(s.kind).replace('_', ' ') + ' · ' + s.cameras +
                                (s.cameras === 1 ? ' camera' : ' cameras')]),
      row('Owner', s.owner),
      row('24x7 contact', s.contact + (s.phone ? ', ' + s.phone : '')),
      row('Recorder', s.recorder),
      row('Retention', s.retention !== null ? s.retention + ' days' : ''),
      row('Address', s.address),
      row('Police station', st ? st.label : ''),
      el('div', 'nz-actions', [button('Show its cameras on the wall', 'pick-site',
                                      function () { pickArea('site', s.id); })])
    ]);
  }

  function stationCard(i) {
    var s = data.stations[i], d = data.divisions[s.division];
    var n = s.police + s['private'];
    var alsoHere = [];
    data.stations.forEach(function (o) {
      if (o.sameAs === i) {
        alsoHere.push(row('Also here', o.label + (o.phone ? ', ' + o.phone : '')));
        alsoHere.push(el('div', 'nz-actions', [button(
          'Show ' + (o.police + o['private']) + ' cameras of ' + o.label,
          'pick-station-also', function () { pickArea('station', o.id); })]));
      }
    });
    return el('div', 'nz-card nz-card-station', [
      el('div', 'nz-title', [s.label]),
      el('div', 'nz-subtitle', [(d ? d.title + ' · ' : '') + s.police + ' police, ' +
                                s['private'] + ' private cameras']),
      row('Phone', s.phone),
      el('div', 'nz-note', ['Area shown is approximate (nearest police station), ' +
                            'not the official boundary.']),
      el('div', 'nz-actions', [
        button('Show ' + n + ' cameras on the wall', 'pick-station',
               function () { pickArea('station', s.id); }),
        d ? button('Whole ' + d.name + ' Division (' + d.cameras + ')', 'pick-division',
                   function () { pickArea('division', d.id); }) : null
      ])
    ].concat(alsoHere));
  }

  // ------------------------------------------------------------------------------------------
  // Actions that reach Python
  // ------------------------------------------------------------------------------------------
  function openCamera(id) {
    if (!camById[id]) { return; }
    cancelCard();
    setHighlight(id, false);
    call('openCamera', id);
  }

  function selectCamera(id, pan) {
    if (!camById[id]) { return; }
    setHighlight(id, pan);
    cardLater([camById[id].lat, camById[id].lon], function () { return cameraCard(camById[id]); });
    call('selectCamera', id);
  }

  function pickArea(kind, id) {
    map.closePopup();
    showArea(kind, id, false);
    call('pickArea', kind, id);
  }

  // Raise an incident: Ctrl+double-click on the map (a point) or on a site, or the map's
  // context menu. Python opens the raise dialog with the place filled in; Enter raises.
  function raiseAt(latlng) {
    map.closePopup();
    call('raiseAt', latlng.lat, latlng.lng);
  }
  function raiseAtSite(i) {
    map.closePopup();
    call('raiseAtSite', data.sites[i].id);
  }
  function raiseMenu(e) {
    L.DomEvent.stop(e);
    L.popup({className: 'nz-popup', closeButton: true})
      .setLatLng(e.latlng)
      .setContent(el('div', 'nz-actions', [
        button('Raise an incident here', 'raise-here', function () { raiseAt(e.latlng); }),
        button('Copy coordinates', 'copy-coordinates', function () {
          map.closePopup();
          call('copyCoordinates', e.latlng.lat, e.latlng.lng);
        })]))
      .openOn(map);
  }

  // The coordinates under the pointer, always shown; a click on them copies them.
  var cursorAt = null;
  function coordsText(ll) { return ll.lat.toFixed(5) + ', ' + ll.lng.toFixed(5); }
  function addCursorCoordinates() {
    var Coords = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var box = el('div', 'leaflet-bar nz-coords', ['lat, lon']);
        box.title = 'Coordinates under the pointer (click: copy them)';
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.on(box, 'click', function (e) {
          L.DomEvent.stop(e);
          if (cursorAt) { call('copyCoordinates', cursorAt.lat, cursorAt.lng); }
        });
        return box;
      }
    });
    var control = new Coords().addTo(map), pendingFrame = false;
    map.on('mousemove', function (e) {
      cursorAt = e.latlng;
      if (pendingFrame) { return; }
      pendingFrame = true;
      L.Util.requestAnimFrame(function () {
        pendingFrame = false;
        control.getContainer().textContent = coordsText(cursorAt);
      });
    });
  }
  Nazar.cursorCoordinates = function () {
    var box = document.querySelector('.nz-coords');
    return box ? box.textContent : null;
  };

  // ------------------------------------------------------------------------------------------
  // The incident: its point, uncertainty circle and search radius, and the cones of the
  // cameras chosen for it, coloured by their reason (the same chip text as on the tiles)
  // ------------------------------------------------------------------------------------------
  var TIER_COLOURS = {1: '#d32f2f', 2: '#8e24aa', 3: '#f08c00', 4: '#607d8b'};
  var incident = null;

  Nazar.showIncident = function (inc) {
    Nazar.clearIncident();
    var g = L.layerGroup(), pt = [inc.lat, inc.lon], cones = 0;
    g.addLayer(L.circle(pt, {renderer: renderers.highlight, radius: inc.radius, color: '#d32f2f',
                             weight: 2, dashArray: '8 6', fill: false, interactive: false}));
    if (inc.uncertainty > 0) {
      g.addLayer(L.circle(pt, {renderer: renderers.highlight, radius: inc.uncertainty,
                               color: '#ff9800', weight: 1.5, fillColor: '#ff9800',
                               fillOpacity: 0.12, interactive: false}));
    }
    inc.picks.forEach(function (p) {
      var c = camById[p.id];
      if (!c) { return; }
      var colour = TIER_COLOURS[p.tier] || TIER_COLOURS[4];
      if (c.bearing !== null && c.fov !== null && c.range !== null) {
        g.addLayer(L.polygon(conePoints(c), {renderer: renderers.highlight, color: colour,
                                             weight: 1.5, fillColor: colour, fillOpacity: 0.28,
                                             interactive: false}));
        cones += 1;
      }
      g.addLayer(L.circleMarker([c.lat, c.lon], {renderer: renderers.highlight, radius: 7,
                                                  weight: 3, color: colour, fill: false})
        .bindTooltip(el('span', null, [c.name + ' · ' + p.chip]), {direction: 'top'}));
    });
    g.addLayer(L.circleMarker(pt, {renderer: renderers.highlight, radius: 10, weight: 3,
                                   color: '#ffffff', fillColor: '#d32f2f', fillOpacity: 1})
      .bindTooltip(el('span', null, [inc.label]), {permanent: true, direction: 'right',
                                                   className: 'nz-incident-label'}));
    g.addTo(map);
    incident = {layer: g, cones: cones, picks: inc.picks.length, label: inc.label,
                radius: inc.radius};
    if (Nazar.stopAutoFit) { Nazar.stopAutoFit(); }
    map.fitBounds(L.latLng(pt).toBounds(Math.max(inc.radius, inc.uncertainty || 0) * 2.4),
                  {animate: false});
    return cones;
  };
  Nazar.clearIncident = function () {
    if (incident) { map.removeLayer(incident.layer); }
    incident = null;
  };
  Nazar.incidentShown = function () {
    return incident ? {cones: incident.cones, picks: incident.picks, label: incident.label,
                       radius: incident.radius} : null;
  };

  // ------------------------------------------------------------------------------------------
  // Highlight and areas
  // ------------------------------------------------------------------------------------------
  function setHighlight(id, pan) {
    highlighted = camById[id] ? id : null;
    if (highlightLayer) { map.removeLayer(highlightLayer); highlightLayer = null; }
    if (!highlighted) { return; }
    var c = camById[id];
    var off = {dx: c.dx || 0, dy: c.dy || 0};
    highlightLayer = L.layerGroup([
      new Pin([c.lat, c.lon], L.extend({renderer: renderers.highlight, radius: 13, weight: 4,
                                        color: '#ffd400', fill: false, interactive: false}, off)),
      new Pin([c.lat, c.lon], L.extend({renderer: renderers.highlight, radius: 16, weight: 1.5,
                                        color: '#222', fill: false, interactive: false}, off))
    ]).addTo(map);
    if (pan && !map.getBounds().pad(-0.1).contains([c.lat, c.lon])) {
      map.panTo([c.lat, c.lon]);
    }
  }

  function areaLatLngs(kind, id) {
    var i;
    if (kind === 'division') {
      for (i = 0; i < data.divisions.length; i++) {
        if (data.divisions[i].id === id) { return data.divisions[i].rings; }
      }
    } else if (kind === 'station') {
      for (i = 0; i < data.stations.length; i++) {
        if (data.stations[i].id === id) { return [data.stations[i].cell]; }
      }
    } else if (kind === 'site') {
      for (i = 0; i < data.sites.length; i++) {
        if (data.sites[i].id === id) {
          var pts = cams.filter(function (c) { return c.site === i; })
            .map(function (c) { return [c.lat, c.lon]; });
          pts.push(data.sites[i].loc);
          return pts;
        }
      }
    }
    return null;
  }

  function showArea(kind, id, fit) {
    if (areaOutline) { map.removeLayer(areaOutline); areaOutline = null; }
    var lls = areaLatLngs(kind, id);
    if (!lls || !lls.length) { return false; }
    if (kind === 'site') {
      var b = L.latLngBounds(lls).pad(0.3);
      areaOutline = L.rectangle(b, {renderer: renderers.highlight, color: '#ffd400', weight: 3,
                                    fill: false, dashArray: '6 4', interactive: false});
    } else {
      areaOutline = L.polygon(lls, {renderer: renderers.highlight, color: '#ffd400', weight: 3,
                                    fill: false, interactive: false});
    }
    areaOutline.addTo(map);
    if (fit) { map.fitBounds(areaOutline.getBounds(), {padding: [20, 20], maxZoom: 17}); }
    return true;
  }

  function addAreas() {
    layers.divisions = L.layerGroup();
    layers.stations = L.layerGroup();
    layers.labels = L.layerGroup();
    data.divisions.forEach(function (d) {
      if (!d.rings.length) { return; }
      layers.divisions.addLayer(L.polygon(d.rings, {
        renderer: renderers.areas, color: '#5b6470', weight: 2.5, opacity: 0.9,
        fillColor: d.colour, fillOpacity: data.basemap.kind === 'builtin' ? 0.85 : (data.basemap.kind === 'vector' ? 0.1 : 0.25),
        interactive: false}));
      if (d.label) {
        layers.labels.addLayer(L.marker(d.label, {
          pane: 'nazarLabels', interactive: false, keyboard: false,
          icon: L.divIcon({className: 'nz-label-div', iconSize: null,
                           html: el('span', null, [d.name])})}));
      }
    });
    data.stations.forEach(function (s) {
      if (s.sameAs >= 0) { return; } // shares the area, dot and label of an earlier station
      if (s.cell.length >= 3) {
        layers.stations.addLayer(L.polygon(s.cell, {
          renderer: renderers.areas, color: '#7d8793', weight: 1, opacity: 0.9,
          dashArray: '4 3', fill: false, interactive: false}));
      }
      if (s.loc) {
        layers.stations.addLayer(L.circleMarker(s.loc, {
          renderer: renderers.areas, radius: 3, weight: 1, color: '#333',
          fillColor: '#333', fillOpacity: 1, interactive: false}));
        layers.labels.addLayer(L.marker(s.loc, {
          pane: 'nazarLabels', interactive: false, keyboard: false,
          icon: L.divIcon({className: 'nz-label-st', iconSize: null,
                           html: el('span', null, [s.label])})}));
      }
    });
  }

  function addSites() {
    layers.sites = L.featureGroup();
    data.sites.forEach(function (s, i) {
      var m = new Pin(s.loc, {renderer: renderers.pins, radius: 11, weight: 2, color: '#fff',
                              fillColor: '#7a2a8c', fillOpacity: 0.85, shape: 'site',
                              bubblingMouseEvents: false});
      m.nazarSite = i;
      layers.sites.addLayer(m);
    });
    layers.sites.on('click', function (e) {
      L.DomEvent.stop(e);
      var i = e.layer.nazarSite;
      cardLater(data.sites[i].loc, function () { return siteCard(i); });
    });
    layers.sites.on('dblclick', function (e) {
      L.DomEvent.stop(e);
      cancelCard();
      if (e.originalEvent.ctrlKey) { raiseAtSite(e.layer.nazarSite); }
    });
    layers.sites.on('mouseover', function (e) {
      var s = data.sites[e.layer.nazarSite];
      showTip(s.loc, el('div', 'nz-tip', [el('div', 'nz-tip-name', [s.name]),
        el('div', 'nz-tip-sub', [safeKind(s.kind).replace('_', ' ') + ' · ' + s.cameras +
                                 ' cameras'])]));
    });
    layers.sites.on('mouseout', hideTip);
  }

  // Coverage cones: only for the cameras in view, and only when there are not too many.
  // Cones already drawn stay (a pan adds the new ones and drops those far out of view).
  var coneOf = {};
  function updateCones() {
    var g = layers.coverage;
    if (!map.hasLayer(g)) { return; }
    var b = map.getBounds().pad(0.3), inView = [];
    for (var i = 0; i < cams.length; i++) {
      var c = cams[i];
      if (c.range && b.contains([c.lat, c.lon]) && layerShown(c)) { inView.push(c); }
    }
    var note = document.querySelector('.nz-cone-note');
    if (note) { note.style.display = inView.length > CONE_LIMIT ? '' : 'none'; }
    if (inView.length > CONE_LIMIT) { g.clearLayers(); coneOf = {}; return; }
    var wanted = {};
    inView.forEach(function (c) {
      wanted[c.id] = true;
      if (!coneOf[c.id]) {
        coneOf[c.id] = L.polygon(conePoints(c), {
          renderer: renderers.cones, weight: 1, opacity: 0.7, fillOpacity: 0.18,
          color: c.police ? '#2f5fb3' : '#9b3fb0', interactive: false});
        g.addLayer(coneOf[c.id]);
      }
    });
    Object.keys(coneOf).forEach(function (id) {
      if (!wanted[id]) { g.removeLayer(coneOf[id]); delete coneOf[id]; }
    });
  }

  function layerShown(c) { return pinShown(c); }

  // ------------------------------------------------------------------------------------------
  // Controls: layers, legend, area drawing, notes
  // ------------------------------------------------------------------------------------------
  var LAYER_NAMES = [
    ['police', 'Police cameras'], ['private', 'Private cameras'], ['coverage', 'Coverage'],
    ['sites', 'Sites'], ['stations', 'Police-station areas (approx.)'],
    ['divisions', 'Division areas (approx.)'], ['labels', 'Area names']
  ];

  // A box that shows only its title until clicked (the dock is narrow).
  function toggleTitle(box, text) {
    var t = el('a', 'nz-box-title', [text]);
    t.href = '#';
    t.setAttribute('role', 'button');
    L.DomEvent.on(t, 'click', function (e) {
      L.DomEvent.stop(e);
      box.classList.toggle('nz-collapsed');
    });
    return t;
  }

  function addControls() {
    var LayersBox = L.Control.extend({
      options: {position: 'topright'},
      onAdd: function () {
        var box = el('div', 'nz-box nz-layers nz-collapsed');
        box.appendChild(toggleTitle(box, 'Layers'));
        LAYER_NAMES.forEach(function (pair) {
          var cb = el('input');
          cb.type = 'checkbox';
          cb.checked = map.hasLayer(layers[pair[0]]);
          cb.setAttribute('data-layer', pair[0]);
          cb.addEventListener('change', function () { Nazar.setLayer(pair[0], cb.checked); });
          box.appendChild(el('label', 'nz-layer', [cb, ' ' + pair[1]]));
        });
        var note = el('div', 'nz-cone-note', ['Zoom in to see coverage cones']);
        note.style.display = 'none';
        box.appendChild(note);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    new LayersBox().addTo(map);

    var Legend = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var box = el('div', 'nz-box nz-legend nz-collapsed');
        box.appendChild(toggleTitle(box, 'Legend'));
        function swatch(shape, stroke, fill, text) {
          var s = el('span', 'nz-swatch nz-swatch-' + shape);
          s.style.borderColor = stroke;
          s.style.background = fill;
          return el('div', 'nz-legend-row', [s, ' ' + text]);
        }
        box.appendChild(swatch('circle', POLICE_STROKE, '#fff', 'police camera'));
        box.appendChild(swatch('square', PRIVATE_STROKE, '#fff', 'private camera'));
        box.appendChild(swatch('diamond', '#fff', '#7a2a8c', 'site'));
        [['live', 'live'], ['stalled', 'stalled'], ['reconnecting', 'reconnecting'],
         ['offline', 'offline / error'], ['idle', 'not on the wall']].forEach(function (p) {
          box.appendChild(swatch('circle', '#555', STATE_COLOURS[p[0]], p[1]));
        });
        if (data.basemap.kind === 'builtin') {
          box.appendChild(el('div', 'nz-note', ['Areas are approximate: nearest police ' +
                                                'station, not official boundaries.']));
        }
        if (data.basemap.note) { box.appendChild(el('div', 'nz-warn', [data.basemap.note])); }
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    new Legend().addTo(map);

    var DrawButton = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var b = el('a', 'nz-draw', ['▭']);
        b.href = '#';
        b.title = 'Select an area: drag a rectangle (or Shift+drag any time)';
        b.setAttribute('role', 'button');
        L.DomEvent.on(b, 'click', function (e) { L.DomEvent.stop(e); Nazar.setDrawMode(!drawMode); });
        var box = el('div', 'leaflet-bar', [b]);
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    new DrawButton().addTo(map);

    var Attribution = L.Control.extend({
      options: {position: 'bottomright'},
      onAdd: function () {
        var text = 'Leaflet';
        if (data.basemap.attribution) { text += ' | ' + data.basemap.attribution; }
        if (data.basemap.kind === 'builtin') { text += ' | built-in offline basemap'; }
        return el('div', 'leaflet-control-attribution nz-attribution', [text]);
      }
    });
    new Attribution().addTo(map);
  }

  // Rectangle selection: in draw mode, or with Shift held.
  function onDown(e) {
    if (!(drawMode || e.originalEvent.shiftKey) || e.originalEvent.button !== 0) { return; }
    drawStart = e.latlng;
    map.dragging.disable();
    if (drawRect) { map.removeLayer(drawRect); }
    drawRect = L.rectangle([drawStart, drawStart], {
      renderer: renderers.highlight, color: '#ffd400', weight: 2, dashArray: '5 4',
      fillOpacity: 0.08, interactive: false}).addTo(map);
  }
  function onMove(e) {
    if (drawStart) { drawRect.setBounds(L.latLngBounds(drawStart, e.latlng)); }
  }
  function onUp(e) {
    if (!drawStart) { return; }
    var b = L.latLngBounds(drawStart, e.latlng);
    drawStart = null;
    map.dragging.enable();
    Nazar.setDrawMode(false);
    var p0 = map.latLngToContainerPoint(b.getSouthWest());
    var p1 = map.latLngToContainerPoint(b.getNorthEast());
    if (Math.abs(p1.x - p0.x) < 4 || Math.abs(p1.y - p0.y) < 4) {
      map.removeLayer(drawRect);
      drawRect = null;
      return;
    }
    drawRect.setStyle({dashArray: null});
    call('pickRect', b.getSouth(), b.getWest(), b.getNorth(), b.getEast());
  }

  function onMapClick(e) {
    if (!map.hasLayer(layers.stations) && !map.hasLayer(layers.divisions)) { return; }
    for (var i = 0; i < data.stations.length; i++) {
      var s = data.stations[i];
      if (s.sameAs < 0 && s.cell.length >= 3 && pointInRing(e.latlng.lat, e.latlng.lng, s.cell)) {
        var at = e.latlng, idx = i;
        cardLater(at, function () { return stationCard(idx); });
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // The API Python calls (through app.mapdata.js_call)
  // ------------------------------------------------------------------------------------------
  Nazar.setStates = function (states) {
    var changed = [];
    Object.keys(states).forEach(function (id) {
      var c = camById[id];
      if (!c) { return; }
      var state = STATE_COLOURS[states[id]] ? states[id] : 'idle';
      if (state !== c.state) { c.state = state; changed.push(c.index); }
    });
    if (changed.length) { redrawPinsSoon(changed); }
  };

  Nazar.highlight = function (id, pan) { setHighlight(id, !!pan); return highlighted; };
  Nazar.highlighted = function () { return highlighted; };

  Nazar.focusCamera = function (id) {
    var c = camById[id];
    if (!c) { return false; }
    map.setView([c.lat, c.lon], Math.max(map.getZoom(), 17), {animate: false});
    setHighlight(id, false);
    openCard([c.lat, c.lon], cameraCard(c));
    return true;
  };

  Nazar.showArea = function (kind, id) { map.closePopup(); return showArea(kind, id, true); };

  Nazar.openSiteCard = function (id) {
    for (var i = 0; i < data.sites.length; i++) {
      if (data.sites[i].id === id) { openCard(data.sites[i].loc, siteCard(i)); return true; }
    }
    return false;
  };

  Nazar.setDrawMode = function (on) {
    drawMode = !!on;
    L.DomUtil[drawMode ? 'addClass' : 'removeClass'](map.getContainer(), 'nz-drawing');
    var b = document.querySelector('.nz-draw');
    if (b) { L.DomUtil[drawMode ? 'addClass' : 'removeClass'](b, 'nz-active'); }
    return drawMode;
  };

  Nazar.setLayer = function (name, on) {
    var g = layers[name];
    if (!g) { return false; }
    if (on && !map.hasLayer(g)) {
      g.addTo(map);
      if (name === 'sites') { g.eachLayer(function (l) { l.bringToBack(); }); }
      if (name === 'coverage') { updateCones(); }
    } else if (!on && map.hasLayer(g)) {
      map.removeLayer(g);
    }
    if ((name === 'police' || name === 'private') && map.hasLayer(layers.coverage)) {
      updateCones();
    }
    var cb = document.querySelector('input[data-layer="' + name + '"]');
    if (cb) { cb.checked = map.hasLayer(g); }
    return map.hasLayer(g);
  };

  Nazar.layerShown = function (name) { return !!layers[name] && map.hasLayer(layers[name]); };

  // For tests and the benchmark: where a pin is on the screen, and what is drawn.
  Nazar.pinPoint = function (id) {
    var c = camById[id];
    if (!c) { return null; }
    var p = map.latLngToContainerPoint([c.lat, c.lon]).add([c.dx || 0, c.dy || 0]);
    return [p.x, p.y];
  };
  Nazar.cameraPoints = function () { // where each camera is (not its pin), in the view
    var out = {};
    cams.forEach(function (c) {
      var p = map.latLngToContainerPoint([c.lat, c.lon]);
      out[c.id] = [p.x, p.y];
    });
    return out;
  };
  Nazar.pinCount = function () { return cams.length; };
  Nazar.drawnPins = function () { // cameras painted in the tiles of the current zoom
    var seen = {}, n = 0;
    if (!pinLayer || !pinLayer._map) { return 0; }
    Object.keys(pinLayer._tiles).forEach(function (k) {
      var t = pinLayer._tiles[k];
      if (t.coords.z !== pinLayer._tileZoom) { return; }
      (t.el.nazarDrawn || []).forEach(function (i) { if (!seen[i]) { seen[i] = true; n++; } });
    });
    return n;
  };
  Nazar.pinAt = function (x, y) { var c = pinAt(L.point(x, y)); return c ? c.id : null; };
  Nazar.pinStyle = function (id) {
    var c = camById[id];
    if (!c) { return null; }
    var col = pinColours(c);
    return {fill: col.fill, stroke: col.stroke, shape: col.shape, state: c.state};
  };
  Nazar.basemapStats = function () {
    var b = layers.basemap, pending = 0;
    if (b && b._tiles) {
      Object.keys(b._tiles).forEach(function (k) { if (!b._tiles[k].loaded) { pending++; } });
    }
    return {kind: data.basemap.kind, painted: basemapStats.painted, labels: basemapStats.labels,
            tilesDrawn: basemapStats.tilesDrawn, pending: pending,
            obstacles: basemapStats.obstacles || 0};
  };
  Nazar.coneCount = function () { return layers.coverage.getLayers().length; };
  Nazar.map = function () { return map; };

  // ------------------------------------------------------------------------------------------
  // Start
  // ------------------------------------------------------------------------------------------
  var basemapStats = {painted: {}, labels: {}, tilesDrawn: 0};
  // The division and station names (DOM labels over the map) come first: the basemap's
  // labeller sees each one as an obstacle at every zoom, so street and place names are placed
  // around them instead of under them.
  function keepAreaLabelsClear(layer) {
    var labelers = layer.labelers, add = labelers.add;
    function obstacles(index, z) {
      layers.labels.eachLayer(function (m) {
        var span = m._icon && m._icon.firstChild;
        if (!span) { return; }
        if (!m.nazarBox) {
          if (!span.offsetWidth) { return; } // not shown at this zoom (station names < 13)
          var r = span.getBoundingClientRect(), a = m._icon.getBoundingClientRect();
          m.nazarBox = [r.left - a.left, r.top - a.top, r.width, r.height];
          m.nazarMinZoom = m._icon.classList.contains('nz-label-st') ? 13 : 0;
        }
        if (z < m.nazarMinZoom) { return; }
        var p = map.project(m.getLatLng(), z), b = m.nazarBox;
        var box = {minX: p.x + b[0] - 2, minY: p.y + b[1] - 2,
                   maxX: p.x + b[0] + b[2] + 2, maxY: p.y + b[1] + b[3] + 2};
        index.insert({anchor: {x: p.x, y: p.y}, bboxes: [box], draw: function () {}}, -1,
                     '0:0:0:nazar-areas');
      });
      basemapStats.obstacles = index.current.get('0:0:0:nazar-areas').size;
    }
    labelers.add = function (z, tiles) {
      if (!labelers.labelers.has(z)) {
        add.call(labelers, z, new Map());
        if (map.hasLayer(layers.labels)) { obstacles(labelers.getIndex(z), z); }
      }
      return add.call(labelers, z, tiles);
    };
  }
  function basemap() {
    var b = data.basemap;
    if (b.kind === 'vector') {
      layers.basemap = window.NazarBasemap.layer(b, basemapStats);
      keepAreaLabelsClear(layers.basemap);
      layers.basemap.addTo(map);
      // protomaps-leaflet calls done() when a tile is painted: counted for the tests.
      layers.basemap.on('tileload', function () { basemapStats.tilesDrawn++; });
      map.getContainer().style.background = window.NazarBasemap.colours.background;
    } else if (b.kind === 'tiles' || b.kind === 'mbtiles') {
      layers.basemap = L.tileLayer(b.url, {
        minZoom: 3, maxZoom: 20, maxNativeZoom: b.maxNativeZoom,
        attribution: '', crossOrigin: false}).addTo(map);
    }
  }

  Nazar.start = function (leafletMap, dataId) {
    status.startedMs = performance.now();
    extendLeaflet();
    map = leafletMap;
    data = JSON.parse(document.getElementById(dataId).textContent);
    Object.keys(data.styles).forEach(function (name) {
      STATE_COLOURS[name] = data.styles[name].colour;
      STATE_TEXT[name] = data.styles[name].meaning;
    });
    F = {};
    data.cameraFields.forEach(function (f, i) { F[f] = i; });
    cams = data.cameras.map(function (r) {
      var c = {};
      for (var k in F) { c[k] = r[F[k]]; }
      c.state = 'idle';
      return c;
    });
    cams.forEach(function (c, i) { camById[c.id] = c; c.index = i; });
    spreadGroups();

    map.getContainer().classList.add('nz-map', 'nz-basemap-' + data.basemap.kind);
    var panes = [['nazarAreas', 250], ['nazarCones', 380], ['nazarPins', 450],
                 ['nazarHighlight', 470], ['nazarLabels', 480]];
    panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    renderers.areas = L.canvas({pane: 'nazarAreas', padding: 0.3});
    renderers.cones = L.canvas({pane: 'nazarCones'});
    renderers.pins = L.canvas({pane: 'nazarPins', tolerance: 3});
    renderers.highlight = L.canvas({pane: 'nazarHighlight'});
    tip = L.tooltip({direction: 'top', offset: [0, -8], className: 'nz-tooltip'});

    // Fitted to the cameras until the operator moves the map (the dock may still be
    // resized while the page starts). Fitted first, so the layers are placed only once.
    var autoFit = !!data.fit;
    function fitHome() {
      if (autoFit) { map.fitBounds(data.fit, {padding: [10, 10], maxZoom: 17, animate: false}); }
    }
    fitHome();
    var t = performance.now();
    status.phases = {data: t - status.startedMs};
    basemap();
    addAreas();
    addSites();
    status.phases.areas = performance.now() - t;
    t = performance.now();
    addPins();
    layers.coverage = L.layerGroup();
    ['divisions', 'stations', 'labels', 'coverage', 'sites', 'police', 'private']
      .forEach(function (n) { layers[n].addTo(map); });
    pinLayer.addTo(map);
    status.phases.layers = performance.now() - t;
    addControls();
    addCursorCoordinates();
    map.on('resize', fitHome);
    ['mousedown', 'wheel', 'keydown', 'touchstart'].forEach(function (t) {
      map.getContainer().addEventListener(t, function () { autoFit = false; }, true);
    });
    Nazar.stopAutoFit = function () { autoFit = false; };
    updateCones();

    map.on('moveend zoomend', updateCones);
    map.on('zoomend', function () {
      L.DomUtil[map.getZoom() >= 13 ? 'addClass' : 'removeClass'](map.getContainer(), 'nz-z13');
    });
    map.fire('zoomend');
    map.on('mousedown', onDown);
    map.on('mousemove', onMove);
    map.on('mouseup', onUp);
    map.on('click', onMapClick);
    map.on('dblclick', function (e) { // a double-click on the map zooms; no card
      cancelCard();
      if (e.originalEvent.ctrlKey) { raiseAt(e.latlng); } // Ctrl+double-click: raise here
    });
    map.on('contextmenu', raiseMenu);
    L.DomEvent.on(document, 'keydown', function (e) {
      if (e.key === 'Escape') {
        Nazar.setDrawMode(false);
        if (drawStart) { drawStart = null; map.dragging.enable(); map.removeLayer(drawRect); }
      }
    });

    status.pins = Nazar.pinCount();
    connectBridge();
    call('pageReady', status.pins);
    // The canvas is painted in the next animation frame (Leaflet asked for it first).
    L.Util.requestAnimFrame(function () {
      status.drawnMs = performance.now();
      status.ready = true;
      call('pinsDrawn', status.pins, status.drawnMs - status.startedMs);
    });
  };
}());
