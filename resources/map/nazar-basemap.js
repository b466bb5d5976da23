/* Nazar's vector basemap style: a dark control-room map drawn by protomaps-leaflet (vendored,
 * global `protomapsL`) from tiles in Nazar's schema (resources/basemap/process.lua):
 * water, waterway, parks, rail, roads (kind major / medium / minor / path), buildings and
 * places, with names in English (name_en, else name) and Bengali (name_bn).
 *
 * NazarBasemap.layer(basemap, stats) returns the Leaflet layer; `stats` counts the features
 * painted per data layer and the labels placed (the tests and the benchmark read them).
 */
(function () {
  'use strict';
  var P = null;
  var C = {
    background: '#1b1f24', water: '#1f4466', waterLine: '#2a5a85', park: '#1f3527',
    building: '#2b3037', rail: '#6d727a', path: '#363c44', minor: '#3d434c', medium: '#5d6570',
    major: '#b08d4f', majorCasing: '#15181c', bridge: '#d9b36a', label: '#e4e7eb',
    labelMuted: '#aeb6bf', halo: '#111418', place: '#f2f2f2', landmark: '#ffd27a'
  };
  var FONT = 'Noto Sans, Noto Sans Bengali, DejaVu Sans, sans-serif';

  function counted(layer, symbolizer, stats) {
    return {
      before: symbolizer.before ? function (ctx, z) { symbolizer.before(ctx, z); } : undefined,
      draw: function (ctx, geom, z, f) {
        stats.painted[layer] = (stats.painted[layer] || 0) + 1;
        symbolizer.draw(ctx, geom, z, f);
      }
    };
  }
  function countedLabel(layer, symbolizer, stats) {
    return {
      place: function (layout, geom, f) {
        var placed = symbolizer.place(layout, geom, f);
        if (placed) { stats.labels[layer] = (stats.labels[layer] || 0) + 1; }
        return placed;
      }
    };
  }
  function kind() {
    var kinds = Array.prototype.slice.call(arguments);
    return function (z, f) { return kinds.indexOf(f.props.kind) >= 0; };
  }
  function bridge(z, f) { return !!f.props.bridge; }
  function english(z, f) { return ['name_en', 'name']; }
  function bengali(z, f) {
    // Bengali under the English name, unless the data has only one name.
    return f.props.name_bn && f.props.name_bn !== (f.props.name_en || f.props.name) ?
      ['name_bn'] : [];
  }

  function paintRules(stats) {
    function rule(layer, sym, filter, minzoom) {
      return {dataLayer: layer, symbolizer: counted(layer, sym, stats), filter: filter,
              minzoom: minzoom};
    }
    function width(stops) { return P.exp(1.6, stops); }
    return [
      rule('parks', new P.PolygonSymbolizer({fill: C.park})),
      rule('water', new P.PolygonSymbolizer({fill: C.water})),
      rule('waterway', new P.LineSymbolizer({color: C.waterLine,
                                             width: width([[9, 1], [14, 4], [18, 10]])})),
      rule('buildings', new P.PolygonSymbolizer({fill: C.building, opacity: 0.9}), null, 14),
      rule('roads', new P.LineSymbolizer({color: C.path, width: width([[15, 0.5], [18, 2]])}),
           kind('path'), 15),
      rule('roads', new P.LineSymbolizer({color: C.minor, width: width([[13, 0.6], [16, 3],
                                                                        [18, 8]])}),
           kind('minor'), 13),
      rule('rail', new P.LineSymbolizer({color: C.rail, dash: [3, 2],
                                         width: width([[10, 0.6], [16, 2]])})),
      rule('roads', new P.LineSymbolizer({color: C.medium, width: width([[11, 0.8], [14, 2.5],
                                                                         [18, 12]])}),
           kind('medium'), 11),
      rule('roads', new P.LineSymbolizer({color: C.majorCasing,
                                          width: width([[8, 2], [13, 5], [18, 20]])}),
           kind('major')),
      rule('roads', new P.LineSymbolizer({color: C.major, width: width([[8, 1.2], [13, 3.5],
                                                                        [18, 16]])}),
           kind('major')),
      rule('roads', new P.LineSymbolizer({color: C.bridge, width: width([[10, 1.5], [13, 4],
                                                                         [18, 17]])}),
           bridge)
    ];
  }

  function labelRules(stats) {
    function text(props, size, fill, weight) {
      return {labelProps: props, fill: fill, stroke: C.halo, width: 3,
              font: (weight || 500) + ' ' + size + 'px ' + FONT};
    }
    function place(size, fill) {
      return new P.FlexSymbolizer([
        new P.CenteredTextSymbolizer(text(english, size, fill, 600)),
        new P.CenteredTextSymbolizer(text(bengali, size - 1, C.labelMuted, 500))
      ]);
    }
    function rule(layer, sym, filter, minzoom) {
      return {dataLayer: layer, symbolizer: countedLabel(layer, sym, stats), filter: filter,
              minzoom: minzoom};
    }
    return [
      rule('places', place(14, C.landmark),
           kind('police', 'station', 'attraction', 'museum', 'memorial', 'monument')),
      rule('places', place(13, C.place), kind('city', 'town', 'suburb', 'quarter', 'park')),
      rule('places', new P.CenteredTextSymbolizer(text(english, 12, '#9cc3e6', 500)),
           kind('water')),
      rule('waterway', new P.LineLabelSymbolizer(text(english, 12, '#9cc3e6', 500))),
      rule('roads', new P.LineLabelSymbolizer(text(english, 12, C.label, 600)),
           kind('major', 'medium'), 12),
      rule('roads', new P.LineLabelSymbolizer(text(bengali, 12, C.labelMuted, 500)),
           kind('major', 'medium'), 14),
      rule('roads', new P.LineLabelSymbolizer(text(english, 11, C.labelMuted, 500)),
           kind('minor'), 15),
      rule('places', place(12, C.labelMuted), kind('neighbourhood', 'locality'), 14)
    ];
  }

  window.NazarBasemap = {
    colours: C,
    layer: function (b, stats, pane) {
      P = window.protomapsL;
      return P.leafletLayer({
        url: b.url, maxDataZoom: b.maxNativeZoom, paintRules: paintRules(stats),
        labelRules: labelRules(stats), backgroundColor: C.background, attribution: '',
        pane: pane || 'tilePane', minZoom: 3, maxZoom: 20, tileDelay: 0.001
      });
    }
  };
}());
