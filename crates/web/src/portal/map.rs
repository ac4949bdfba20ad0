//! The submit form's map pin without JavaScript: a 2×2 block of zoom-15 map tiles around
//! Plovdiv's centre, each an `<input type="image">`, so that a click submits the form with the
//! pixel it hit (`map-<col>-<row>.x` and `.y`). The server turns the pixel into latitude and
//! longitude with the Web Mercator formulas and shows the form again with the point filled in.
//!
//! The chosen point is drawn as an inline SVG circle laid over the tiles: SVG attributes are not
//! styles, so the portal's content security policy needs no `'unsafe-inline'`. The tiles are
//! fetched by the citizen's browser from the configured tile server, never by civicline; the
//! policy's `img-src` names that server's origin ([`tile_origin`]). Latitude and longitude stay
//! editable text fields, the accessible way to give a place; the address alone also works.

/// The zoom level of the tiles: one pixel is about 3.5 m in Plovdiv.
pub(crate) const ZOOM: u8 = 15;
/// The size of a tile in pixels.
pub(crate) const TILE_PIXELS: f64 = 256.0;
/// Plovdiv's centre (the main street by the Roman stadium), where the map block is centred.
pub(crate) const CENTRE: (f64, f64) = (42.1354, 24.7453);
/// The block is `BLOCK` × `BLOCK` tiles.
pub(crate) const BLOCK: u32 = 2;

/// A point as fractional tile coordinates at [`ZOOM`]: `x` grows east, `y` grows south.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TilePoint {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

/// Web Mercator: latitude and longitude in degrees to fractional tile coordinates at `zoom`.
pub(crate) fn to_tile(lat: f64, lon: f64, zoom: u8) -> TilePoint {
    let n = f64::from(1u32 << zoom);
    let lat = lat.to_radians();
    TilePoint {
        x: (lon + 180.0) / 360.0 * n,
        y: (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n,
    }
}

/// Web Mercator, inverted: fractional tile coordinates at `zoom` to latitude and longitude.
pub(crate) fn from_tile(point: TilePoint, zoom: u8) -> (f64, f64) {
    let n = f64::from(1u32 << zoom);
    let lon = point.x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * point.y / n)).sinh().atan().to_degrees();
    (lat, lon)
}

/// The tiles shown: the top-left tile's column and row at [`ZOOM`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) x0: u32,
    pub(crate) y0: u32,
}

impl Block {
    /// The 2×2 block whose middle is closest to the point.
    pub(crate) fn around(lat: f64, lon: f64) -> Block {
        let point = to_tile(lat, lon, ZOOM);
        let half = f64::from(BLOCK) / 2.0;
        // Tile numbers at zoom 15 are below 2^15, so these conversions are exact.
        Block { x0: (point.x - half).round().max(0.0) as u32, y0: (point.y - half).round().max(0.0) as u32 }
    }

    /// The place a click at pixel (`px`, `py`) of tile (`col`, `row`) of the block points at,
    /// rounded to five decimals (about a metre). `None` outside the tile.
    pub(crate) fn click(self, col: u32, row: u32, px: f64, py: f64) -> Option<(f64, f64)> {
        let inside = |v: f64| v.is_finite() && (0.0..=TILE_PIXELS).contains(&v);
        if col >= BLOCK || row >= BLOCK || !inside(px) || !inside(py) {
            return None;
        }
        let point = TilePoint {
            x: f64::from(self.x0 + col) + px / TILE_PIXELS,
            y: f64::from(self.y0 + row) + py / TILE_PIXELS,
        };
        let (lat, lon) = from_tile(point, ZOOM);
        Some((round5(lat), round5(lon)))
    }

    /// Where a place falls on the block, in pixels from its top-left corner; `None` off the block.
    pub(crate) fn pixel_of(self, lat: f64, lon: f64) -> Option<(u32, u32)> {
        let point = to_tile(lat, lon, ZOOM);
        let px = (point.x - f64::from(self.x0)) * TILE_PIXELS;
        let py = (point.y - f64::from(self.y0)) * TILE_PIXELS;
        let size = f64::from(BLOCK) * TILE_PIXELS;
        // A pixel of slack: a click on the block's edge, rounded to a metre, may land just off it.
        let on_block = |v: f64| (-1.0..=size + 1.0).contains(&v);
        if !on_block(px) || !on_block(py) {
            return None;
        }
        let clamp = |v: f64| v.round().clamp(0.0, size - 1.0) as u32;
        Some((clamp(px), clamp(py)))
    }
}

fn round5(value: f64) -> f64 {
    (value * 100_000.0).round() / 100_000.0
}

/// A tile URL from a template with `{z}`, `{x}`, `{y}` and optionally `{s}` (a subdomain; `a`).
pub(crate) fn tile_src(template: &str, zoom: u8, x: u32, y: u32) -> String {
    template
        .replace("{s}", "a")
        .replace("{z}", &zoom.to_string())
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string())
}

/// The origin (`https://tile.example.org[:port]`) that serves the tiles, for the content security
/// policy's `img-src`. `None` when the template is not a plain http(s) URL with an ordinary
/// host name, in which case the portal shows no map.
pub(crate) fn tile_origin(template: &str) -> Option<String> {
    let url = template.trim().replace("{s}", "a");
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok = port.is_none_or(|port| !port.is_empty() && port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit()));
    if !host_ok || !port_ok {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests;
