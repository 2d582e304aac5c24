/*
 * townplan_gis compact layers: county-scale overlays (10^5 features and more) in one offline page.
 *
 * A layer arrives as one base64 string: a raw-deflate stream (inflated with the vendored fflate)
 * holding a JSON header, varint-coded geometry (integer longitude/latitude at 10^-precision degree,
 * delta-coded along each ring or line) and dictionary-coded display columns. Nothing is turned into
 * Leaflet objects: each layer is a Leaflet Canvas renderer that paints its features straight from
 * typed arrays, batched by style class, on every view change. A feature whose screen size is below
 * its marker is drawn as that marker (a reviewer still sees a sub-pixel overlap at county zoom);
 * vertices closer than half a pixel to the last one drawn are skipped (below display resolution).
 * Clicks and hovers are hit-tested on the decoded geometry; popups and tooltips are built on demand
 * by townplan.popup / townplan.tip, the same functions the GeoJSON layers use.
 *
 * Needs: Leaflet 1.9, fflate (window.fflate), the townplan helpers (window.townplan).
 */
(function () {
  'use strict';
  var T = window.townplan;
  if (!T) { throw new Error('townplan compact layers: the townplan helpers must load first'); }
  T.compactLayers = T.compactLayers || [];
  T.pendingDraws = T.pendingDraws || 0;

  var MAGIC = 'TPC1';
  var R = 6378137, D2R = Math.PI / 180, MAX_LAT = 85.0511287798, K = 0.5 / (Math.PI * R);
  var PT = 0, LN = 1, RG = 2; // path types: point, line, ring (implicitly closed)
  var BATCH = 256;

  function b64bytes(s) {
    if (typeof Uint8Array.fromBase64 === 'function') { return Uint8Array.fromBase64(s); }
    var bin = atob(s), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  // Unsigned LEB128 varints, read with arithmetic so values past 2^31 stay exact (up to 2^53).
  function Reader(u8, off, end) { this.u8 = u8; this.p = off; this.end = end; }
  Reader.prototype.next = function () {
    var u8 = this.u8, v = 0, mul = 1, b;
    do {
      if (this.p >= this.end) { throw new Error('townplan compact layer: truncated varint section'); }
      b = u8[this.p++];
      v += (b & 127) * mul;
      mul *= 128;
    } while (b & 128);
    return v;
  };
  function unzigzag(v) { return v % 2 ? -(v + 1) / 2 : v / 2; }

  function view(u8, off, len, width) {
    var abs = u8.byteOffset + off;
    if (width === 1) { return u8.subarray(off, off + len); }
    var buf = abs % width === 0 ? u8.buffer : u8.slice(off, off + len).buffer;
    var start = abs % width === 0 ? abs : 0;
    return width === 2 ? new Uint16Array(buf, start, len / 2) : new Uint32Array(buf, start, len / 4);
  }

  /** Decode a layer payload: geometry in Web Mercator world pixels at zoom 0, classes, columns. */
  function decode(b64) {
    var raw = b64bytes(b64);
    var u8 = window.fflate.inflateSync(raw);
    var magic = String.fromCharCode(u8[0], u8[1], u8[2], u8[3]);
    if (magic !== MAGIC) { throw new Error('townplan compact layer: not a TPC1 payload'); }
    var hlen = u8[4] | (u8[5] << 8) | (u8[6] << 16) | (u8[7] << 24);
    var h = JSON.parse(new TextDecoder('utf-8').decode(u8.subarray(8, 8 + hlen)));
    var base = 8 + hlen, sec = h.sections, n = h.n;
    var rd = function (name) { var s = sec[name]; return new Reader(u8, base + s[0], base + s[0] + s[1]); };

    var fPath = new Uint32Array(n + 1), np = rd('npaths'), i, j, k;
    for (i = 0; i < n; i++) { fPath[i + 1] = fPath[i] + np.next(); }
    var P = fPath[n], pType = new Uint8Array(P), pVert = new Uint32Array(P + 1), ph = rd('paths');
    for (j = 0; j < P; j++) { var hv = ph.next(); pType[j] = hv % 4; pVert[j + 1] = pVert[j] + Math.floor(hv / 4); }
    var V = pVert[P], xy = new Float64Array(2 * V), cr = rd('coords');
    var scale = h.scale, ox = h.ox, oy = h.oy, x = 0, y = 0, fx = 0, fy = 0;
    for (j = 0; j < P; j++) {
      for (k = pVert[j]; k < pVert[j + 1]; k++) {
        if (k === pVert[j]) { fx += unzigzag(cr.next()); fy += unzigzag(cr.next()); x = fx; y = fy; }
        else { x += unzigzag(cr.next()); y += unzigzag(cr.next()); }
        var lng = (ox + x) / scale, lat = (oy + y) / scale;
        lat = Math.max(Math.min(MAX_LAT, lat), -MAX_LAT);
        var sin = Math.sin(lat * D2R);
        xy[2 * k] = 256 * (K * (R * lng * D2R) + 0.5);
        xy[2 * k + 1] = 256 * (-K * (R * Math.log((1 + sin) / (1 - sin)) / 2) + 0.5);
      }
    }
    // Per feature: bounding box (world px at zoom 0) and which path types it has (bit 1<<type).
    var bbox = new Float64Array(4 * n), kinds = new Uint8Array(n), leaves = 0;
    for (i = 0; i < n; i++) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, kd = 0, pts = 0;
      for (j = fPath[i]; j < fPath[i + 1]; j++) {
        kd |= 1 << pType[j];
        if (pType[j] === PT) { pts += 1; }
        for (k = pVert[j]; k < pVert[j + 1]; k++) {
          var a = xy[2 * k], b = xy[2 * k + 1];
          if (a < x0) { x0 = a; } if (a > x1) { x1 = a; }
          if (b < y0) { y0 = b; } if (b > y1) { y1 = b; }
        }
      }
      bbox[4 * i] = x0; bbox[4 * i + 1] = y0; bbox[4 * i + 2] = x1; bbox[4 * i + 3] = y1;
      kinds[i] = kd;
      leaves += kd === 1 ? pts : 1; // a MultiPoint is one leaf per point, as in L.geoJSON
    }
    var cls = view(u8, base + sec.cls[0], sec.cls[1], sec.cls[2]);
    var cols = h.cols.map(function (c) {
      return {n: c.n, codes: view(u8, base + c.codes[0], c.codes[1], c.w), u8: u8,
        lens: [base + c.lens[0], c.lens[1]], text: [base + c.text[0], c.text[1]], table: null};
    });
    return {n: n, fPath: fPath, pType: pType, pVert: pVert, xy: xy, bbox: bbox, kinds: kinds,
      cls: cls, cols: cols, leaves: leaves, vertices: V};
  }
  T.decodeCompact = decode;

  /** A column's distinct strings, decoded on first use (most columns are never read). */
  function table(c) {
    if (c.table) { return c.table; }
    var text = new TextDecoder('utf-8').decode(window.fflate.inflateSync(c.u8.subarray(c.text[0], c.text[0] + c.text[1])));
    var rd = new Reader(c.u8, c.lens[0], c.lens[0] + c.lens[1]), out = new Array(c.n), at = 0;
    for (var k = 0; k < c.n; k++) {
      var len = rd.next();
      if (len === 0) { out[k] = null; } else { out[k] = text.substring(at, at + len - 1); at += len - 1; }
    }
    c.table = out;
    return out;
  }
  T.compactTable = table;

  /** The display values of feature i, in field order (null where missing). */
  function values(d, i) {
    var out = new Array(d.cols.length);
    for (var c = 0; c < d.cols.length; c++) { out[c] = table(d.cols[c])[d.cols[c].codes[i]]; }
    return out;
  }

  function dashes(s) {
    if (!s) { return []; }
    return String(s).split(/[, ]+/).map(Number).filter(function (v) { return isFinite(v); });
  }

  var probe = null;
  /** A CSS colour with an alpha as one little-endian RGBA pixel (Uint32), resolved by the browser. */
  function packColour(colour, alpha) {
    if (!probe) { probe = document.createElement('canvas').getContext('2d', {willReadFrequently: true}); probe.canvas.width = probe.canvas.height = 1; }
    probe.clearRect(0, 0, 1, 1); probe.globalAlpha = 1; probe.fillStyle = '#000'; probe.fillStyle = colour;
    probe.fillRect(0, 0, 1, 1);
    var c = probe.getImageData(0, 0, 1, 1).data, a = Math.round(255 * Math.min(1, alpha) * c[3] / 255);
    return ((a << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
  }

  function fullStyle(s) {
    var colour = s.color || '#3388ff';
    return {
      color: colour, weight: s.weight === undefined ? 3 : s.weight,
      opacity: s.opacity === undefined ? 1 : s.opacity,
      fillColor: s.fillColor || colour,
      fillOpacity: s.fillOpacity === undefined ? 0.2 : s.fillOpacity,
      dash: dashes(s.dashArray), radius: s.radius === undefined ? 10 : s.radius,
      stroke: s.stroke === undefined ? true : s.stroke, fill: s.fill === undefined ? true : s.fill
    };
  }

  // Leaflet loads after this script (folium puts its links last in the head): the layer class is
  // made on first use.
  function defineLayer() {
  return L.Canvas.extend({
    options: {padding: 0.25},

    initialize: function (b64, o) {
      L.Canvas.prototype.initialize.call(this, {padding: 0.25, pane: o.pane || 'overlayPane'});
      this._o = o;
      var t0 = performance.now();
      this._d = decode(b64);
      var d = this._d;
      this._styles = o.styles.map(fullStyle);
      this._marker = o.marker || 1.5;
      // Features grouped by class, classes in drawing order (bottom first).
      var order = o.order || o.styles.map(function (_s, c) { return c; });
      var rank = new Int32Array(o.styles.length).fill(-1);
      order.forEach(function (c, r) { rank[c] = r; });
      var counts = new Uint32Array(order.length + 1), i;
      for (i = 0; i < d.n; i++) { counts[rank[d.cls[i]] + 1] += 1; }
      for (i = 0; i < order.length; i++) { counts[i + 1] += counts[i]; }
      var fill = counts.slice(0, order.length), feats = new Uint32Array(d.n);
      for (i = 0; i < d.n; i++) { feats[fill[rank[d.cls[i]]]++] = i; }
      this._drawOrder = order; this._start = counts; this._feats = feats;
      this._scratch = new Uint32Array(d.n);
      this._marks = new Uint32Array(d.n);
      this._styles.forEach(function (st) {
        // A marker is drawn opaque enough to be found at a glance; its rim in the outline colour.
        st.px = {fill: packColour(st.fill ? st.fillColor : st.color, Math.max(st.fillOpacity, 0.7)),
          rim: packColour(st.color, Math.max(st.opacity, 0.7))};
      });
      this.stats = {features: d.n, paths: d.leaves, vertices: d.vertices, drawn: 0, shapes: 0,
        markers: 0, draws: 0, decodeMs: performance.now() - t0, drawMs: 0};
      T.layers[o.id] = this.stats;
      T.compactLayers.push(this);
    },

    onAdd: function (map) {
      L.Canvas.prototype.onAdd.call(this, map);
      this._container._tpLayer = this;
      this._container.style.pointerEvents = 'none';
      installHandlers(map);
    },

    _draw: function () {},

    _updatePaths: function () {
      if (this._postponeUpdatePaths) { return; }
      var self = this;
      // While the page's script still runs the view is not final (fitBounds comes last): draw once
      // it has run, not at the provisional world view.
      if (!T.ready) {
        if (!this._pending) {
          this._pending = true; T.pendingDraws += 1;
          var retry = function () {
            // A page without the ready flag (a map not made by plan_map) still draws once loaded.
            if (!T.ready && document.readyState !== 'complete') { setTimeout(retry, 10); return; }
            self._pending = false; T.pendingDraws -= 1;
            if (self._map) { self._update(); }
          };
          setTimeout(retry, 0);
        }
        return;
      }
      this._paint();
    },

    /** Paint every feature in the padded view: shapes, or markers where smaller than a marker. */
    _paint: function () {
      var map = this._map, ctx = this._ctx, d = this._d;
      if (!map || !ctx) { return; }
      var t0 = performance.now();
      var s = Math.pow(2, map.getZoom()), po = map.getPixelOrigin(), b = this._bounds;
      var size = b.getSize();
      ctx.clearRect(b.min.x, b.min.y, size.x, size.y);
      var mr = this._marker, minPx = 2 * mr;
      var bb = d.bbox, fPath = d.fPath, pType = d.pType, pVert = d.pVert, xy = d.xy, kinds = d.kinds;
      var stats = {drawn: 0, shapes: 0, markers: 0};
      var buf = this._scratch, marks = this._marks, nMarks = 0;
      ctx.lineCap = 'round'; ctx.lineJoin = 'round';
      for (var r = 0; r < this._drawOrder.length; r++) {
        var st = this._styles[this._drawOrder[r]];
        var pad = Math.max(st.weight / 2, mr, st.radius + st.weight / 2) + 1;
        var vx0 = (b.min.x + po.x - pad) / s, vy0 = (b.min.y + po.y - pad) / s;
        var vx1 = (b.max.x + po.x + pad) / s, vy1 = (b.max.y + po.y + pad) / s;
        // The features of this class in view: shapes now, markers after every shape.
        var nShape = 0, end = this._start[r + 1], f, q;
        for (q = this._start[r]; q < end; q++) {
          f = this._feats[q];
          var x0 = bb[4 * f], y0 = bb[4 * f + 1], x1 = bb[4 * f + 2], y1 = bb[4 * f + 3];
          if (x1 < vx0 || x0 > vx1 || y1 < vy0 || y0 > vy1) { continue; }
          if (kinds[f] !== 1 && Math.max(x1 - x0, y1 - y0) * s < minPx) { marks[nMarks++] = q; }
          else { buf[nShape++] = f; }
        }
        stats.shapes += nShape;
        if (nShape) { this._shapes(ctx, st, buf, nShape, s, po); }
      }
      stats.markers = nMarks; stats.drawn = stats.shapes + nMarks;
      if (nMarks) { this._markers(ctx, marks, nMarks, s, po, b, mr); }
      this.stats.drawn = stats.drawn; this.stats.shapes = stats.shapes; this.stats.markers = stats.markers;
      this.stats.draws += 1; this.stats.drawMs = performance.now() - t0;
      this.stats.zoom = map.getZoom();
      var sum = 0;
      T.compactLayers.forEach(function (l) { if (l._map) { sum += l.stats.drawn; } });
      T.drawn = sum;
    },

    _trace: function (ctx, type, f, s, po) {
      var d = this._d, pType = d.pType, pVert = d.pVert, xy = d.xy;
      for (var j = d.fPath[f]; j < d.fPath[f + 1]; j++) {
        if (pType[j] !== type) { continue; }
        var k0 = pVert[j], k1 = pVert[j + 1], lx = 0, ly = 0;
        for (var k = k0; k < k1; k++) {
          var x = xy[2 * k] * s - po.x, y = xy[2 * k + 1] * s - po.y;
          if (k === k0) { ctx.moveTo(x, y); lx = x; ly = y; }
          else if (k === k1 - 1 || Math.abs(x - lx) >= 0.5 || Math.abs(y - ly) >= 0.5) {
            ctx.lineTo(x, y); lx = x; ly = y;
          }
        }
        if (type === RG) { ctx.closePath(); }
      }
    },

    _stroke: function (ctx, st) {
      if (!st.stroke || st.weight <= 0) { return; }
      ctx.globalAlpha = st.opacity; ctx.strokeStyle = st.color; ctx.lineWidth = st.weight;
      ctx.setLineDash(st.dash); ctx.stroke();
    },

    _shapes: function (ctx, st, buf, n, s, po) {
      var kinds = this._d.kinds, i, f, has = 0;
      for (i = 0; i < n; i++) { has |= kinds[buf[i]]; }
      // Paths of BATCH features at a time: one path of thousands of overlapping subpaths
      // rasterises slower than a few hundred (measured 2x on a county's red lines).
      var a, e;
      if (has & (1 << RG)) {
        for (a = 0; a < n; a = e) {
          e = Math.min(n, a + BATCH);
          ctx.beginPath();
          for (i = a; i < e; i++) { f = buf[i]; if (kinds[f] & (1 << RG)) { this._trace(ctx, RG, f, s, po); } }
          // Rings are oriented (exteriors one way, holes the other), so nonzero keeps holes open
          // and overlapping features of one batch filled once.
          if (st.fill) { ctx.globalAlpha = st.fillOpacity; ctx.fillStyle = st.fillColor; ctx.fill('nonzero'); }
          this._stroke(ctx, st);
        }
      }
      if (has & (1 << LN)) {
        for (a = 0; a < n; a = e) {
          e = Math.min(n, a + BATCH);
          ctx.beginPath();
          for (i = a; i < e; i++) { f = buf[i]; if (kinds[f] & (1 << LN)) { this._trace(ctx, LN, f, s, po); } }
          this._stroke(ctx, st);
        }
      }
      if (has & (1 << PT)) {
        var d = this._d, rad = st.radius;
        ctx.beginPath();
        for (i = 0; i < n; i++) {
          f = buf[i];
          if (!(kinds[f] & (1 << PT))) { continue; }
          for (var j = d.fPath[f]; j < d.fPath[f + 1]; j++) {
            if (d.pType[j] !== PT) { continue; }
            var k = d.pVert[j], x = d.xy[2 * k] * s - po.x, y = d.xy[2 * k + 1] * s - po.y;
            ctx.moveTo(x + rad, y); ctx.arc(x, y, rad, 0, 2 * Math.PI);
          }
        }
        if (st.fill) { ctx.globalAlpha = st.fillOpacity; ctx.fillStyle = st.fillColor; ctx.fill('nonzero'); }
        this._stroke(ctx, st);
      }
    },

    /**
     * Stamp markers as squares straight into pixels, then composite them in one drawImage: a
     * county's 10^5 sub-pixel overlaps as canvas arcs take seconds to rasterise, as pixels ~20 ms.
     * Markers go over the layer's shapes (they stand for what is too small to see), in class
     * order; a square's 1 px rim is the class's outline colour.
     */
    _markers: function (ctx, marks, n, s, po, b, mr) {
      var m = L.Browser.retina ? 2 : 1, cv = this._container, w = cv.width, h = cv.height;
      if (!this._mk || this._mk.width !== w || this._mk.height !== h) {
        this._mk = document.createElement('canvas'); this._mk.width = w; this._mk.height = h;
        this._mkCtx = this._mk.getContext('2d');
        this._img = this._mkCtx.createImageData(w, h);
      }
      var px = new Uint32Array(this._img.data.buffer), bb = this._d.bbox, R = mr * m;
      var rim = mr >= 2 ? Math.max(1, Math.round(m)) : 0;
      px.fill(0);
      for (var i = 0; i < n; i++) {
        var q = marks[i], f = this._feats[q], r = this._rankOf(q), st = this._styles[this._drawOrder[r]];
        var cx = (((bb[4 * f] + bb[4 * f + 2]) / 2) * s - po.x - b.min.x) * m;
        var cy = (((bb[4 * f + 1] + bb[4 * f + 3]) / 2) * s - po.y - b.min.y) * m;
        var x0 = Math.max(0, Math.round(cx - R)), x1 = Math.min(w, Math.round(cx + R) + (R < 1 ? 1 : 0));
        var y0 = Math.max(0, Math.round(cy - R)), y1 = Math.min(h, Math.round(cy + R) + (R < 1 ? 1 : 0));
        var inner = st.px.fill, edge = rim ? st.px.rim : inner;
        for (var y = y0; y < y1; y++) {
          var row = y * w, onEdge = y < y0 + rim || y >= y1 - rim;
          for (var x = x0; x < x1; x++) {
            px[row + x] = onEdge || x < x0 + rim || x >= x1 - rim ? edge : inner;
          }
        }
      }
      this._mkCtx.putImageData(this._img, 0, 0);
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.globalAlpha = 1; ctx.setLineDash([]);
      ctx.drawImage(this._mk, 0, 0);
      ctx.restore();
    },

    _rankOf: function (q) {
      // Class rank of the q-th feature in drawing order (binary search over the class starts).
      var lo = 0, hi = this._drawOrder.length - 1, st = this._start;
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (st[mid] <= q) { lo = mid; } else { hi = mid - 1; } }
      return lo;
    },

    /** The topmost feature at a world point (zoom-0 px) within tol screen px, or -1. */
    hit: function (wx, wy, tol) {
      var d = this._d, s = Math.pow(2, this._map.getZoom()), bb = d.bbox, mr = this._marker;
      for (var r = this._drawOrder.length - 1; r >= 0; r--) {
        var st = this._styles[this._drawOrder[r]];
        var padPx = Math.max(st.weight / 2, mr + 1, st.radius + st.weight / 2) + tol;
        var pad = padPx / s;
        for (var q = this._start[r + 1] - 1; q >= this._start[r]; q--) {
          var f = this._feats[q];
          if (wx < bb[4 * f] - pad || wx > bb[4 * f + 2] + pad || wy < bb[4 * f + 1] - pad || wy > bb[4 * f + 3] + pad) { continue; }
          if (this._hitFeature(f, wx, wy, s, st, tol)) { return f; }
        }
      }
      return -1;
    },

    _hitFeature: function (f, wx, wy, s, st, tol) {
      var d = this._d, bb = d.bbox, mr = this._marker;
      if (d.kinds[f] !== 1 && Math.max(bb[4 * f + 2] - bb[4 * f], bb[4 * f + 3] - bb[4 * f + 1]) * s < 2 * mr) {
        // Drawn as its marker: a square of side 2·mr around the box centre.
        var cx = (bb[4 * f] + bb[4 * f + 2]) / 2, cy = (bb[4 * f + 1] + bb[4 * f + 3]) / 2;
        return Math.max(Math.abs(wx - cx), Math.abs(wy - cy)) * s <= mr + tol;
      }
      var edge = (st.weight / 2 + tol) / s, inside = false;
      for (var j = d.fPath[f]; j < d.fPath[f + 1]; j++) {
        var k0 = d.pVert[j], k1 = d.pVert[j + 1], xy = d.xy, t = d.pType[j];
        if (t === PT) {
          if (Math.hypot(wx - xy[2 * k0], wy - xy[2 * k0 + 1]) * s <= st.radius + st.weight / 2 + tol) { return true; }
          continue;
        }
        var last = t === RG ? k1 : k1 - 1;
        for (var k = k0; k < last; k++) {
          var k2 = k + 1 < k1 ? k + 1 : k0;
          var ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k2], by = xy[2 * k2 + 1];
          if (t === RG && ((ay > wy) !== (by > wy)) && wx < (bx - ax) * (wy - ay) / (by - ay) + ax) { inside = !inside; }
          if (segDist(wx, wy, ax, ay, bx, by) <= edge) { return true; }
        }
        if (k1 - k0 === 1 && Math.hypot(wx - xy[2 * k0], wy - xy[2 * k0 + 1]) <= edge) { return true; }
      }
      return inside && st.fill;
    },

    /** Where feature i is drawn at the current view: {x, y} container px and "shape"/"marker". */
    drawnAt: function (i) {
      var d = this._d, bb = d.bbox, s = Math.pow(2, this._map.getZoom());
      var c = this._map.layerPointToContainerPoint(L.point(0, 0)), po = this._map.getPixelOrigin();
      var w = (bb[4 * i + 2] - bb[4 * i]) * s, h = (bb[4 * i + 3] - bb[4 * i + 1]) * s;
      var small = d.kinds[i] !== 1 && Math.max(w, h) < 2 * this._marker;
      return {x: (bb[4 * i] + bb[4 * i + 2]) / 2 * s - po.x + c.x, y: (bb[4 * i + 1] + bb[4 * i + 3]) / 2 * s - po.y + c.y,
        w: w, h: h, as: small ? 'marker' : 'shape'};
    },

    values: function (i) { return values(this._d, i); },

    feature: function (i) { return {properties: {s: this._d.cls[i], p: values(this._d, i)}}; }
  });
  }

  function segDist(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) { t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)); }
    return Math.hypot(px - ax - t * dx, py - ay - t * dy);
  }

  function worldPoint(map, latlng) {
    var p = map.project(latlng, 0);
    return [p.x, p.y];
  }

  /** The topmost compact layer feature under a lat/lng on this map: {layer, index} or null. */
  T.hitCompact = function (map, latlng, tol) {
    var w = worldPoint(map, latlng), pane = map.getPane('overlayPane');
    var kids = pane ? pane.children : [];
    // First what is drawn under the pointer itself, topmost first; only then, within tol pixels
    // (a thin line, a small marker), the topmost near it. At county zoom markers crowd: a click
    // on one must not open its neighbour.
    var tols = tol === 0 ? [0] : [0, tol === undefined ? 3 : tol];
    for (var t = 0; t < tols.length; t++) {
      for (var i = kids.length - 1; i >= 0; i--) {
        var lyr = kids[i]._tpLayer;
        if (!lyr || lyr._map !== map) { continue; }
        var f = lyr.hit(w[0], w[1], tols[t]);
        if (f >= 0) { return {layer: lyr, index: f}; }
      }
    }
    return null;
  };

  T.openCompactPopup = function (map, layer, i, latlng) {
    var html = T.popup(layer.feature(i), layer._o);
    return L.popup({maxWidth: 460}).setLatLng(latlng).setContent(html).openOn(map);
  };

  function installHandlers(map) {
    if (map._tpCompact) { return; }
    map._tpCompact = true;
    var tip = L.tooltip({sticky: true, direction: 'auto', offset: [12, 0]}), frame = null, last = null;
    map.on('click', function (e) {
      var h = T.hitCompact(map, e.latlng);
      if (h) { T.openCompactPopup(map, h.layer, h.index, e.latlng); }
    });
    map.on('mousemove', function (e) {
      last = e;
      if (frame) { return; }
      frame = requestAnimationFrame(function () {
        frame = null;
        var h = T.hitCompact(map, last.latlng);
        var el = map.getContainer();
        if (h) {
          el.style.cursor = 'pointer';
          tip.setLatLng(last.latlng).setContent(T.tip(h.layer.feature(h.index), h.layer._o));
          if (!map.hasLayer(tip)) { map.openTooltip(tip); }
        } else {
          el.style.cursor = '';
          if (map.hasLayer(tip)) { map.closeTooltip(tip); }
        }
      });
    });
    map.on('mouseout', function () { if (map.hasLayer(tip)) { map.closeTooltip(tip); } });
  }

  /** True once the page's script has run and every compact layer painted at least once. */
  T.idle = function () {
    return (T.ready === true || document.readyState === 'complete') && T.pendingDraws === 0;
  };

  T.compact = function (b64, o) {
    T.CompactLayer = T.CompactLayer || defineLayer();
    return new T.CompactLayer(b64, o);
  };
})();
