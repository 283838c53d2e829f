"""Draw the app icons (static/icons/*.png) from the same design as icon.svg: a white tick on
the theme blue. Run once when the design changes; the PNGs are committed."""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 79, 138)
ICONS = Path(__file__).resolve().parent.parent / "app" / "static" / "icons"
TICK = [(18, 33), (27, 42), (46, 22)]  # icon.svg's path, on its 64-unit grid


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # draw large, then shrink, for smooth edges
    side = size * scale
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:  # full bleed; the tick inside the central safe zone
        pen.rectangle((0, 0, side, side), fill=BLUE)
        unit, offset = side * 0.6 / 64, side * 0.2
    else:
        pen.rounded_rectangle((0, 0, side - 1, side - 1), radius=side * 12 / 64, fill=BLUE)
        unit, offset = side / 64, 0
    points = [(offset + x * unit, offset + y * unit) for x, y in TICK]
    width = round(7 * unit)
    pen.line(points, fill="white", width=width, joint="curve")
    for x, y in (points[0], points[-1]):
        pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill="white")
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    for size in (180, 192, 512):
        draw(size).save(ICONS / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(ICONS / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
