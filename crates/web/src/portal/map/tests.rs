//! Web Mercator against known tile corners, clicks on the block, and the tile server's origin.

use expect_test::{Expect, expect};

use super::{Block, CENTRE, TilePoint, ZOOM, from_tile, tile_origin, tile_src, to_tile};

fn close(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
}

#[test]
fn tile_corners_are_known_places() {
    // The whole world at zoom 0: the corners are the Mercator limits, the middle is (0, 0).
    assert!(close(from_tile(TilePoint { x: 0.0, y: 0.0 }, 0), (85.051_128_779_806_59, -180.0)));
    assert!(close(from_tile(TilePoint { x: 0.5, y: 0.5 }, 0), (0.0, 0.0)));
    assert!(close(from_tile(TilePoint { x: 1.0, y: 1.0 }, 0), (-85.051_128_779_806_59, 180.0)));
    // Zoom 15, tile 18636/12147 (central Plovdiv): its north-west corner.
    assert!(close(from_tile(TilePoint { x: 18636.0, y: 12147.0 }, 15), (42.138_968_404_580_89, 24.741_210_937_5)));
    // And back: the corner is exactly on the tile grid.
    let back = to_tile(42.138_968_404_580_89, 24.741_210_937_5, 15);
    assert!((back.x - 18636.0).abs() < 1e-6 && (back.y - 12147.0).abs() < 1e-6, "{back:?}");
    let centre = to_tile(CENTRE.0, CENTRE.1, ZOOM);
    assert_eq!((centre.x.floor(), centre.y.floor()), (18636.0, 12147.0));
}

fn check_click(col: u32, row: u32, px: f64, py: f64, expect: Expect) {
    let block = Block::around(CENTRE.0, CENTRE.1);
    let actual = match block.click(col, row, px, py) {
        Some((lat, lon)) => format!("{lat} {lon} at {:?}", block.pixel_of(lat, lon)),
        None => "none".to_owned(),
    };
    expect.assert_eq(&actual);
}

#[test]
fn clicks_become_places_on_the_block() {
    let block = Block::around(CENTRE.0, CENTRE.1);
    assert_eq!(block, Block { x0: 18635, y0: 12146 });
    assert_eq!(block.pixel_of(CENTRE.0, CENTRE.1), Some((351, 368)));
    check_click(0, 0, 0.0, 0.0, expect!["42.14711 24.73022 at Some((0, 0))"]);
    check_click(0, 0, 100.0, 200.0, expect!["42.14075 24.73452 at Some((100, 200))"]);
    check_click(1, 1, 128.0, 128.0, expect!["42.13489 24.7467 at Some((384, 384))"]);
    check_click(1, 1, 256.0, 256.0, expect!["42.13082 24.7522 at Some((511, 511))"]);
    check_click(2, 0, 10.0, 10.0, expect!["none"]);
    check_click(0, 0, 257.0, 10.0, expect!["none"]);
    check_click(0, 0, -1.0, 10.0, expect!["none"]);
    check_click(0, 0, f64::NAN, 10.0, expect!["none"]);
    assert_eq!(block.pixel_of(0.0, 0.0), None);
    assert_eq!(block.pixel_of(42.2, CENTRE.1), None);
}

#[test]
fn tile_urls_and_their_origin() {
    assert_eq!(
        tile_src("https://tile.openstreetmap.org/{z}/{x}/{y}.png", 15, 18636, 12147),
        "https://tile.openstreetmap.org/15/18636/12147.png"
    );
    assert_eq!(tile_src("https://{s}.tiles.example/{z}/{x}/{y}.png?k=1", 15, 1, 2), "https://a.tiles.example/15/1/2.png?k=1");
    let origin = |url: &str| tile_origin(url).unwrap_or_else(|| "none".to_owned());
    assert_eq!(origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), "https://tile.openstreetmap.org");
    assert_eq!(origin("HTTP://Tiles.Example:8080/{z}/{x}/{y}.png"), "http://tiles.example:8080");
    assert_eq!(origin("https://{s}.tiles.example/{z}/{x}/{y}"), "https://a.tiles.example");
    assert_eq!(origin("https://tiles.example?z={z}"), "https://tiles.example");
    assert_eq!(origin("ftp://tiles.example/{z}"), "none");
    assert_eq!(origin("https://tiles.example;script-src */x"), "none");
    assert_eq!(origin("https://user@tiles.example/x"), "none");
    assert_eq!(origin("https://tiles.example:port/x"), "none");
    assert_eq!(origin("https:///x"), "none");
    assert_eq!(origin("tiles.example/{z}"), "none");
}
