"""Paint googly eyes onto the photo: anti-aliased, at full resolution, touching only their own pixels.

Each eye is drawn as a small sprite, SUPERSAMPLE times larger, then box-filtered down (Image.reduce)
and pasted through its own coverage mask. Colour and coverage are kept apart so edge pixels are not
darkened by the transparent background: outside the white the colour layer holds the rim colour,
and the mask alone decides how much of it shows.

Three styles (config.STYLES), one function each:
    classic  flat white disc, dark rim, dark pupil (the original look)
    glossy   a soft shadow below the eye, white shaded slightly darker towards a thin grey rim, and a
             white highlight at the upper left, drawn over the pupil and fixed to the eye (not the pupil)
    cartoon  a bold black outline, a black pupil with a small white catch-light that moves with it
    eye_shaped  the classic look in the eye's own shape: an ellipse turned with the eye (googly.py)
All their sizes are fractions of the eye radius (config), so a scaled preview looks the same.

Over any style, an eye's expression marks (googly.py): an upper lid in the face's skin colour with a dark
line along its edge (`eye.lid`), and a sparkle by the eye (`eye.sparkle`); both go over the pupil.
"""

from dataclasses import replace
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from . import config
from .googly import GooglyEye


def rim_width(radius: float) -> float:
    return max(config.RIM_MIN_PX, radius * config.RIM_FRACTION)


def draw_googly_eyes(image: Image.Image, eyes: list[GooglyEye], style: str = config.DEFAULT_STYLE) -> Image.Image:
    """Return a copy of `image` with every googly eye painted on in `style` (the input is left as it was)."""
    if style not in STYLE_PAINTERS:
        raise ValueError(f"style must be one of {config.STYLES}, got {style!r}")
    paint = STYLE_PAINTERS[style]
    out = image.copy()
    for eye in eyes:
        paint(out, eye)
        paint_expression(out, eye)
    return out


def googly_layers(size: tuple[int, int], eyes: list[GooglyEye], style: str = config.DEFAULT_STYLE) -> list:
    """The same painting as draw_googly_eyes, as layers instead of pixels: (left, top, RGBA image) in
    painting order, each to be alpha-blended over the photo at (left, top). The browser composites
    them on a canvas at full resolution (web/worker.py), so the photo itself never passes through
    Python for a download."""
    if style not in STYLE_PAINTERS:
        raise ValueError(f"style must be one of {config.STYLES}, got {style!r}")
    sheet = LayerSheet(size)
    for eye in eyes:
        STYLE_PAINTERS[style](sheet, eye)
        paint_expression(sheet, eye)
    return sheet.layers


def moving_layers(size: tuple[int, int], eyes: list[GooglyEye], style: str = config.DEFAULT_STYLE) -> dict:
    """What a picture whose pupils move is made of (the editor's wobble, animated downloads):
        "still"  layers under the pupils (shadows, whites, rims), as googly_layers gives them
        "above"  layers over the pupils (glossy's highlight, fixed to the eye)
        "pupil"  how to draw a pupil at any place (pupil_look): the canvas draws it each frame."""
    if style not in STYLE_PAINTERS:
        raise ValueError(f"style must be one of {config.STYLES}, got {style!r}")
    sheet = LayerSheet(size)
    for eye in eyes:
        STYLE_PAINTERS[style](sheet, eye, pupil=False)
        paint_expression(sheet, eye, above=True)
    return {"still": sheet.layers, "above": sheet.above, "pupil": pupil_look(style)}


def pupil_look(style: str) -> dict:
    """A pupil as a canvas draws it: a disc of `colour` at the pupil, and in the cartoon style a
    catch-light disc of `radius` x p, offset by `centre` x p, that moves with it. Colours are CSS."""
    if style == "cartoon":
        return {"colour": _css(config.CARTOON_PUPIL_COLOUR),
                "catchlight": {"centre": list(config.CARTOON_CATCHLIGHT_CENTRE),
                               "radius": config.CARTOON_CATCHLIGHT_RADIUS, "colour": _css(config.EYE_WHITE)}}
    return {"colour": _css(config.PUPIL_COLOUR), "catchlight": None}


def _css(rgb) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in rgb)


class LayerSheet:
    """Stands in for the photo in the painters: keeps each pasted layer (colour + coverage as one RGBA
    image) instead of blending it; `above` gets the layers that go over a moving pupil."""

    mode = "RGB"

    def __init__(self, size: tuple[int, int]):
        self.width, self.height = size
        self.layers = []
        self.above = []

    @staticmethod
    def _layer(colour: Image.Image, box: tuple[int, int], mask: Image.Image):
        layer = colour.convert("RGBA")
        layer.putalpha(mask)
        return box[0], box[1], layer

    def paste(self, colour: Image.Image, box: tuple[int, int], mask: Image.Image) -> None:
        self.layers.append(self._layer(colour, box, mask))

    def paste_above(self, colour: Image.Image, box: tuple[int, int], mask: Image.Image) -> None:
        self.above.append(self._layer(colour, box, mask))


class Sprite:
    """The pixel box an eye is drawn in: whole pixels covering `reach` around the eye centre, plus one,
    clipped to the photo plus `margin` pixels (an eye far bigger than the photo gets a photo-sized box).

    `point` and `length` turn image coordinates into the supersampled sprite's."""

    def __init__(self, eye: GooglyEye, reach: float, image, margin: int = 1):
        cx, cy = eye.centre
        # min/max before floor/ceil: with extreme (finite) coordinates cx - reach may be -inf.
        self.left = math.floor(max(cx - reach, -margin)) - 1
        self.top = math.floor(max(cy - reach, -margin)) - 1
        right = math.ceil(min(cx + reach, image.width + margin)) + 1
        bottom = math.ceil(min(cy + reach, image.height + margin)) + 1
        self.size = right - self.left, bottom - self.top

    def outside(self, image: Image.Image) -> bool:
        return (self.left >= image.width or self.top >= image.height
                or self.left + self.size[0] <= 0 or self.top + self.size[1] <= 0
                or self.size[0] <= 0 or self.size[1] <= 0)

    def point(self, x: float, y: float, scale: int = config.SUPERSAMPLE) -> tuple[float, float]:
        return (x - self.left) * scale, (y - self.top) * scale

    def layers(self, background) -> tuple[Image.Image, Image.Image]:
        """A supersampled colour layer filled with `background` and an empty coverage mask."""
        size = self.size[0] * config.SUPERSAMPLE, self.size[1] * config.SUPERSAMPLE
        return Image.new("RGB", size, background), Image.new("L", size, 0)

    def paste(self, image: Image.Image, colour: Image.Image, mask: Image.Image) -> None:
        """Blend a full-size colour layer into `image` through `mask` (clipped at the photo's edges)."""
        if image.mode == "RGBA":
            colour = colour.convert("RGBA")
        image.paste(colour, (self.left, self.top), mask)


def paste_eye(image: Image.Image, eye: GooglyEye, pupil: bool = True) -> None:
    """classic: render one eye's sprite and blend it in place; eyes partly outside the photo are clipped.
    (Every painter paints the pupil only with `pupil`: the moving pictures draw it themselves.)"""
    scale = config.SUPERSAMPLE
    sprite = Sprite(eye, eye.radius, image)
    if sprite.outside(image):
        return
    colour, mask = sprite.layers(config.RIM_COLOUR)
    centre = sprite.point(*eye.centre)
    _disc(ImageDraw.Draw(mask), centre, eye.radius * scale, 255)
    draw = ImageDraw.Draw(colour)
    _disc(draw, centre, (eye.radius - rim_width(eye.radius)) * scale, config.EYE_WHITE)
    if pupil:
        _disc(draw, sprite.point(*eye.pupil_centre), eye.pupil_radius * scale, config.PUPIL_COLOUR)
    sprite.paste(image, colour.reduce(scale), mask.reduce(scale))


def paste_glossy_eye(image: Image.Image, eye: GooglyEye, pupil: bool = True) -> None:
    """glossy: shadow first (blurred disc, pasted as translucent black), then the eye over it.

    The shadow has its own, larger sprite (at full size: it is blurred anyway) reaching past the eye
    far enough for its offset and blur (3 blur radii). The white's shading and the highlight are
    applied at full size after the reduce: both are smooth, so supersampling would add nothing. The
    highlight is opaque at its core, so the pupil never shows through it. Without the pupil the highlight
    is a layer of its own, pasted with `image.paste_above` (LayerSheet): it goes over the moving pupil."""
    scale, r = config.SUPERSAMPLE, eye.radius
    cx, cy = eye.centre
    blur = max(1.0, config.GLOSSY_SHADOW_BLUR * r)
    offset = config.GLOSSY_SHADOW_OFFSET * r
    shadow_sprite = Sprite(eye, r + offset + 3 * blur, image,
                           margin=min(math.ceil(3 * blur) + 1, max(image.width, image.height)))
    if shadow_sprite.outside(image):
        return
    shadow = Image.new("L", shadow_sprite.size, 0)
    opacity = round(255 * config.GLOSSY_SHADOW_OPACITY)
    _disc(ImageDraw.Draw(shadow), shadow_sprite.point(cx, cy + offset, 1), r, opacity)
    # (capped at the canvas: Pillow 10.2 crashes on a blur radius in the billions; wider changes nothing)
    shadow = shadow.filter(ImageFilter.GaussianBlur(min(blur, max(shadow.size))))
    shadow_sprite.paste(image, Image.new("RGB", shadow_sprite.size, (0, 0, 0)), shadow)

    sprite = Sprite(eye, r, image)
    if sprite.outside(image):
        return
    colour, mask = sprite.layers(config.GLOSSY_RIM_COLOUR)
    centre = sprite.point(cx, cy)
    rim = max(config.RIM_MIN_PX, config.GLOSSY_RIM_FRACTION * r)
    _disc(ImageDraw.Draw(mask), centre, r * scale, 255)
    draw = ImageDraw.Draw(colour)
    _disc(draw, centre, (r - rim) * scale, config.EYE_WHITE)
    if pupil:
        _disc(draw, sprite.point(*eye.pupil_centre), eye.pupil_radius * scale, config.PUPIL_COLOUR)
    colour, mask = colour.reduce(scale), mask.reduce(scale)

    # Shading: 1 at the centre, 1 - GLOSSY_SHADING at the rim, growing with the squared distance.
    pixels = np.asarray(colour, dtype=np.float32)
    x0, y0 = sprite.point(cx, cy, 1)
    ys, xs = np.mgrid[0:sprite.size[1], 0:sprite.size[0]] + 0.5
    distance = np.minimum(np.hypot(xs - x0, ys - y0) / r, 1.0)
    pixels = pixels * (1.0 - config.GLOSSY_SHADING * distance ** 2)[:, :, None]

    highlight = Image.new("L", colour.size, 0)
    hx, hy = sprite.point(cx + config.GLOSSY_HIGHLIGHT_CENTRE[0] * r, cy + config.GLOSSY_HIGHLIGHT_CENTRE[1] * r, 1)
    ax, ay = config.GLOSSY_HIGHLIGHT_SIZE[0] * r, config.GLOSSY_HIGHLIGHT_SIZE[1] * r
    if max(ax, ay) > HUGE_SHAPE_FACTOR * max(highlight.size):
        _huge_ellipse(ImageDraw.Draw(highlight), (hx, hy), ax, ay, 255)
    else:
        ImageDraw.Draw(highlight).ellipse((hx - ax, hy - ay, hx + ax, hy + ay), fill=255)
    highlight = highlight.filter(ImageFilter.GaussianBlur(min(max(0.5, config.GLOSSY_HIGHLIGHT_BLUR * r),
                                                              max(highlight.size))))
    if not pupil:
        sprite.paste(image, Image.fromarray(np.round(pixels).astype(np.uint8), "RGB"), mask)
        # the highlight alone, over whatever moves beneath it: white through highlight x eye coverage
        cover = np.asarray(highlight, dtype=np.float32) * np.asarray(mask, dtype=np.float32) / 255.0
        image.paste_above(Image.new("RGB", colour.size, (255, 255, 255)), (sprite.left, sprite.top),
                          Image.fromarray(np.round(cover).astype(np.uint8), "L"))
        return
    alpha = np.asarray(highlight, dtype=np.float32)[:, :, None] / 255.0
    pixels = pixels * (1.0 - alpha) + 255.0 * alpha
    colour = Image.fromarray(np.round(pixels).astype(np.uint8), "RGB")
    sprite.paste(image, colour, mask)


def paste_cartoon_eye(image: Image.Image, eye: GooglyEye, pupil: bool = True) -> None:
    """cartoon: a white disc inside a bold black outline, a black pupil with a white catch-light."""
    scale, r = config.SUPERSAMPLE, eye.radius
    sprite = Sprite(eye, r, image)
    if sprite.outside(image):
        return
    colour, mask = sprite.layers(config.CARTOON_OUTLINE_COLOUR)
    centre = sprite.point(*eye.centre)
    outline = max(config.CARTOON_OUTLINE_MIN_PX, config.CARTOON_OUTLINE_FRACTION * r)
    p = eye.pupil_radius
    _disc(ImageDraw.Draw(mask), centre, r * scale, 255)
    draw = ImageDraw.Draw(colour)
    _disc(draw, centre, (r - outline) * scale, config.EYE_WHITE)
    if pupil:
        catchlight = sprite.point(eye.pupil_centre[0] + config.CARTOON_CATCHLIGHT_CENTRE[0] * p,
                                  eye.pupil_centre[1] + config.CARTOON_CATCHLIGHT_CENTRE[1] * p)
        _disc(draw, sprite.point(*eye.pupil_centre), p * scale, config.CARTOON_PUPIL_COLOUR)
        _disc(draw, catchlight, config.CARTOON_CATCHLIGHT_RADIUS * p * scale, config.EYE_WHITE)
    sprite.paste(image, colour.reduce(scale), mask.reduce(scale))


def paint_expression(image, eye: GooglyEye, above: bool = False) -> None:
    """An eye's lid and sparkle, if it has them, painted over it (with `above`, as layers over the moving
    pupil: LayerSheet.paste_above)."""
    if eye.lid > 0:
        _paint_lid(image, eye, above)
    if eye.sparkle:
        _paint_sparkle(image, eye, above)


def _head_frame(eye: GooglyEye) -> tuple[np.ndarray, np.ndarray]:
    roll = math.radians(eye.roll_degrees)
    return np.array([math.cos(roll), math.sin(roll)]), np.array([-math.sin(roll), math.cos(roll)])


def _put(image, sprite: "Sprite", colour: Image.Image, mask: Image.Image, above: bool) -> None:
    if above:
        image.paste_above(colour, (sprite.left, sprite.top), mask)
    else:
        sprite.paste(image, colour, mask)


def _shape_grid(eye: GooglyEye, sprite: "Sprite", inset: float = 0.0):
    """Over the supersampled sprite: (inside, dx, dy) with `inside` true where a pixel centre lies in the
    eye's shape (its ellipse; a disc when aspect is 1) shrunk by `inset` photo pixels all round, and dx, dy
    each pixel centre's offset from the eye centre in photo pixels."""
    scale = config.SUPERSAMPLE
    ys, xs = np.mgrid[0:sprite.size[1] * scale, 0:sprite.size[0] * scale] + 0.5
    cx, cy = sprite.point(*eye.centre)
    dx, dy = (xs - cx) / scale, (ys - cy) / scale
    t = math.radians(eye.tilt_degrees)
    u, v = dx * math.cos(t) + dy * math.sin(t), -dx * math.sin(t) + dy * math.cos(t)
    a, b = eye.radius - inset, eye.radius * eye.aspect - inset
    inside = (u / a) ** 2 + (v / b) ** 2 <= 1.0 if a > 0 and b > 0 else np.zeros(u.shape, bool)
    return inside, dx, dy


def _paint_lid(image, eye: GooglyEye, above: bool) -> None:
    """The part of the eye's shape above the lid's edge, in the skin colour, with the rim kept round it and a
    dark line along the edge (the edge lies 2 lid - 1 radii below the centre, across the head; for an
    eye-shaped eye, of its short axis)."""
    scale, r = config.SUPERSAMPLE, eye.radius
    sprite = Sprite(eye, r, image)
    if sprite.outside(image) or max(sprite.size) > 4096:  # a hand-made giant: no lid rather than 16 M pixels
        return
    _, down = _head_frame(eye)
    inside, dx, dy = _shape_grid(eye, sprite)
    depth = dx * down[0] + dy * down[1]  # along the head's down, photo pixels
    edge = (2.0 * eye.lid - 1.0) * r * eye.aspect
    line = max(1.0, config.LID_LINE_FRACTION * r)
    covered = inside & (depth <= edge + line / 2)
    pixels = np.empty(depth.shape + (3,), np.uint8)
    pixels[:] = eye.lid_colour
    pixels[~_shape_grid(eye, sprite, rim_width(r))[0]] = config.RIM_COLOUR
    pixels[depth >= edge - line / 2] = config.LID_LINE_COLOUR
    mask = Image.fromarray((covered * 255).astype(np.uint8), "L").reduce(scale)
    _put(image, sprite, Image.fromarray(pixels, "RGB").reduce(scale), mask, above)


def _paint_sparkle(image, eye: GooglyEye, above: bool) -> None:
    """A four-pointed star by the eye, up and out (away from the nose), in the head's frame."""
    scale, r = config.SUPERSAMPLE, eye.radius
    across, down = _head_frame(eye)
    outward = -1.0 if eye.side == "right" else 1.0  # the subject's right eye is on the image-left
    # (for an eye-shaped eye, as far above it as its short axis reaches)
    offset = config.SPARKLE_CENTRE[0] * outward * r * across + config.SPARKLE_CENTRE[1] * r * eye.aspect * down
    centre = np.asarray(eye.centre) + offset
    size = config.SPARKLE_SIZE * r
    sprite = Sprite(replace(eye, centre=(float(centre[0]), float(centre[1]))), size + 1.0, image)
    if sprite.outside(image) or max(sprite.size) > 4096:
        return
    points = []
    for k in range(8):  # tips on the head's axes, waists between them
        angle = math.radians(eye.roll_degrees) + k * math.pi / 4
        reach = size if k % 2 == 0 else size * 0.28
        points.append(sprite.point(centre[0] + reach * math.cos(angle), centre[1] + reach * math.sin(angle)))
    colour, mask = sprite.layers(config.SPARKLE_OUTLINE)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    inner = [(centre_x + 0.7 * (x - centre_x), centre_y + 0.7 * (y - centre_y))
             for (centre_x, centre_y) in [sprite.point(*centre)] for x, y in points]
    ImageDraw.Draw(colour).polygon(inner, fill=config.SPARKLE_COLOUR)
    _put(image, sprite, colour.reduce(scale), mask.reduce(scale), above)


def paste_eye_shaped(image: Image.Image, eye: GooglyEye, pupil: bool = True) -> None:
    """eye_shaped: the classic colours on the eye's ellipse (GooglyEye.aspect, tilt_degrees); the pupil is
    clipped to the white, so it never pokes out of a narrow eye. A round eye is drawn as the classic one."""
    sprite = Sprite(eye, eye.radius, image)
    if eye.aspect == 1.0 or max(sprite.size) > 4096:  # round, or a hand-made giant: the classic drawing
        paste_eye(image, eye, pupil)
        return
    if sprite.outside(image):
        return
    scale = config.SUPERSAMPLE
    inside, dx, dy = _shape_grid(eye, sprite)
    white = _shape_grid(eye, sprite, rim_width(eye.radius))[0]
    pixels = np.empty(inside.shape + (3,), np.uint8)
    pixels[:] = config.RIM_COLOUR
    pixels[white] = config.EYE_WHITE
    if pupil:
        px, py = eye.pupil_centre[0] - eye.centre[0], eye.pupil_centre[1] - eye.centre[1]
        pixels[white & ((dx - px) ** 2 + (dy - py) ** 2 <= eye.pupil_radius ** 2)] = config.PUPIL_COLOUR
    mask = Image.fromarray((inside * 255).astype(np.uint8), "L").reduce(scale)
    sprite.paste(image, Image.fromarray(pixels, "RGB").reduce(scale), mask)


STYLE_PAINTERS = {"classic": paste_eye, "glossy": paste_glossy_eye, "cartoon": paste_cartoon_eye,
                  "eye_shaped": paste_eye_shaped}
assert tuple(STYLE_PAINTERS) == config.STYLES


# A disc this many times bigger than its canvas (an eye far bigger than the photo, from a hand edit
# or a wild detection) is drawn as a polygon of its rows: Pillow's ellipse takes time in proportion to
# the radius (over a minute at 1e8) and draws nothing past 2**31.
HUGE_SHAPE_FACTOR = 4


def _disc(draw: ImageDraw.ImageDraw, centre, radius: float, fill) -> None:
    """A filled disc covering the pixels whose centres lie within `radius` of `centre`.

    Pillow's ellipse fills the inclusive pixel box [x0, x1], so a disc spanning the continuous
    interval [c - r, c + r) is the box from round(c - r) to round(c + r) - 1.
    """
    if radius <= 0:
        return
    width, height = draw.im.size
    if (centre[0] + radius <= 0 or centre[1] + radius <= 0 or centre[0] - radius >= width
            or centre[1] - radius >= height):
        return
    if radius > HUGE_SHAPE_FACTOR * max(width, height):
        _huge_ellipse(draw, centre, radius, radius, fill)
        return
    x0, y0 = round(centre[0] - radius), round(centre[1] - radius)
    x1, y1 = round(centre[0] + radius) - 1, round(centre[1] + radius) - 1
    if x1 >= x0 and y1 >= y0:
        draw.ellipse((x0, y0, x1, y1), fill=fill)


def _huge_ellipse(draw: ImageDraw.ImageDraw, centre, ax: float, ay: float, fill) -> None:
    """An axis-aligned filled ellipse much bigger than the canvas, as the polygon of its spans over
    the canvas's pixel rows (centres within the ellipse), clipped a pixel beyond the canvas."""
    width, height = draw.im.size
    cx, cy = centre
    ys = np.arange(height) + 0.5
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.abs(ys - cy) / ay
        half = ax * np.sqrt(np.clip((1.0 - t) * (1.0 + t), 0.0, None))
        inside = t <= 1.0
        x_left = np.clip(cx - half, -1.0, width + 1.0)
        x_right = np.clip(cx + half, -1.0, width + 1.0)
    rows = np.flatnonzero(inside & (x_right > x_left))
    if rows.size == 0:
        return
    left = [(float(x_left[i]), float(y)) for i in rows for y in (i, i + 1)]
    right = [(float(x_right[i]), float(y)) for i in rows[::-1] for y in (i + 1, i)]
    draw.polygon(left + right, fill=fill)


def draw_debug(image: Image.Image, faces) -> Image.Image:
    """What the pipeline saw, for people checking it (never part of a download): face boxes, the
    detector's keypoints (orange), the mesh (faint green), each eye's outline (cyan) and eye centre
    (red cross; a hidden eye's is grey)."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    for face in faces:
        size = float(face.box[2] - face.box[0])
        dot = max(1.0, size / 150)
        draw.rectangle([float(v) for v in face.box], outline=(255, 210, 0), width=max(1, round(size / 120)))
        if getattr(face, "mesh", None) is not None:
            for x, y, _ in face.mesh:
                draw.ellipse((x - dot / 2, y - dot / 2, x + dot / 2, y + dot / 2), fill=(80, 220, 120))
        for x, y in face.face.keypoints:
            draw.ellipse((x - 2 * dot, y - 2 * dot, x + 2 * dot, y + 2 * dot), outline=(255, 140, 0))
        for eye in (face.right, face.left):
            points = [tuple(map(float, p)) for p in eye.outline]
            if len(points) > 2:
                draw.line(points + points[:1], fill=(0, 220, 255), width=max(1, round(dot)))
            x, y = eye.centre
            arm = max(3.0, eye.width / 4)
            colour = (255, 40, 40) if eye.visible else (150, 150, 150)
            draw.line((x - arm, y, x + arm, y), fill=colour, width=max(1, round(dot)))
            draw.line((x, y - arm, x, y + arm), fill=colour, width=max(1, round(dot)))
    return out
